use ergo::supervisor;

#[supervisor(strategy = one_for_one)]
struct Sup;

fn main() {}
