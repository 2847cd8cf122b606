use ergo::gen_raft;

struct S;

#[gen_raft]
impl Clone for S {
    fn clone(&self) -> S {
        S
    }
}

fn main() {}
