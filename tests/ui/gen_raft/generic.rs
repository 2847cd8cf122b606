use ergo::gen_raft;

struct S<T>(T);

#[gen_raft]
impl<T> S<T> {}

fn main() {}
