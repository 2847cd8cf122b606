use ergo::{gen_stage, stage::{Emit, StageInit}};

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::producer(S)
    }

    async fn handle_demand(self, _demand: u64) -> Emit {
        Emit::none()
    }
}

fn main() {}
