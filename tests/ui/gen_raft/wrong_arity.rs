use ergo::{gen_raft, Term};

struct S;

#[gen_raft]
impl S {
    fn handle_append(&mut self, _key: Term, _value: Term) {}
}

fn main() {}
