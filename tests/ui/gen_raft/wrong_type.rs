use ergo::{gen_raft, Atom, RaftOptions, RaftStart, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    async fn handle_leader(&mut self, _leader: Atom, _term: u64) {}
}

fn main() {}
