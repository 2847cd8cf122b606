use ergo::supervisor;

struct Sup;

#[supervisor(strategy = one_for_one, intensity = "five", period = 0, auto_shutdown = sometimes)]
impl Sup {
    children! {
        worker(id = a, restart = forever, shutdown = politely, significant = yes,
               start_with = ergo::ChildStart::process(|_ctx| async { ergo::Term::atom("normal") })),
    }
}

fn main() {}
