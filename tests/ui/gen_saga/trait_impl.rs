#![allow(unused_imports)]
use ergo::saga::{Job, JobId, NextId, SagaContext, TxId};
use ergo::{gen_saga, saga_worker, Context, Reply, ReplyTo, Status, Term};

struct S;

trait X {}
#[gen_saga]
impl X for S {}

fn main() {}
