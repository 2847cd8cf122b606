//! What the saga's machinery does with each message it owns: a transaction arriving
//! (`'$saga_next'`: the limits, loop detection, the parent monitor and the lifespan timer), a
//! next saga's result, interim, cancel, a parent's commit or cancel, a worker's report or exit,
//! a monitor's DOWN, and its own timers. Anything for an unknown transaction or hop, or of a
//! wrong shape, is logged and dropped. Owns that dispatch; must not run callbacks (it queues
//! them) nor decode (that is `wire.rs`).

use std::collections::HashMap;
use std::time::Instant;

use ergo_etf::{Pid, Reference, Term};

use super::context::{error_reason, lifespan_expired};
use super::core::{send, Callback, CancelSource, SagaCore};
use super::ids::{NextId, TxId};
use super::table::{Transaction, Watched};
use super::wire::{JobMessage, NextBody, NextCancelled, SagaMessage, SagaTimer};
use crate::node::{Context, Dest};
use crate::process::Payload;

impl SagaCore {
    /// A message between sagas.
    pub(super) fn on_saga_message(&mut self, ctx: &Context, message: SagaMessage) {
        match message {
            SagaMessage::Next(from, body) => self.on_next(ctx, from, body),
            SagaMessage::Result(from, (tx, next, result)) => {
                let Some(hop) = self.pending_hop(&tx, &next, &from, "result") else {
                    return;
                };
                let two_phase_commit = hop;
                if let Some(transaction) = self.table.txs.get_mut(&tx) {
                    if two_phase_commit {
                        if let Some(hop) = transaction.nexts.get_mut(&next) {
                            hop.done = true;
                            if let Some(timer) = hop.timer.take() {
                                timer.cancel();
                            }
                        }
                    } else if let Some(hop) = transaction.nexts.remove(&next) {
                        if let Some(timer) = hop.timer {
                            timer.cancel();
                        }
                        ctx.demonitor(&next.0);
                        self.table.monitors.remove(&next.0);
                    }
                }
                self.queue.push_back(Callback::TxResult(tx, next, result));
            }
            SagaMessage::Interim(from, (tx, next, interim)) => {
                if self.pending_hop(&tx, &next, &from, "interim").is_some() {
                    self.queue.push_back(Callback::TxInterim(tx, next, interim));
                }
            }
            SagaMessage::Commit(from, (tx, origin, value)) => {
                if self.sent_by_parent(&tx, &origin, &from, "commit") {
                    self.commit(ctx, &tx, value);
                }
            }
            SagaMessage::Cancel(from, (tx, origin, reason)) => {
                self.on_cancel(ctx, from, tx, origin, reason)
            }
        }
    }

    /// `'$saga_next'`: a transaction reaching this saga.
    fn on_next(&mut self, ctx: &Context, from: Pid, body: NextBody) {
        let (tx, origin, value, parents, options) = body;
        let refuse = |why: &str| {
            tracing::info!(%tx, from = %Term::Pid(from.clone()), why, "saga: transaction refused");
            send(
                ctx,
                Dest::Pid(from.clone()),
                SagaMessage::Cancel(
                    ctx.pid().clone(),
                    (tx.clone(), origin.clone(), error_reason(why)),
                ),
            );
        };
        // A transaction this saga already holds, or a path through it: a loop.
        if self.table.txs.contains_key(&tx) || parents.contains(ctx.pid()) || &from == ctx.pid() {
            return refuse("loop_detected");
        }
        let max = self.options.max_transactions;
        if max > 0 && self.table.txs.len() >= max {
            return refuse("exceed_tx_limit");
        }
        // This saga's path: the sender, then the sender's own path.
        let mut path = Vec::with_capacity(parents.len() + 1);
        path.push(from.clone());
        path.extend(parents);
        if path.len() > options.hop_limit as usize {
            return refuse("hop_limit");
        }
        if options.lifespan.is_zero() {
            return refuse("lifespan_expired");
        }
        let monitor = ctx.monitor(Dest::Pid(from.clone()));
        self.table
            .monitors
            .insert(monitor.clone(), Watched::Parent(tx.clone()));
        let timer = ctx.send_self_after(SagaTimer::Lifespan(tx.clone()), options.lifespan);
        self.table.txs.insert(
            tx.clone(),
            Transaction {
                parent: Some((from, origin)),
                parent_monitor: Some(monitor),
                path,
                hop_limit: options.hop_limit,
                deadline: Instant::now() + options.lifespan,
                lifespan_timer: Some(timer),
                two_phase_commit: options.two_phase_commit,
                nexts: HashMap::new(),
                jobs: HashMap::new(),
                result_sent: false,
            },
        );
        self.queue.push_back(Callback::TxNew(tx, value));
    }

