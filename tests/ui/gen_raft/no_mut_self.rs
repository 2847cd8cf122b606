use ergo::{gen_raft, Atom, RaftOptions, RaftStart, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    async fn handle_peer(&self, _peer: Atom, _online: bool) {}
}

fn main() {}
