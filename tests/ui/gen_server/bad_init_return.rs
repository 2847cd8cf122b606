#![allow(unused_imports)]
use ergo::{gen_server, Term};

struct S;

type Started = Option<S>;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Started { Some(S) }
}

fn main() {}
