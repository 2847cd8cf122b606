use ergo::application;

#[application(name = "shop", vsn = "1.0")]
struct Shop;

fn main() {}
