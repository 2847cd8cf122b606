use ergo::{gen_raft, RaftOptions, RaftStart, Term};

struct S;
struct NotATerm;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    async fn handle_append(&mut self, _serial: u64, _key: NotATerm, _value: Term) {}
}

fn main() {}
