#![allow(unused_imports)]
use ergo::{gen_server, Reply, Status, Term};
use ergo::ReplyTo;

struct S;

trait T { fn f(&self); }

#[gen_server]
impl T for S {
    fn f(&self) {}
}

fn main() {}
