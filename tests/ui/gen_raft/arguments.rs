use ergo::gen_raft;

struct S;

#[gen_raft(cluster = "c")]
impl S {}

fn main() {}
