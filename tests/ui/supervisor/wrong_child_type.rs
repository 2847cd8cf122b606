use ergo::supervisor;

struct NotAServer;
struct Sup;

#[supervisor(strategy = one_for_one)]
impl Sup {
    children! {
        worker(id = a, start = NotAServer),
    }
}

fn main() {}
