use ergo::supervisor;

struct NotASupervisor;
struct Sup;

#[supervisor(strategy = one_for_one)]
impl Sup {
    children! {
        supervisor(id = a, start = NotASupervisor),
    }
}

fn main() {}
