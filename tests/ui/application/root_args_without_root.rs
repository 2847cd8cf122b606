use ergo::application;

#[application(name = "shop", root_args = 5)]
struct Shop;

fn main() {}
