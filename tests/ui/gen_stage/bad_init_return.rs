use ergo::gen_stage;

struct S;

#[gen_stage]
impl S {
    async fn init(_a: ()) -> Option<Self> {
        Some(S)
    }
}

fn main() {}
