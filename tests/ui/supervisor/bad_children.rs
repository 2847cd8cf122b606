use ergo::supervisor;

struct Sup;

#[supervisor(strategy = one_for_one)]
impl Sup {
    children! {
        process(id = a, start_with = ergo::ChildStart::process(|_ctx| async { ergo::Term::atom("normal") })),
        worker(start_with = ergo::ChildStart::process(|_ctx| async { ergo::Term::atom("normal") })),
        worker(id = c),
        worker(id = d, start = D, start_with = ergo::ChildStart::process(|_ctx| async { ergo::Term::atom("normal") })),
        supervisor(id = e, start = E, name = "e"),
    }
}

fn main() {}
