use ergo::supervisor;

struct Sup;

#[supervisor(strategy = one_for_one)]
impl Sup {
    fn helper() {}
}

fn main() {}
