use ergo::{gen_raft, RaftOptions, RaftStart, ReplyTo, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    async fn handle_call(&mut self, _msg: Term, _from: ReplyTo) {}
}

fn main() {}
