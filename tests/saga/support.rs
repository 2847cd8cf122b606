//! The test sagas: `Stage`, one saga type whose plan (where to pass a transaction on, which
//! worker to run, whether to refuse) each test sets, recording every callback in a shared
//! [`Log`]; `Worker`, a worker that computes, holds, or fails; and three nodes meshed on
//! loopback, each running one `Stage` registered as `saga`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ergo::saga::{
    Job, JobOptions, NextCancelled, NextOptions, SagaContext, SagaOptions, TxId, TxOptions,
};
use ergo::{
    Atom, CallOutcome, Context, Dest, DistOptions, FromTerm, GenSaga, Init, Node, NodeOptions,
    Payload, ReplyTo, SagaWorker, SpawnOptions, Status, Term,
};

use crate::common;

/// How long a test waits for what it expects.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// One recorded callback: who (`a`, `b`, `c`, `a.worker`, ...), which callback, and its
/// value, result or reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub who: String,
    pub what: &'static str,
    pub data: Term,
}

/// Every callback of a test's sagas and workers, in order.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Event>>>);

impl Log {
    /// Records one event.
    pub fn record(&self, who: &str, what: &'static str, data: Term) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Event {
                who: who.to_string(),
                what,
                data,
            });
    }

    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The events of `who` named `what`.
    pub fn of(&self, who: &str, what: &str) -> Vec<Term> {
        self.events()
            .into_iter()
            .filter(|e| e.who == who && e.what == what)
            .map(|e| e.data)
            .collect()
    }

    /// How many events named `what` there are, of anyone.
    pub fn count(&self, what: &str) -> usize {
        self.events().iter().filter(|e| e.what == what).count()
    }

    /// Waits until `who` has at least one `what` event; returns the first.
    pub async fn wait_for(&self, who: &str, what: &str) -> Term {
        common::wait::wait_until_within(&format!("{who} gets {what}"), DEADLINE, || {
            !self.of(who, what).is_empty()
        })
        .await;
        self.of(who, what).remove(0)
    }
}

/// What a worker does with its job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Work {
    /// Sends its value as an interim result, then as its result.
    Compute,
    /// Sends nothing until it gets `finish` (then its value as result) or `fail` (then fails).
    Hold,
    /// Fails at once with `{error, worker_failed}`.
    Fail,
}

/// A next saga a stage passes transactions on to.
#[derive(Clone)]
pub struct Hop {
    pub to: Dest,
    pub value: i64,
    pub trap_cancel: bool,
    pub timeout: Option<Duration>,
}

/// What a stage does with a transaction.
#[derive(Clone, Default)]
pub struct Plan {
    /// Where to pass it on, in parallel.
    pub nexts: Vec<Hop>,
    /// Where to pass it on when a trapped next saga cancels.
    pub fallback: Option<Dest>,
    /// The job to run on the transaction's value.
    pub work: Option<Work>,
    /// Cancel every new transaction at once with `refused`.
    pub refuse: bool,
    /// Pass jobs' and next sagas' interim results on to the parent.
    pub forward_interim: bool,
    /// The saga's transaction limit.
    pub max_transactions: usize,
    /// The job's timeout.
    pub job_timeout: Option<Duration>,
}

/// The test saga.
pub struct Stage {
    who: String,
    log: Log,
    plan: Plan,
    sums: HashMap<TxId, i64>,
}

impl Stage {
    fn add(&mut self, saga: &mut SagaContext<'_>, tx: &TxId, value: &Term) {
        let value = i64::from_term(value.clone()).unwrap_or(0);
        let sum = self.sums.entry(tx.clone()).or_insert(0);
        *sum += value;
        if !saga.pending(tx) {
            let sum = *sum;
            saga.send_result(tx, sum).expect("send_result");
        }
    }
}

impl GenSaga for Stage {
    type Args = (String, Log, Plan);

    async fn init(_ctx: &mut Context, (who, log, plan): Self::Args) -> Init<(Self, SagaOptions)> {
        let options = SagaOptions {
            max_transactions: plan.max_transactions,
        };
        Init::Ok((
            Stage {
                who,
                log,
                plan,
                sums: HashMap::new(),
            },
            options,
        ))
    }

