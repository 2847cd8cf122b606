use ergo::{gen_raft, Atom};

struct S;

#[gen_raft]
impl S {
    fn handle_quorum(&mut self, _members: Vec<Atom>) {}
    fn handle_quorum(&mut self, _members: Vec<Atom>) {}
}

fn main() {}
