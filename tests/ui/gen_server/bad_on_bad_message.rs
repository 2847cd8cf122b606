use ergo::{gen_server, Term};

struct S;

#[gen_server(on_bad_message = panic)]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
}

fn main() {}
