//! `#[gen_saga]` and `#[saga_worker]` at work across two nodes: typed values decoded for each
//! callback, the worker's typed result, the originator's typed final value; a value that does
//! not decode cancels its transaction with `{error, {bad_value, Value}}`. The README's and
//! docs/saga.md's examples are compiled here too.

use std::collections::HashMap;

use ergo::saga::{Job, JobId, JobOptions, NextId, NextOptions, SagaContext, TxId, TxOptions};
use ergo::{gen_saga, saga_worker, Context, Dest, Reply, ReplyTo, SpawnOptions, Status, Term};

use crate::support::{Cluster, Log};

/// Doubles its value.
struct Doubler;

#[saga_worker]
impl Doubler {
    async fn handle_job_start(&mut self, job: &mut Job, value: u64) -> Status {
        job.send_result(value * 2).expect("result");
        Status::Continue
    }

    async fn handle_job_cancel(&mut self, _reason: Term) {}
}

/// Doubles its value on a worker, passes value + 1 on to `next`, and sums what comes back.
struct Adder {
    who: String,
    log: Log,
    next: Option<Dest>,
    sums: HashMap<TxId, u64>,
}

impl Adder {
    fn add(&mut self, saga: &mut SagaContext<'_>, tx: &TxId, value: u64) {
        let sum = self.sums.entry(tx.clone()).or_insert(0);
        *sum += value;
        if !saga.pending(tx) {
            let sum = *sum;
            saga.send_result(tx, sum).expect("send_result");
        }
    }
}

#[gen_saga(max_transactions = 10)]
impl Adder {
    async fn init(
        _ctx: &mut Context,
        (who, log, next): (String, Log, Option<Dest>),
    ) -> Result<Self, Term> {
        Ok(Adder {
            who,
            log,
            next,
            sums: HashMap::new(),
        })
    }

    async fn handle_tx_new(&mut self, saga: &mut SagaContext<'_>, tx: TxId, value: u64) -> Status {
        saga.start_job(&tx, Doubler, JobOptions::default(), value)
            .expect("job");
        if let Some(next) = self.next.clone() {
            saga.next(&tx, next, value + 1, NextOptions::default())
                .expect("next");
        }
        Status::Continue
    }

    async fn handle_tx_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _next: NextId,
        result: u64,
    ) {
        self.add(saga, &tx, result);
    }

    async fn handle_job_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _job: JobId,
        result: u64,
    ) {
        self.add(saga, &tx, result);
    }

    async fn handle_tx_cancel(&mut self, _tx: TxId, reason: Term) {
        self.log.record(&self.who, "tx_cancel", reason);
    }

    async fn handle_tx_done(&mut self, _tx: TxId, result: u64) -> u64 {
        self.log.record(&self.who, "tx_done", Term::from(result));
        result
    }

    async fn handle_call(
        &mut self,
        saga: &mut SagaContext<'_>,
        value: Term,
        _from: ReplyTo,
    ) -> Reply<Term> {
        let tx = saga
            .start_transaction(TxOptions::default(), value)
            .expect("start");
        Reply::Reply(Term::Reference(tx.0))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_sagas_and_workers_sum_across_nodes() {
    let cluster = Cluster::start("saga_typed").await;
    let log = cluster.log.clone();
    cluster.nodes[1]
        .start_saga::<Adder>(
            ("b".into(), log.clone(), None),
            SpawnOptions::named("adder"),
        )
        .await
        .expect("b");
    cluster.nodes[0]
        .start_saga::<Adder>(
            ("a".into(), log.clone(), Some(cluster.saga(1, "adder"))),
            SpawnOptions::named("adder"),
        )
        .await
        .expect("a");
    // a: 1 * 2, b: (1 + 1) * 2.
    cluster.call(0, 0, "adder", Term::Int(1)).await;
    assert_eq!(log.wait_for("a", "tx_done").await, Term::Int(6));

    // A value a callback cannot decode cancels its transaction, everywhere it went.
    cluster.call(0, 0, "adder", Term::atom("seven")).await;
    let expected = Term::tuple(vec![
        Term::atom("error"),
        Term::tuple(vec![Term::atom("bad_value"), Term::atom("seven")]),
    ]);
    assert_eq!(log.wait_for("a", "tx_cancel").await, expected);
    assert_eq!(log.of("a", "tx_done").len(), 1);
}

/// The README's and docs/saga.md's examples, as written there: they must compile.
#[allow(dead_code)]
mod documented {
    mod readme {
        use ergo::saga::{Job, JobOptions, SagaContext, TxId};
        use ergo::{gen_saga, saga_worker, Status, Term};

        struct Double;

        #[saga_worker]
        impl Double {
            async fn handle_job_start(&mut self, job: &mut Job, value: u64) -> Status {
                job.send_result(value * 2).expect("once");
                Status::Continue
            }
            async fn handle_job_cancel(&mut self, _reason: Term) {}
        }

        struct Doubler;

        #[gen_saga(max_transactions = 100)]
        impl Doubler {
            async fn init(_args: ()) -> Result<Self, Term> {
                Ok(Doubler)
            }
            async fn handle_tx_new(&mut self, saga: &mut SagaContext<'_>, tx: TxId, value: u64) {
                saga.start_job(&tx, Double, JobOptions::default(), value)
                    .expect("job");
            }
            async fn handle_tx_cancel(&mut self, _tx: TxId, _reason: Term) {}
        }
    }

    mod docs {
        use ergo::saga::{Job, JobOptions, NextOptions, SagaContext, TxId};
        use ergo::{gen_saga, saga_worker, Dest, Status, Term};

        struct Double;

        #[saga_worker]
        impl Double {
            async fn handle_job_start(&mut self, job: &mut Job, value: u64) -> Status {
                job.send_result(value * 2).expect("once");
                Status::Continue
            }
            async fn handle_job_cancel(&mut self, _reason: Term) {}
        }

        struct Adder {
            next: Option<Dest>,
        }

        #[gen_saga(max_transactions = 100)]
        impl Adder {
            async fn init(next: Option<Dest>) -> Result<Self, Term> {
                Ok(Adder { next })
            }

            async fn handle_tx_new(&mut self, saga: &mut SagaContext<'_>, tx: TxId, value: u64) {
                saga.start_job(&tx, Double, JobOptions::default(), value)
                    .expect("job");
                if let Some(next) = self.next.clone() {
                    saga.next(&tx, next, value + 1, NextOptions::default())
                        .expect("next");
                }
            }
            async fn handle_tx_cancel(&mut self, _tx: TxId, _reason: Term) {}
        }
    }
}
