use ergo::application;

#[application(name = "shop")]
fn shop() {}

fn main() {}
