#![allow(unused_imports)]
use ergo::saga::{Job, JobId, NextId, SagaContext, TxId};
use ergo::{gen_saga, saga_worker, Context, Reply, ReplyTo, Status, Term};

struct S;

#[gen_saga]
impl S {
    async fn init(_a: ()) -> Result<Self, Term> { Ok(S) }
    async fn handle_tx_new(&mut self, _tx: TxId, _v: Term) {}
    async fn handle_tx_cancel(&mut self, _tx: TxId, _r: Term) {}
    async fn handle_call(&mut self, _m: Term, _f: ReplyTo) {}
}

fn main() {}
