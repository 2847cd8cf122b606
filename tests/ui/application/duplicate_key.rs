use ergo::application;

#[application(name = "shop", version = "1.0", version = "2.0")]
struct Shop;

fn main() {}
