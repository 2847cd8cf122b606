// A malformed init is reported as such, not as a missing one.
#![allow(unused_imports)]
use ergo::{gen_server, Status, Term};

struct S;

#[gen_server]
impl S {
    fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
}

fn main() {}
