#![allow(unused_imports)]
use ergo::{gen_server, Status, Term};

struct NotATerm;

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_cast(&mut self, _m: NotATerm) -> Status { Status::Continue }
}

fn main() {}
