use ergo::{gen_server, Term};

struct S;

#[gen_server(name = "s")]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
}

fn main() {}
