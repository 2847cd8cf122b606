#![allow(unused_imports)]
use ergo::{gen_server, Reply, Status, Term};
use ergo::ReplyTo;

struct S;

#[gen_server]
impl S {
    async fn init(&mut self, _a: ()) -> Result<Self, Term> { Ok(S) }
}

fn main() {}
