use ergo::gen_raft;

#[gen_raft]
struct S;

fn main() {}
