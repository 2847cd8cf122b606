#![allow(unused_imports)]
use ergo::saga::{Job, JobId, NextId, SagaContext, TxId};
use ergo::{gen_saga, saga_worker, Context, Reply, ReplyTo, Status, Term};

struct S;

struct G<T>(T);
#[gen_saga]
impl<T> G<T> {
    async fn init(_a: ()) -> Result<Self, Term> { Err(Term::nil()) }
}

fn main() {}
