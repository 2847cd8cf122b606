use ergo::{gen_stage, stage::StageInit};

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::producer(S)
    }

    async fn handle_demand(&mut self, _demand: u64) {}
}

fn main() {}
