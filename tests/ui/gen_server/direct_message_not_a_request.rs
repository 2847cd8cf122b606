#![allow(unused_imports)]
use ergo::{gen_server, Term};

struct S;

#[gen_server]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_direct(&mut self, n: u32) -> u32 { n }
}

fn main() {}
