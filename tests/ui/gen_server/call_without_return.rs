#![allow(unused_imports)]
use ergo::{gen_server, Term};
use ergo::ReplyTo;

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_call(&mut self, _m: Term, _f: From) {}
}

fn main() {}
