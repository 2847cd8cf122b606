use ergo::supervisor;

struct Sup;

#[supervisor(strategy = one_for_one, intensity = 1, intensity = 2)]
impl Sup {
    children! {
        worker(id = a, restart = transient, restart = temporary,
               start_with = ergo::ChildStart::process(|_ctx| async { ergo::Term::atom("normal") })),
    }
}

fn main() {}
