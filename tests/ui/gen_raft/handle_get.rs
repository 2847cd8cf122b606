use ergo::{gen_raft, RaftOptions, RaftStart, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    async fn handle_get(&mut self, _serial: u64) -> Option<(Term, Term)> {
        None
    }
}

fn main() {}
