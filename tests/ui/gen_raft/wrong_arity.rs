use ergo::{gen_raft, RaftOptions, RaftStart, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    async fn handle_append(&mut self, _key: Term, _value: Term) {}
}

fn main() {}
