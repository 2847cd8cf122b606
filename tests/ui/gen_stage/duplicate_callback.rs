use ergo::{gen_stage, stage::{StageInit, StageFrom}};

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::consumer(S)
    }

    async fn handle_events(&mut self, _events: Vec<u64>, _from: &StageFrom) {}

    async fn handle_events(&mut self, _events: Vec<String>, _from: &StageFrom) {}
}

fn main() {}
