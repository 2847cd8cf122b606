#![allow(unused_imports)]
use ergo::{gen_server, Reply, Status, Term};
use ergo::ReplyTo;

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    fn handle_info(&mut self, _m: Term) -> Status { Status::Continue }
}

fn main() {}
