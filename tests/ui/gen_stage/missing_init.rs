use ergo::{gen_stage, stage::Emit};

struct S;

#[gen_stage]
impl S {
    async fn handle_demand(&mut self, _demand: u64) -> Emit {
        Emit::none()
    }
}

fn main() {}
