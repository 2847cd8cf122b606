use ergo::application;

#[application(name = shop, description = 42, version = "1", applications = db, env = 8080)]
struct Shop;

fn main() {}
