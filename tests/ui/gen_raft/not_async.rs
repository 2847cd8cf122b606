use ergo::{gen_raft, RaftOptions, RaftStart, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    fn handle_append(&mut self, _serial: u64, _key: Term, _value: Term) {}
}

fn main() {}
