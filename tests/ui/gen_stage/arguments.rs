use ergo::{gen_stage, stage::StageInit};

struct S;

#[gen_stage(dispatcher = broadcast)]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::producer(S)
    }
}

fn main() {}
