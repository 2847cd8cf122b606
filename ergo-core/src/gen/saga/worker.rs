//! Saga workers: the `SagaWorker` callbacks, the `Job` handle a worker acts through, and the
//! worker process. A job runs in its own process, spawned and linked by its saga for one job:
//! `handle_job_start` runs first; then the worker waits for its saga's cancel or (with
//! two-phase commit, after its result) commit, handling other messages with `handle_job_info`.
//! It exits `normal` after its result without two-phase commit, after a cancel or a commit; a
//! `Status::Stop` exits with that reason, which the saga gets as `handle_job_failed`. Owns the
//! worker's side of the job messages; must not touch the saga's table.

use std::future::Future;

use ergo_etf::{IntoTerm, Pid, Term};

use super::error::SagaError;
use super::ids::{JobId, TxId};
use super::wire::{recognise, Incoming, JobMessage};
use crate::gen::server::Status;
use crate::node::{Context, Dest};
use crate::process::{Envelope, Payload};

/// A worker's callbacks: one value per job, given to `SagaContext::start_job`.
pub trait SagaWorker: Send + 'static {
    /// Starts the job on `value`. Send the result with [`Job::send_result`] here or later (from
    /// `handle_job_info`); return `Status::Stop(reason)` to fail the job.
    fn handle_job_start(
        &mut self,
        job: &mut Job,
        value: Term,
    ) -> impl Future<Output = Status> + Send;

    /// The job's transaction was cancelled (or the job timed out): undo what it did. Runs at
    /// most once, never after `handle_job_commit`; the worker exits after it.
    fn handle_job_cancel(&mut self, job: &mut Job, reason: Term)
        -> impl Future<Output = ()> + Send;

    /// With two-phase commit: the transaction is done everywhere; `value` is the originator's
    /// final value. The worker exits after it. The default does nothing.
    fn handle_job_commit(&mut self, job: &mut Job, value: Term) -> impl Future<Output = ()> + Send {
        let _ = (job, value);
        async {}
    }

    /// Any other message to the worker. The default logs and drops it.
    fn handle_job_info(
        &mut self,
        job: &mut Job,
        message: Payload,
    ) -> impl Future<Output = Status> + Send {
        let _ = job;
        async move {
            tracing::warn!(message = %message.into_term(), "saga worker: unhandled message");
            Status::Continue
        }
    }
}

/// A worker's handle on its job and its process.
pub struct Job {
    ctx: Context,
    saga: Pid,
    tx: TxId,
    id: JobId,
    two_phase_commit: bool,
    result_sent: bool,
}

impl Job {
    /// The worker's process context.
    pub fn ctx(&mut self) -> &mut Context {
        &mut self.ctx
    }

    /// The transaction the job belongs to.
    pub fn tx(&self) -> &TxId {
        &self.tx
    }

    /// The job's id (as the saga's `handle_job_*` callbacks name it).
    pub fn id(&self) -> &JobId {
        &self.id
    }

    /// The saga that started the job.
    pub fn saga(&self) -> &Pid {
        &self.saga
    }

    /// Sends the job's result to its saga (once).
    pub fn send_result(&mut self, result: impl IntoTerm) -> Result<(), SagaError> {
        if self.result_sent {
            return Err(SagaError::ResultAlreadySent);
        }
        self.result_sent = true;
        self.report(true, result.into_term());
        Ok(())
    }

    /// Sends an interim result to its saga (`handle_job_interim`).
    pub fn send_interim(&mut self, interim: impl IntoTerm) -> Result<(), SagaError> {
        if self.result_sent {
            return Err(SagaError::ResultAlreadySent);
        }
        self.report(false, interim.into_term());
        Ok(())
    }

    fn report(&self, result: bool, value: Term) {
        let body = (self.tx.clone(), self.id.clone(), value);
        let me = self.ctx.pid().clone();
        let message = if result {
            JobMessage::Result(me, body)
        } else {
            JobMessage::Interim(me, body)
        };
        if let Err(error) = self.ctx.send(Dest::Pid(self.saga.clone()), message) {
            tracing::debug!(%error, "saga worker: report not sent");
        }
    }

    /// Whether the worker is done: its result sent without two-phase commit.
    fn finished(&self) -> bool {
        self.result_sent && !self.two_phase_commit
    }
}

/// What the saga tells a new worker.
pub(super) struct JobStart {
    pub(super) saga: Pid,
    pub(super) tx: TxId,
    pub(super) id: JobId,
    pub(super) two_phase_commit: bool,
    pub(super) value: Term,
}

/// The worker process.
pub(super) async fn run<W: SagaWorker>(ctx: Context, mut worker: W, start: JobStart) -> Term {
    let JobStart {
        saga,
        tx,
        id,
        two_phase_commit,
        value,
    } = start;
    let mut job = Job {
        ctx,
        saga,
        tx,
        id,
        two_phase_commit,
        result_sent: false,
    };
    if let Status::Stop(reason) = worker.handle_job_start(&mut job, value).await {
        return reason;
    }
    loop {
        if job.finished() {
            return Term::atom("normal");
        }
        let payload = match job.ctx.recv().await {
            Ok(Envelope::Message(payload)) => payload,
            Ok(other) => Payload::Term(other.into_term()),
            Err(reason) => return reason,
        };
        match recognise(payload) {
            Incoming::Job(JobMessage::Cancel(from, (tx, id, reason)))
                if from == job.saga && tx == job.tx && id == job.id =>
            {
                worker.handle_job_cancel(&mut job, reason).await;
                return Term::atom("normal");
            }
            Incoming::Job(JobMessage::Commit(from, (tx, id, value)))
                if from == job.saga && tx == job.tx && id == job.id =>
            {
                worker.handle_job_commit(&mut job, value).await;
                return Term::atom("normal");
            }
            Incoming::Other(message) => {
                if let Status::Stop(reason) = worker.handle_job_info(&mut job, message).await {
                    return reason;
                }
            }
            Incoming::Job(message) => {
                tracing::warn!(?message, job = %job.id, "saga worker: job message not for this job; dropped");
            }
            Incoming::Saga(message) => {
                tracing::warn!(?message, "saga worker: saga message to a worker; dropped");
            }
            Incoming::Timer(_) => {}
            Incoming::Malformed(term) => {
                tracing::warn!(%term, "saga worker: malformed saga message; dropped");
            }
        }
    }
}
