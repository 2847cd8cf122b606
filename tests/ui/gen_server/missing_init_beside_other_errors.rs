// Another error whose text mentions "init" must not hide the missing init.
#![allow(unused_imports)]
use ergo::{gen_server, Status, Term};

struct S;

#[gen_server]
impl S {
    async fn handle_init(&mut self, _m: Term) -> Status { Status::Continue }
}

fn main() {}
