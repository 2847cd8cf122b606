#![allow(unused_imports)]
use ergo::{gen_server, Term};

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn terminate(&mut self, _reason: Term) {}
}

fn main() {}
