//! `SagaContext`: what a saga's callbacks act through: start a transaction, pass it to a next
//! saga (monitored), start a job on a worker (linked), send a result or an interim result to
//! the parent, cancel. Owns these operations' checks (unknown transaction, pending work, hop
//! limit, lifespan, transaction limit); must not run callbacks (they are queued in the core).

use std::collections::HashMap;
use std::time::Instant;

use ergo_etf::{IntoTerm, Term};

use super::core::{send, Callback, CancelSource, SagaCore};
use super::error::SagaError;
use super::ids::{JobId, NextId, TxId};
use super::options::{JobOptions, NextOptions, TxOptions, WireOptions};
use super::table::{JobRun, NextHop, Transaction, Watched};
use super::wire::{SagaMessage, SagaTimer};
use super::worker::{self, JobStart, SagaWorker};
use crate::node::{Context, Dest, SpawnOptions};

/// A saga callback's handle on its process and its transactions.
pub struct SagaContext<'a> {
    pub(super) ctx: &'a mut Context,
    pub(super) core: &'a mut SagaCore,
}

/// The reason a lifespan ends a transaction with.
pub(super) fn lifespan_expired() -> Term {
    error_reason("lifespan_expired")
}

/// `{error, What}`.
pub(super) fn error_reason(what: &str) -> Term {
    Term::tuple(vec![Term::atom("error"), Term::atom(what)])
}

