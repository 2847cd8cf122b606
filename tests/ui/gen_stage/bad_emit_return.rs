use ergo::{gen_stage, stage::StageInit};

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::producer(S)
    }

    async fn handle_demand(&mut self, demand: u64) -> Option<u64> {
        Some(demand)
    }
}

fn main() {}
