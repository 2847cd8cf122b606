//! The saga's machinery state, between callbacks: its options, its transaction table, and the
//! queue of callbacks its operations produced (run by the run loop once the current callback
//! returns, so an operation never re-enters user code). Owns the two operations that end a
//! transaction everywhere: cancellation (to every participant once: the workers, the parent
//! unless the cancel came from it or from the lifespan, every next saga but the one it came
//! from) and the two-phase commit fan-out. Must not decode messages (that is `receive.rs`).

use std::collections::VecDeque;

use ergo_etf::{IntoTerm, Term};

use super::ids::{JobId, NextId, TxId};
use super::options::SagaOptions;
use super::table::{Table, Transaction};
use super::wire::{JobMessage, SagaMessage};
use crate::node::{Context, Dest};
use crate::process::Payload;

/// A callback to run once the current one returned.
pub(super) enum Callback {
    /// `handle_tx_new`.
    TxNew(TxId, Term),
    /// `handle_tx_result`.
    TxResult(TxId, NextId, Term),
    /// `handle_tx_interim`.
    TxInterim(TxId, NextId, Term),
    /// `handle_tx_cancel` (the transaction is already gone from the table).
    TxCancel(TxId, Term),
    /// `handle_tx_done` on the originator, then the commit or the end.
    TxDone(TxId, Term),
    /// `handle_tx_commit` (the transaction is already gone from the table).
    TxCommit(TxId, Term),
    /// `handle_job_result`.
    JobResult(TxId, JobId, Term),
    /// `handle_job_interim`.
    JobInterim(TxId, JobId, Term),
    /// `handle_job_failed`.
    JobFailed(TxId, JobId, Term),
    /// `handle_info` (a trapped cancel of a next saga).
    Info(Payload),
}

/// Where a cancel came from: who is not told again.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum CancelSource {
    /// This saga (its user, a timeout, a failed job): everyone is told.
    Local,
    /// The parent (its cancel, or its death): not told.
    Parent,
    /// A next saga (its cancel, or its death): not told.
    Next(NextId),
    /// The lifespan ended: the parent's own deadline ends it there, so it is not told.
    Lifespan,
}

/// The machinery's state.
#[derive(Default)]
pub(super) struct SagaCore {
    pub(super) options: SagaOptions,
    pub(super) table: Table,
    pub(super) queue: VecDeque<Callback>,
}

/// Sends a saga message, logging a failure (the monitor on the receiver reports its loss).
pub(super) fn send(ctx: &Context, to: Dest, message: impl IntoTerm + Send + 'static) {
    if let Err(error) = ctx.send(to.clone(), message) {
        tracing::debug!(%to, %error, "saga: message not sent");
    }
}

impl SagaCore {
    /// Ends transaction `tx` on this saga and tells every other participant once. False when
    /// the transaction is not here (already ended).
    pub(super) fn cancel(
        &mut self,
        ctx: &Context,
        tx: &TxId,
        reason: Term,
        source: CancelSource,
    ) -> bool {
        let Some(transaction) = self.table.txs.remove(tx) else {
            return false;
        };
        tracing::debug!(%tx, %reason, ?source, "saga: transaction cancelled");
        let me = ctx.pid().clone();
        let Transaction {
            parent,
            parent_monitor,
            lifespan_timer,
            nexts,
            jobs,
            ..
        } = transaction;
        if let Some(timer) = lifespan_timer {
            timer.cancel();
        }
        for (job, run) in jobs {
            if let Some(timer) = run.timer {
                timer.cancel();
            }
            self.table.workers.remove(&run.worker);
            ctx.unlink(&run.worker);
            send(
                ctx,
                Dest::Pid(run.worker),
                JobMessage::Cancel(me.clone(), (tx.clone(), job, reason.clone())),
            );
        }
        if let Some(monitor) = parent_monitor {
            ctx.demonitor(&monitor);
            self.table.monitors.remove(&monitor);
        }
        if let Some((parent, origin)) = parent {
            if matches!(source, CancelSource::Local | CancelSource::Next(_)) {
                send(
                    ctx,
                    Dest::Pid(parent),
                    SagaMessage::Cancel(me.clone(), (tx.clone(), origin, reason.clone())),
                );
            }
        }
        for (next, hop) in nexts {
            if let Some(timer) = hop.timer {
                timer.cancel();
            }
            ctx.demonitor(&next.0);
            self.table.monitors.remove(&next.0);
            if source != CancelSource::Next(next.clone()) {
                send(
                    ctx,
                    hop.dest,
                    SagaMessage::Cancel(me.clone(), (tx.clone(), next, reason.clone())),
                );
            }
        }
        self.queue.push_back(Callback::TxCancel(tx.clone(), reason));
        true
    }

    /// Commits transaction `tx` on this saga (two-phase commit): the commit goes to every next
    /// saga and job that took part, `handle_tx_commit` is queued, and the transaction ends here.
    pub(super) fn commit(&mut self, ctx: &Context, tx: &TxId, value: Term) {
        let Some(transaction) = self.table.txs.remove(tx) else {
            return;
        };
        let me = ctx.pid().clone();
        if let Some(timer) = transaction.lifespan_timer {
            timer.cancel();
        }
        if let Some(monitor) = transaction.parent_monitor {
            ctx.demonitor(&monitor);
            self.table.monitors.remove(&monitor);
        }
        for (job, run) in transaction.jobs {
            self.table.workers.remove(&run.worker);
            ctx.unlink(&run.worker);
            send(
                ctx,
                Dest::Pid(run.worker),
                JobMessage::Commit(me.clone(), (tx.clone(), job, value.clone())),
            );
        }
        for (next, hop) in transaction.nexts {
            ctx.demonitor(&next.0);
            self.table.monitors.remove(&next.0);
            send(
                ctx,
                hop.dest,
                SagaMessage::Commit(me.clone(), (tx.clone(), next, value.clone())),
            );
        }
        self.queue.push_back(Callback::TxCommit(tx.clone(), value));
    }

    /// Ends transaction `tx` here without telling anyone (its result went to the parent, or
    /// the originator is done, without two-phase commit: nothing is pending).
    pub(super) fn finish(&mut self, ctx: &Context, tx: &TxId) {
        let Some(transaction) = self.table.txs.remove(tx) else {
            return;
        };
        if let Some(timer) = transaction.lifespan_timer {
            timer.cancel();
        }
        if let Some(monitor) = transaction.parent_monitor {
            ctx.demonitor(&monitor);
            self.table.monitors.remove(&monitor);
        }
    }
}
