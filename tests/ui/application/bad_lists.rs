use ergo::application;

#[application(name = "shop", applications = [db, db, shop, 3], env = [port = 1, port = 2, 5])]
struct Shop;

fn main() {}
