use ergo::{gen_stage, stage::StageInit};

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::consumer(S)
    }

    async fn handle_events(&mut self, _events: Vec<u64>) {}
}

fn main() {}
