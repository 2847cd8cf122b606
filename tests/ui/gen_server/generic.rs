use ergo::{gen_server, Term};

struct G<X>(X);

#[gen_server]
impl<X: Send + 'static> G<X> {
    async fn init(_a: ()) -> Result<Self, Term> { Err(Term::atom("no")) }
}

fn main() {}
