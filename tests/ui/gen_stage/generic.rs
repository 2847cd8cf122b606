use ergo::{gen_stage, stage::StageInit};

struct S<T>(T);

#[gen_stage]
impl<T: Send + 'static> S<T> {
    async fn init(a: T) -> StageInit<Self> {
        StageInit::producer(S(a))
    }
}

fn main() {}