impl SagaContext<'_> {
    /// The saga's process context (its pid, sends, calls, timers).
    pub fn ctx(&mut self) -> &mut Context {
        self.ctx
    }

    /// The transactions this saga takes part in now.
    pub fn transactions(&self) -> Vec<TxId> {
        self.core.table.txs.keys().cloned().collect()
    }

    /// Whether a next saga or a job of `tx` still owes its result (false for an unknown one).
    pub fn pending(&self, tx: &TxId) -> bool {
        self.core
            .table
            .txs
            .get(tx)
            .is_some_and(Transaction::pending)
    }

    /// Starts a transaction with this saga as its originator; `handle_tx_new` gets `value`
    /// once the current callback returns.
    pub fn start_transaction(
        &mut self,
        options: TxOptions,
        value: impl IntoTerm,
    ) -> Result<TxId, SagaError> {
        let max = self.core.options.max_transactions;
        if max > 0 && self.core.table.txs.len() >= max {
            return Err(SagaError::ExceedTxLimit(max));
        }
        let options = options.normalised();
        let tx = TxId(self.ctx.node().make_ref());
        let timer = self
            .ctx
            .send_self_after(SagaTimer::Lifespan(tx.clone()), options.lifespan);
        self.core.table.txs.insert(
            tx.clone(),
            Transaction {
                parent: None,
                parent_monitor: None,
                path: Vec::new(),
                hop_limit: options.hop_limit,
                deadline: Instant::now() + options.lifespan,
                lifespan_timer: Some(timer),
                two_phase_commit: options.two_phase_commit,
                nexts: HashMap::new(),
                jobs: HashMap::new(),
                result_sent: false,
            },
        );
        self.core
            .queue
            .push_back(Callback::TxNew(tx.clone(), value.into_term()));
        Ok(tx)
    }

    /// Passes `tx` on to the saga at `to` (a pid, a local name or `{Name, Node}`), monitored;
    /// it gets `value` and the time left of the lifespan. Its result comes to
    /// `handle_tx_result` under the returned id.
    pub fn next(
        &mut self,
        tx: &TxId,
        to: impl Into<Dest>,
        value: impl IntoTerm,
        options: NextOptions,
    ) -> Result<NextId, SagaError> {
        let to = to.into();
        let transaction = self.core.table.txs.get(tx).ok_or(SagaError::UnknownTx)?;
        if transaction.result_sent {
            return Err(SagaError::ResultAlreadySent);
        }
        // The next saga's path is this one's plus this saga.
        let depth = transaction.path.len() + 1;
        if depth > transaction.hop_limit as usize {
            return Err(SagaError::HopLimit(transaction.hop_limit));
        }
        let left = transaction
            .deadline
            .saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.core
                .cancel(self.ctx, tx, lifespan_expired(), CancelSource::Lifespan);
            return Err(SagaError::LifespanExpired);
        }
        let wire = WireOptions {
            hop_limit: transaction.hop_limit,
            lifespan: left,
            two_phase_commit: transaction.two_phase_commit,
        };
        let parents = transaction.path.clone();
        let reference = self.ctx.monitor(to.clone());
        let next = NextId(reference.clone());
        send(
            self.ctx,
            to.clone(),
            SagaMessage::Next(
                self.ctx.pid().clone(),
                (tx.clone(), next.clone(), value.into_term(), parents, wire),
            ),
        );
        let timer = options.timeout.map(|timeout| {
            self.ctx
                .send_self_after(SagaTimer::NextTimeout(tx.clone(), next.clone()), timeout)
        });
        self.core
            .table
            .monitors
            .insert(reference, Watched::Next(tx.clone()));
        if let Some(transaction) = self.core.table.txs.get_mut(tx) {
            transaction.nexts.insert(
                next.clone(),
                NextHop {
                    dest: to,
                    done: false,
                    trap_cancel: options.trap_cancel,
                    timer,
                },
            );
        }
        Ok(next)
    }

    /// Starts a job of `tx` on `worker`, in a new process linked to this saga; its result comes
    /// to `handle_job_result` under the returned id.
    pub fn start_job<W: SagaWorker>(
        &mut self,
        tx: &TxId,
        worker: W,
        options: JobOptions,
        value: impl IntoTerm,
    ) -> Result<JobId, SagaError> {
        let transaction = self.core.table.txs.get(tx).ok_or(SagaError::UnknownTx)?;
        if transaction.result_sent {
            return Err(SagaError::ResultAlreadySent);
        }
        let job = JobId(self.ctx.node().make_ref());
        let start = JobStart {
            saga: self.ctx.pid().clone(),
            tx: tx.clone(),
            id: job.clone(),
            two_phase_commit: transaction.two_phase_commit,
            value: value.into_term(),
        };
        let spawn = SpawnOptions {
            link: Some(self.ctx.pid().clone()),
            ..SpawnOptions::default()
        };
        let pid =
            self.ctx
                .node()
                .spawn_behaviour(std::any::type_name::<W>(), spawn, move |ctx| {
                    worker::run(ctx, worker, start)
                })?;
        let timer = options.timeout.map(|timeout| {
            self.ctx
                .send_self_after(SagaTimer::JobTimeout(tx.clone(), job.clone()), timeout)
        });
        self.core
            .table
            .workers
            .insert(pid.clone(), (tx.clone(), job.clone()));
        if let Some(transaction) = self.core.table.txs.get_mut(tx) {
            transaction.jobs.insert(
                job.clone(),
                JobRun {
                    worker: pid,
                    done: false,
                    timer,
                },
            );
        }
        Ok(job)
    }

    /// Sends this saga's result of `tx` to its parent (once, when nothing is pending). On the
    /// originator, `handle_tx_done` gets it. Without two-phase commit the transaction ends here;
    /// with it, it waits for the commit or a cancel.
    pub fn send_result(&mut self, tx: &TxId, result: impl IntoTerm) -> Result<(), SagaError> {
        let transaction = self
            .core
            .table
            .txs
            .get_mut(tx)
            .ok_or(SagaError::UnknownTx)?;
        if transaction.result_sent {
            return Err(SagaError::ResultAlreadySent);
        }
        if transaction.pending() {
            return Err(SagaError::TxInProgress);
        }
        transaction.result_sent = true;
        let result = result.into_term();
        let Some((parent, origin)) = transaction.parent.clone() else {
            self.core
                .queue
                .push_back(Callback::TxDone(tx.clone(), result));
            return Ok(());
        };
        let two_phase_commit = transaction.two_phase_commit;
        send(
            self.ctx,
            Dest::Pid(parent),
            SagaMessage::Result(self.ctx.pid().clone(), (tx.clone(), origin, result)),
        );
        if !two_phase_commit {
            self.core.finish(self.ctx, tx);
        }
        Ok(())
    }

    /// Sends an interim result of `tx` to the parent (`handle_tx_interim` there). Not on the
    /// originator (it has no parent): `UnknownTx`.
    pub fn send_interim(&mut self, tx: &TxId, interim: impl IntoTerm) -> Result<(), SagaError> {
        let transaction = self.core.table.txs.get(tx).ok_or(SagaError::UnknownTx)?;
        if transaction.result_sent {
            return Err(SagaError::ResultAlreadySent);
        }
        let (parent, origin) = transaction.parent.clone().ok_or(SagaError::UnknownTx)?;
        send(
            self.ctx,
            Dest::Pid(parent),
            SagaMessage::Interim(
                self.ctx.pid().clone(),
                (tx.clone(), origin, interim.into_term()),
            ),
        );
        Ok(())
    }

    /// Cancels `tx` everywhere: its workers, its parent and its next sagas are told once each,
    /// and `handle_tx_cancel` runs here once the current callback returns.
    pub fn cancel(&mut self, tx: &TxId, reason: impl IntoTerm) -> Result<(), SagaError> {
        if self
            .core
            .cancel(self.ctx, tx, reason.into_term(), CancelSource::Local)
        {
            Ok(())
        } else {
            Err(SagaError::UnknownTx)
        }
    }
}
