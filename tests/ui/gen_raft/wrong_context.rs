use ergo::{gen_raft, Context, RaftOptions, RaftStart, Term};

struct S;

#[gen_raft]
impl S {
    async fn init(options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        Ok((S, RaftStart::new(options)))
    }
    async fn handle_cast(&mut self, _ctx: &mut Context, _msg: Term) {}
}

fn main() {}
