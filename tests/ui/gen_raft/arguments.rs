use ergo::{gen_raft, RaftOptions, RaftStart, Term};

struct S;

#[gen_raft(cluster = "c")]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
}

fn main() {}
