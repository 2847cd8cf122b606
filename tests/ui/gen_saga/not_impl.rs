#![allow(unused_imports)]
use ergo::saga::{Job, JobId, NextId, SagaContext, TxId};
use ergo::{gen_saga, saga_worker, Context, Reply, ReplyTo, Status, Term};

struct S;

#[gen_saga]
struct T;

fn main() {}