    async fn handle_tx_new(&mut self, saga: &mut SagaContext<'_>, tx: TxId, value: Term) -> Status {
        self.log.record(&self.who, "tx_new", value.clone());
        if self.plan.refuse {
            saga.cancel(&tx, Term::atom("refused")).expect("cancel");
            return Status::Continue;
        }
        self.sums.insert(tx.clone(), 0);
        if let Some(work) = self.plan.work {
            let worker = Worker {
                who: format!("{}.worker", self.who),
                log: self.log.clone(),
                work,
                held: None,
            };
            let options = JobOptions {
                timeout: self.plan.job_timeout,
            };
            saga.start_job(&tx, worker, options, value.clone())
                .expect("start_job");
        }
        for hop in self.plan.nexts.clone() {
            let options = NextOptions {
                timeout: hop.timeout,
                trap_cancel: hop.trap_cancel,
            };
            if let Err(error) = saga.next(&tx, hop.to, hop.value, options) {
                self.log
                    .record(&self.who, "next_refused", Term::binary(error.to_string()));
            }
        }
        if !saga.pending(&tx) {
            saga.send_result(&tx, 0).expect("send_result");
        }
        Status::Continue
    }

    async fn handle_tx_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _next: ergo::saga::NextId,
        result: Term,
    ) -> Status {
        self.log.record(&self.who, "tx_result", result.clone());
        self.add(saga, &tx, &result);
        Status::Continue
    }

    async fn handle_tx_interim(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _next: ergo::saga::NextId,
        interim: Term,
    ) -> Status {
        self.log.record(&self.who, "tx_interim", interim.clone());
        if self.plan.forward_interim {
            let _ = saga.send_interim(&tx, interim);
        }
        Status::Continue
    }

    async fn handle_tx_cancel(
        &mut self,
        _saga: &mut SagaContext<'_>,
        tx: TxId,
        reason: Term,
    ) -> Status {
        self.sums.remove(&tx);
        self.log.record(&self.who, "tx_cancel", reason);
        Status::Continue
    }

    async fn handle_tx_done(
        &mut self,
        _saga: &mut SagaContext<'_>,
        tx: TxId,
        result: Term,
    ) -> (Term, Status) {
        self.sums.remove(&tx);
        self.log.record(&self.who, "tx_done", result.clone());
        (result, Status::Continue)
    }

    async fn handle_tx_commit(
        &mut self,
        _saga: &mut SagaContext<'_>,
        tx: TxId,
        value: Term,
    ) -> Status {
        self.sums.remove(&tx);
        self.log.record(&self.who, "tx_commit", value);
        Status::Continue
    }

    async fn handle_job_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _job: ergo::saga::JobId,
        result: Term,
    ) -> Status {
        self.log.record(&self.who, "job_result", result.clone());
        self.add(saga, &tx, &result);
        Status::Continue
    }

    async fn handle_job_interim(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _job: ergo::saga::JobId,
        interim: Term,
    ) -> Status {
        self.log.record(&self.who, "job_interim", interim.clone());
        if self.plan.forward_interim {
            let _ = saga.send_interim(&tx, interim);
        }
        Status::Continue
    }

    async fn handle_job_failed(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _job: ergo::saga::JobId,
        reason: Term,
    ) -> Status {
        self.log.record(&self.who, "job_failed", reason.clone());
        let _ = saga.cancel(&tx, reason);
        Status::Continue
    }

    async fn handle_call(
        &mut self,
        saga: &mut SagaContext<'_>,
        request: Payload,
        _from: ReplyTo,
    ) -> CallOutcome {
        let request = request.into_term();
        let reply = match request.as_tuple() {
            // {start, Value, TwoPhaseCommit, LifespanMs}
            Some([tag, value, two_phase, lifespan]) if tag.is_atom("start") => {
                let lifespan = u64::from_term(lifespan.clone()).unwrap_or(0);
                let options = TxOptions {
                    two_phase_commit: two_phase.is_atom("true"),
                    lifespan: Duration::from_millis(lifespan),
                    ..TxOptions::default()
                };
                match saga.start_transaction(options, value.clone()) {
                    Ok(tx) => Term::tuple(vec![Term::atom("ok"), Term::Reference(tx.0)]),
                    Err(error) => {
                        Term::tuple(vec![Term::atom("error"), Term::binary(error.to_string())])
                    }
                }
            }
            // {cancel, Tx}
            Some([tag, Term::Reference(tx)]) if tag.is_atom("cancel") => {
                match saga.cancel(&TxId(tx.clone()), Term::atom("user_cancel")) {
                    Ok(()) => Term::atom("ok"),
                    Err(error) => Term::binary(error.to_string()),
                }
            }
            _ if request.is_atom("stop") => {
                return CallOutcome::Stop(
                    Term::atom("shutdown"),
                    Some(Payload::new(Term::atom("ok"))),
                );
            }
            _ if request.is_atom("transactions") => {
                Term::Int(i64::try_from(saga.transactions().len()).unwrap_or(-1))
            }
            _ => Term::atom("pong"),
        };
        CallOutcome::Reply(Payload::new(reply))
    }

    async fn handle_info(&mut self, saga: &mut SagaContext<'_>, message: Payload) -> Status {
        match message.take::<NextCancelled>() {
            Ok(cancelled) => {
                self.log
                    .record(&self.who, "next_cancelled", cancelled.reason.clone());
                if let Some(to) = self.plan.fallback.clone() {
                    saga.next(&cancelled.tx, to, 1000, NextOptions::default())
                        .expect("fallback next");
                }
            }
            Err(other) => self.log.record(&self.who, "info", other.term),
        }
        Status::Continue
    }
}

