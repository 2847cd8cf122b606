use ergo::{gen_raft, Atom};

struct S;

#[gen_raft]
impl S {
    fn handle_peer(&self, _peer: Atom, _online: bool) {}
}

fn main() {}
