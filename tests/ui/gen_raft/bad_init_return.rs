use ergo::{gen_raft, RaftOptions, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(_options: RaftOptions) -> Result<Self, Term> {
        Ok(S)
    }
}

fn main() {}
