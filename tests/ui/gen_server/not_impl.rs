use ergo::gen_server;

#[gen_server]
struct S;

fn main() {}
