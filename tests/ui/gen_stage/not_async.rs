use ergo::{gen_stage, stage::{Emit, StageInit}};

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::producer(S)
    }

    fn handle_demand(&mut self, _demand: u64) -> Emit {
        Emit::none()
    }
}

fn main() {}
