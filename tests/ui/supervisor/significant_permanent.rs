use ergo::supervisor;

struct Sup;

#[supervisor(strategy = one_for_one, auto_shutdown = any_significant)]
impl Sup {
    children! {
        worker(id = a, significant = true,
               start_with = ergo::ChildStart::process(|_ctx| async { ergo::Term::atom("normal") })),
    }
}

fn main() {}
