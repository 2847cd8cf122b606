use ergo::{gen_stage, stage::StageInit, Term};

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::producer(S)
    }

    async fn terminate(&mut self, _reason: Term) {}
}

fn main() {}
