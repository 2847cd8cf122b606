use ergo::application;

struct NotASupervisor;

#[application(name = "shop", root = NotASupervisor)]
struct Shop;

fn main() {}
