#![allow(unused_imports)]
use ergo::{gen_server, Status, Term};

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_info(&mut self, _m: Term) -> Status { Status::Continue }
    async fn handle_info(&mut self, _tick: u32) -> Status { Status::Continue }
}

fn main() {}
