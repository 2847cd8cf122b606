#![allow(unused_imports)]
use ergo::{gen_server, DirectRequest, Term};

struct S;

/// A request whose reply is a u32.
struct Get;

impl DirectRequest for Get {
    type Reply = u32;
}

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_direct(&mut self, _get: Get) -> String { String::new() }
}

fn main() {}
