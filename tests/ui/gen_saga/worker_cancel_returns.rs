#![allow(unused_imports)]
use ergo::saga::{Job, JobId, NextId, SagaContext, TxId};
use ergo::{gen_saga, saga_worker, Context, Reply, ReplyTo, Status, Term};

struct S;

#[saga_worker]
impl S {
    async fn handle_job_start(&mut self, _v: Term) {}
    async fn handle_job_cancel(&mut self, _r: Term) -> Status { Status::Continue }
}

fn main() {}
