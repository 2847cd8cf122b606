// The reply type must be IntoTerm; the error points at the declared reply type, alias or not.
#![allow(unused_imports)]
use ergo::{gen_server, Reply, Term};
use ergo::ReplyTo;

struct NotATerm;

type Answer = Reply<NotATerm>;

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_call(&mut self, _m: Term, _f: From) -> Answer { Reply::NoReply }
}

struct T;

#[gen_server]
impl T {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(T) }
    async fn handle_call(&mut self, _m: Term, _f: From) -> Reply<NotATerm> { Reply::NoReply }
}

fn main() {}
