#![allow(unused_imports)]
use ergo::{gen_server, Reply, Status, Term};
use ergo::ReplyTo;

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_cast(&mut self, _m: Term) -> i64 { 1 }
}

fn main() {}