/// The test worker.
pub struct Worker {
    who: String,
    log: Log,
    work: Work,
    held: Option<Term>,
}

impl SagaWorker for Worker {
    async fn handle_job_start(&mut self, job: &mut Job, value: Term) -> Status {
        self.log
            .record(&self.who, "job_start", Term::Pid(job.ctx().pid().clone()));
        match self.work {
            Work::Compute => {
                job.send_interim(value.clone()).expect("interim");
                job.send_result(value).expect("result");
                Status::Continue
            }
            Work::Hold => {
                self.held = Some(value);
                Status::Continue
            }
            Work::Fail => Status::Stop(worker_failed()),
        }
    }

    async fn handle_job_cancel(&mut self, _job: &mut Job, reason: Term) {
        self.log.record(&self.who, "job_cancel", reason);
    }

    async fn handle_job_commit(&mut self, _job: &mut Job, value: Term) {
        self.log.record(&self.who, "job_commit", value);
    }

    async fn handle_job_info(&mut self, job: &mut Job, message: Payload) -> Status {
        let message = message.into_term();
        if message.is_atom("fail") {
            return Status::Stop(worker_failed());
        }
        if message.is_atom("finish") {
            let value = self.held.take().unwrap_or(Term::Int(0));
            job.send_result(value).expect("result");
        }
        Status::Continue
    }
}

/// `{error, worker_failed}`.
pub fn worker_failed() -> Term {
    Term::tuple(vec![Term::atom("error"), Term::atom("worker_failed")])
}

/// `{error, What}`.
pub fn error(what: &str) -> Term {
    Term::tuple(vec![Term::atom("error"), Term::atom(what)])
}

/// Three nodes on loopback, each reaching the others.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub log: Log,
}

impl Cluster {
    /// Three meshed nodes named after `prefix`.
    pub async fn start(prefix: &str) -> Cluster {
        let options = NodeOptions {
            cookie: "saga".into(),
            ..NodeOptions::default()
        };
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let dist = common::loopback(DistOptions::default());
            nodes.push(common::start_dist(prefix, options.clone(), dist).await);
        }
        for a in &nodes {
            for b in &nodes {
                if a.name() != b.name() {
                    common::route(a, b);
                }
            }
        }
        Cluster {
            nodes,
            log: Log::default(),
        }
    }

    /// The saga registered as `name` on node `i`, as a destination from anywhere.
    pub fn saga(&self, i: usize, name: &str) -> Dest {
        Dest::Remote {
            name: Atom::new(name),
            node: self.nodes[i].name().clone(),
        }
    }

    /// Starts a `Stage` named `name` on node `i`, recording as `who`.
    pub async fn stage(&self, i: usize, name: &str, who: &str, plan: Plan) {
        self.nodes[i]
            .start_saga::<Stage>(
                (who.to_string(), self.log.clone(), plan),
                SpawnOptions::named(name),
            )
            .await
            .expect("start saga");
    }

    /// Starts a transaction on the saga `name` of node 0 (from node 0); its id.
    pub async fn start_tx(
        &self,
        name: &str,
        value: i64,
        two_phase: bool,
        lifespan_ms: u64,
    ) -> Term {
        let reply: Term = self.nodes[0]
            .call(
                self.saga(0, name),
                Term::tuple(vec![
                    Term::atom("start"),
                    Term::Int(value),
                    Term::atom(if two_phase { "true" } else { "false" }),
                    Term::Int(i64::try_from(lifespan_ms).unwrap_or(0)),
                ]),
            )
            .await
            .expect("start call");
        match reply.as_tuple() {
            Some([ok, tx]) if ok.is_atom("ok") => tx.clone(),
            _ => panic!("start refused: {reply}"),
        }
    }

    /// A call to the saga `name` on node `i`, from node `from`.
    pub async fn call(&self, from: usize, i: usize, name: &str, request: Term) -> Term {
        self.nodes[from]
            .call(self.saga(i, name), request)
            .await
            .expect("call")
    }

    /// Waits until everything every node sent before now has arrived: from each node, a call
    /// to each listed saga on every other node (one connection per pair of nodes keeps order).
    pub async fn settle(&self, sagas: &[(usize, &str)]) {
        for from in 0..self.nodes.len() {
            for (i, name) in sagas {
                let _ = self.nodes[from]
                    .call::<Term>(self.saga(*i, name), Term::atom("ping"))
                    .await;
            }
        }
    }
}