    /// The hop `next` of `tx` when it is pending (its two-phase-commit flag), else logs that
    /// the `what` is dropped.
    fn pending_hop(&self, tx: &TxId, next: &NextId, from: &Pid, what: &str) -> Option<bool> {
        let found = self
            .table
            .txs
            .get(tx)
            .and_then(|t| t.nexts.get(next).map(|hop| (hop, t.two_phase_commit)));
        match found {
            Some((hop, two_phase_commit)) if !hop.done => Some(two_phase_commit),
            _ => {
                tracing::info!(%tx, %next, from = %Term::Pid(from.clone()), what,
                    "saga: message for an unknown (or ended) transaction or hop; dropped");
                None
            }
        }
    }

    /// Whether `from` is `tx`'s parent reaching it by `origin`; else logs that the `what` is
    /// dropped.
    fn sent_by_parent(&self, tx: &TxId, origin: &NextId, from: &Pid, what: &str) -> bool {
        let ok = self
            .table
            .txs
            .get(tx)
            .and_then(|t| t.parent.as_ref())
            .is_some_and(|(parent, hop)| parent == from && hop == origin);
        if !ok {
            tracing::info!(%tx, from = %Term::Pid(from.clone()), what,
                "saga: message for an unknown (or ended) transaction, not from its parent; dropped");
        }
        ok
    }

    /// `'$saga_cancel'` from the parent or a next saga.
    fn on_cancel(&mut self, ctx: &Context, from: Pid, tx: TxId, origin: NextId, reason: Term) {
        let Some(transaction) = self.table.txs.get(&tx) else {
            tracing::info!(%tx, from = %Term::Pid(from), %reason,
                "saga: cancel for an unknown (or ended) transaction; dropped");
            return;
        };
        let by_parent = transaction
            .parent
            .as_ref()
            .is_some_and(|(parent, hop)| parent == &from && hop == &origin);
        if by_parent {
            self.cancel(ctx, &tx, reason, CancelSource::Parent);
            return;
        }
        match transaction.nexts.get(&origin).map(|hop| hop.trap_cancel) {
            Some(true) => self.trap(ctx, &tx, &origin, reason),
            Some(false) => {
                self.cancel(ctx, &tx, reason, CancelSource::Next(origin));
            }
            None => {
                tracing::info!(%tx, from = %Term::Pid(from), %reason,
                    "saga: cancel from neither the parent nor a next saga of the transaction; dropped");
            }
        }
    }

    /// A trapped cancel of next saga `next`: it leaves the transaction, the saga gets a
    /// `NextCancelled` message.
    fn trap(&mut self, ctx: &Context, tx: &TxId, next: &NextId, reason: Term) {
        if let Some(hop) = self
            .table
            .txs
            .get_mut(tx)
            .and_then(|t| t.nexts.remove(next))
        {
            if let Some(timer) = hop.timer {
                timer.cancel();
            }
        }
        ctx.demonitor(&next.0);
        self.table.monitors.remove(&next.0);
        self.queue
            .push_back(Callback::Info(Payload::new(NextCancelled {
                tx: tx.clone(),
                next: next.clone(),
                reason,
            })));
    }

    /// A worker's result or interim (a saga never gets its own workers' cancel or commit).
    pub(super) fn on_job_message(&mut self, ctx: &Context, message: JobMessage) {
        let (worker, (tx, job, value), result) = match message {
            JobMessage::Result(worker, body) => (worker, body, true),
            JobMessage::Interim(worker, body) => (worker, body, false),
            other => {
                tracing::warn!(message = ?other, "saga: a worker's message to a saga; dropped");
                return;
            }
        };
        let known = self.table.workers.get(&worker) == Some(&(tx.clone(), job.clone()));
        let Some(transaction) = self.table.txs.get_mut(&tx).filter(|_| known) else {
            tracing::info!(%tx, %job, "saga: job report for an unknown (or ended) job; dropped");
            return;
        };
        let Some(run) = transaction.jobs.get_mut(&job).filter(|run| !run.done) else {
            tracing::info!(%tx, %job, "saga: job report after the job's result; dropped");
            return;
        };
        if !result {
            self.queue.push_back(Callback::JobInterim(tx, job, value));
            return;
        }
        if let Some(timer) = run.timer.take() {
            timer.cancel();
        }
        if transaction.two_phase_commit {
            run.done = true;
        } else {
            transaction.jobs.remove(&job);
            self.table.workers.remove(&worker);
            ctx.unlink(&worker);
        }
        self.queue.push_back(Callback::JobResult(tx, job, value));
    }

