use ergo::{gen_stage, stage::StageInit};

trait Other {}
struct S;

#[gen_stage]
impl Other for S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::producer(S)
    }
}

fn main() {}
