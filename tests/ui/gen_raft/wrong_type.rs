use ergo::{gen_raft, Atom};

struct S;

#[gen_raft]
impl S {
    fn handle_leader(&mut self, _leader: Atom, _term: u64) {}
}

fn main() {}