    /// An exit signal from a worker (true), or from another process (false: the user's).
    pub(super) fn on_exit(&mut self, ctx: &Context, from: &Pid, reason: &Term) -> bool {
        let Some((tx, job)) = self.table.workers.remove(from) else {
            return false;
        };
        if let Some(run) = self
            .table
            .txs
            .get_mut(&tx)
            .and_then(|t| t.jobs.remove(&job))
        {
            if let Some(timer) = run.timer {
                timer.cancel();
            }
        }
        let reason = if reason.is_atom("normal") {
            error_reason("no_result")
        } else {
            reason.clone()
        };
        let _ = ctx;
        self.queue.push_back(Callback::JobFailed(tx, job, reason));
        true
    }

    /// A DOWN of a monitor of the machinery (true), or of another one (false: the user's).
    pub(super) fn on_down(&mut self, ctx: &Context, reference: &Reference, reason: &Term) -> bool {
        let Some(watched) = self.table.monitors.remove(reference) else {
            return false;
        };
        match watched {
            Watched::Parent(tx) => {
                self.cancel(ctx, &tx, reason.clone(), CancelSource::Parent);
            }
            Watched::Next(tx) => {
                let next = NextId(reference.clone());
                let trap = self
                    .table
                    .txs
                    .get(&tx)
                    .and_then(|t| t.nexts.get(&next))
                    .map(|hop| hop.trap_cancel);
                match trap {
                    Some(true) => self.trap(ctx, &tx, &next, reason.clone()),
                    Some(false) => {
                        self.cancel(ctx, &tx, reason.clone(), CancelSource::Next(next));
                    }
                    None => {}
                }
            }
        }
        true
    }

    /// One of the saga's timers.
    pub(super) fn on_timer(&mut self, ctx: &Context, timer: SagaTimer) {
        match timer {
            SagaTimer::Lifespan(tx) => {
                self.cancel(ctx, &tx, lifespan_expired(), CancelSource::Lifespan);
            }
            SagaTimer::NextTimeout(tx, next) => {
                let trap = self
                    .table
                    .txs
                    .get(&tx)
                    .and_then(|t| t.nexts.get(&next))
                    .filter(|hop| !hop.done)
                    .map(|hop| (hop.trap_cancel, hop.dest.clone()));
                match trap {
                    Some((true, dest)) => {
                        // The next saga leaves the transaction: it must know.
                        send(
                            ctx,
                            dest,
                            SagaMessage::Cancel(
                                ctx.pid().clone(),
                                (tx.clone(), next.clone(), error_reason("next_timeout")),
                            ),
                        );
                        self.trap(ctx, &tx, &next, error_reason("next_timeout"));
                    }
                    Some((false, _)) => {
                        self.cancel(ctx, &tx, error_reason("next_timeout"), CancelSource::Local);
                    }
                    None => {}
                }
            }
            SagaTimer::JobTimeout(tx, job) => {
                let Some(transaction) = self.table.txs.get_mut(&tx) else {
                    return;
                };
                if !transaction.jobs.get(&job).is_some_and(|run| !run.done) {
                    return;
                }
                let Some(run) = transaction.jobs.remove(&job) else {
                    return;
                };
                self.table.workers.remove(&run.worker);
                ctx.unlink(&run.worker);
                let reason = error_reason("job_timeout");
                send(
                    ctx,
                    Dest::Pid(run.worker),
                    JobMessage::Cancel(
                        ctx.pid().clone(),
                        (tx.clone(), job.clone(), reason.clone()),
                    ),
                );
                self.queue.push_back(Callback::JobFailed(tx, job, reason));
            }
        }
    }
}
