use ergo::{gen_raft, Term};

struct S;

#[gen_raft]
impl S {
    async fn handle_append(&mut self, _serial: u64, _key: Term, _value: Term) {}
}

fn main() {}
