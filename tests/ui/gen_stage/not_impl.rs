use ergo::gen_stage;

#[gen_stage]
struct S;

fn main() {}
