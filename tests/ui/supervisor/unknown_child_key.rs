use ergo::supervisor;

struct Sup;

#[supervisor(strategy = one_for_one)]
impl Sup {
    children! {
        worker(id = a, start_with = ergo::ChildStart::process(|_ctx| async { ergo::Term::atom("normal") }), restart_type = permanent),
    }
}

fn main() {}
