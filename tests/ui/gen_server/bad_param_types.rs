// The context, the reply handle and terminate's reason are checked by type, at the user's type.
#![allow(unused_imports)]
use ergo::{gen_server, Reply, Term};

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_call(&mut self, _ctx: &mut String, _m: Term, _f: u64) -> Reply<i64> { Reply::NoReply }
    async fn terminate(&mut self, _reason: &String) {}
}

fn main() {}
