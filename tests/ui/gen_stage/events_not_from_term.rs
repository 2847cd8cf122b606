use ergo::{gen_stage, stage::{StageFrom, StageInit}};

struct S;

struct NotATerm;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> StageInit<Self> {
        StageInit::consumer(S)
    }

    async fn handle_events(&mut self, _events: Vec<NotATerm>, _from: &StageFrom) {}
}

fn main() {}
