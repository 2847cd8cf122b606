//! The `GenSaga` trait: a saga's callbacks, on terms. Every callback gets a [`SagaContext`] to
//! act on transactions (and reach the process's `Context`). Must not run a loop.

use std::future::Future;

use ergo_etf::Term;

use super::context::SagaContext;
use super::ids::{JobId, NextId, TxId};
use super::options::SagaOptions;
use crate::gen::server::{CallOutcome, Init, ReplyTo, Status};
use crate::node::Context;
use crate::process::Payload;

/// A saga's callbacks. Only `init`, `handle_tx_new` and `handle_tx_cancel` are required; the
/// others have the defaults they document.
pub trait GenSaga: Sized + Send + 'static {
    /// What `init` receives.
    type Args: Send + 'static;

    /// Builds the state and the saga's limits, or refuses to start.
    fn init(
        ctx: &mut Context,
        args: Self::Args,
    ) -> impl Future<Output = Init<(Self, SagaOptions)>> + Send;

    /// A transaction reached this saga (or was started here): do the local work (`start_job`),
    /// pass it on (`next`), or answer at once (`send_result`).
    fn handle_tx_new(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        value: Term,
    ) -> impl Future<Output = Status> + Send;

    /// A next saga's result. The default keeps the last result as this saga's own and sends it
    /// once nothing is pending.
    fn handle_tx_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        next: NextId,
        result: Term,
    ) -> impl Future<Output = Status> + Send {
        let _ = next;
        async move {
            if !saga.pending(&tx) {
                if let Err(error) = saga.send_result(&tx, result) {
                    tracing::debug!(%tx, %error, "saga: default handle_tx_result could not send");
                }
            }
            Status::Continue
        }
    }

    /// A next saga's interim result. The default ignores it.
    fn handle_tx_interim(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        next: NextId,
        interim: Term,
    ) -> impl Future<Output = Status> + Send {
        let _ = (saga, tx, next, interim);
        async { Status::Continue }
    }

    /// The transaction was cancelled (here, by a participant, by a death, or by its lifespan);
    /// it is already over on this saga: no result of it will arrive. Runs once per transaction.
    fn handle_tx_cancel(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        reason: Term,
    ) -> impl Future<Output = Status> + Send;

    /// On the originator: its `send_result` ended the transaction with `result`. Returns the
    /// final value (with two-phase commit, what every participant's commit callback gets). The
    /// default returns `result`.
    fn handle_tx_done(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        result: Term,
    ) -> impl Future<Output = (Term, Status)> + Send {
        let _ = (saga, tx);
        async move { (result, Status::Continue) }
    }

    /// With two-phase commit: the originator is done; make this saga's part final. The
    /// default does nothing.
    fn handle_tx_commit(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        value: Term,
    ) -> impl Future<Output = Status> + Send {
        let _ = (saga, tx, value);
        async { Status::Continue }
    }

    /// A job's result. The default sends it as this saga's result once nothing is pending.
    fn handle_job_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        job: JobId,
        result: Term,
    ) -> impl Future<Output = Status> + Send {
        let _ = job;
        async move {
            if !saga.pending(&tx) {
                if let Err(error) = saga.send_result(&tx, result) {
                    tracing::debug!(%tx, %error, "saga: default handle_job_result could not send");
                }
            }
            Status::Continue
        }
    }

    /// A job's interim result. The default ignores it.
    fn handle_job_interim(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        job: JobId,
        interim: Term,
    ) -> impl Future<Output = Status> + Send {
        let _ = (saga, tx, job, interim);
        async { Status::Continue }
    }

    /// A job failed: its worker stopped with `reason` (`{error, no_result}` when it ended
    /// without a result, `{error, job_timeout}` on its timeout). The default cancels the
    /// transaction with that reason.
    fn handle_job_failed(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        job: JobId,
        reason: Term,
    ) -> impl Future<Output = Status> + Send {
        let _ = job;
        async move {
            let _ = saga.cancel(&tx, reason);
            Status::Continue
        }
    }

    /// A call. The default refuses it.
    fn handle_call(
        &mut self,
        saga: &mut SagaContext<'_>,
        request: Payload,
        from: ReplyTo,
    ) -> impl Future<Output = CallOutcome> + Send {
        let _ = (saga, from);
        async move { CallOutcome::Refuse(request.into_term()) }
    }

    /// A cast. The default logs and drops it.
    fn handle_cast(
        &mut self,
        saga: &mut SagaContext<'_>,
        request: Payload,
    ) -> impl Future<Output = Status> + Send {
        let _ = saga;
        async move {
            tracing::warn!(request = %request.into_term(), "saga: unhandled cast");
            Status::Continue
        }
    }

    /// Any other message, including a trapped cancel of a next saga (`NextCancelled`). The
    /// default logs and drops it.
    fn handle_info(
        &mut self,
        saga: &mut SagaContext<'_>,
        message: Payload,
    ) -> impl Future<Output = Status> + Send {
        let _ = saga;
        async move {
            tracing::warn!(message = %message.into_term(), "saga: unhandled info message");
            Status::Continue
        }
    }

    /// Runs once when the saga stops with `reason` (as gen_server's `terminate`).
    fn terminate(&mut self, ctx: &mut Context, reason: &Term) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}
