//! The saga process: a gen_server (`SagaServer<S>`) whose state is the user's saga and the
//! machinery's core. Saga, worker and timer messages, DOWNs of its monitors and exits of its
//! workers go to the machinery; everything else to the user's callbacks. After each message the
//! callbacks the machinery queued run in order; one about a transaction that has ended since it
//! was queued (a result, an interim, a job's report, the originator's done) is dropped, so no
//! result of a cancelled transaction reaches the user. Owns that dispatch and `Node::start_saga`;
//! must not decide what a message means to a transaction (that is `receive.rs`). A saga that
//! stops cancels its transactions first.

use ergo_etf::{Pid, Term};

use super::behaviour::GenSaga;
use super::context::SagaContext;
use super::core::{Callback, CancelSource, SagaCore};
use super::ids::TxId;
use super::wire::{recognise, Incoming};
use crate::gen::server::{CallOutcome, GenServer, Init, ReplyTo, Status};
use crate::node::{Context, Node, SpawnError, SpawnOptions};
use crate::process::{DirectEnvelope, Payload};

/// A saga as a gen_server: the user's callbacks and the machinery.
pub struct SagaServer<S> {
    user: S,
    core: SagaCore,
}

impl<S: GenSaga> SagaServer<S> {
    /// Runs the queued callbacks; the first stop ends the run.
    async fn drain(&mut self, ctx: &mut Context) -> Status {
        while let Some(callback) = self.core.queue.pop_front() {
            if let Some(tx) = ended(&self.core, &callback) {
                tracing::debug!(%tx, "saga: callback of an ended transaction dropped");
                continue;
            }
            let mut saga = SagaContext {
                ctx: &mut *ctx,
                core: &mut self.core,
            };
            let user = &mut self.user;
            let status = match callback {
                Callback::TxNew(tx, value) => user.handle_tx_new(&mut saga, tx, value).await,
                Callback::TxResult(tx, next, value) => {
                    user.handle_tx_result(&mut saga, tx, next, value).await
                }
                Callback::TxInterim(tx, next, value) => {
                    user.handle_tx_interim(&mut saga, tx, next, value).await
                }
                Callback::TxCancel(tx, reason) => {
                    user.handle_tx_cancel(&mut saga, tx, reason).await
                }
                Callback::TxDone(tx, result) => {
                    let (value, status) = user.handle_tx_done(&mut saga, tx.clone(), result).await;
                    let two_phase_commit = self
                        .core
                        .table
                        .txs
                        .get(&tx)
                        .is_some_and(|t| t.two_phase_commit);
                    if two_phase_commit {
                        self.core.commit(ctx, &tx, value);
                    } else {
                        self.core.finish(ctx, &tx);
                    }
                    status
                }
                Callback::TxCommit(tx, value) => user.handle_tx_commit(&mut saga, tx, value).await,
                Callback::JobResult(tx, job, value) => {
                    user.handle_job_result(&mut saga, tx, job, value).await
                }
                Callback::JobInterim(tx, job, value) => {
                    user.handle_job_interim(&mut saga, tx, job, value).await
                }
                Callback::JobFailed(tx, job, reason) => {
                    user.handle_job_failed(&mut saga, tx, job, reason).await
                }
                Callback::Info(message) => user.handle_info(&mut saga, message).await,
            };
            if let Status::Stop(reason) = status {
                return Status::Stop(reason);
            }
        }
        Status::Continue
    }

    /// A message that is not a call, cast or direct request.
    async fn info(&mut self, ctx: &mut Context, message: Payload) -> Status {
        let message = match recognise(message) {
            Incoming::Saga(message) => {
                self.core.on_saga_message(ctx, message);
                return self.drain(ctx).await;
            }
            Incoming::Job(message) => {
                self.core.on_job_message(ctx, message);
                return self.drain(ctx).await;
            }
            Incoming::Timer(timer) => {
                self.core.on_timer(ctx, timer);
                return self.drain(ctx).await;
            }
            Incoming::Malformed(term) => {
                tracing::warn!(%term, "saga: message tagged as a saga's but not of its shape; dropped");
                return Status::Continue;
            }
            Incoming::Other(message) => message,
        };
        let message = match message {
            Payload::Term(term) => match self.machinery_signal(ctx, term) {
                Ok(()) => return self.drain(ctx).await,
                Err(term) => Payload::Term(term),
            },
            local => local,
        };
        let mut saga = SagaContext {
            ctx: &mut *ctx,
            core: &mut self.core,
        };
        match self.user.handle_info(&mut saga, message).await {
            Status::Continue => self.drain(ctx).await,
            stop => stop,
        }
    }

    /// A DOWN or EXIT the machinery owns is handled (`Ok`); any other term is given back.
    fn machinery_signal(&mut self, ctx: &Context, term: Term) -> Result<(), Term> {
        let handled = match term.as_tuple() {
            Some([tag, Term::Reference(reference), _, _, reason]) if tag.is_atom("DOWN") => {
                self.core.on_down(ctx, reference, reason)
            }
            Some([tag, Term::Pid(from), reason]) if tag.is_atom("EXIT") => {
                self.core.on_exit(ctx, from, reason)
            }
            _ => false,
        };
        if handled {
            Ok(())
        } else {
            Err(term)
        }
    }
}

/// The transaction a queued callback is about, when that transaction has ended since.
fn ended<'a>(core: &SagaCore, callback: &'a Callback) -> Option<&'a TxId> {
    let tx = match callback {
        Callback::TxResult(tx, ..)
        | Callback::TxInterim(tx, ..)
        | Callback::TxDone(tx, _)
        | Callback::TxNew(tx, _)
        | Callback::JobResult(tx, ..)
        | Callback::JobInterim(tx, ..)
        | Callback::JobFailed(tx, ..) => tx,
        Callback::TxCancel(..) | Callback::TxCommit(..) | Callback::Info(_) => return None,
    };
    (!core.table.txs.contains_key(tx)).then_some(tx)
}

impl<S: GenSaga> GenServer for SagaServer<S> {
    type Args = S::Args;

    async fn init(ctx: &mut Context, args: S::Args) -> Init<Self> {
        // Workers are linked: their exits come as messages.
        ctx.trap_exit(true);
        match S::init(ctx, args).await {
            Init::Ok((user, options)) => Init::Ok(SagaServer {
                user,
                core: SagaCore {
                    options,
                    ..SagaCore::default()
                },
            }),
            Init::Ignore => Init::Ignore,
            Init::Stop(reason) => Init::Stop(reason),
        }
    }

    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> CallOutcome {
        let mut saga = SagaContext {
            ctx: &mut *ctx,
            core: &mut self.core,
        };
        let outcome = self.user.handle_call(&mut saga, request, from).await;
        match (outcome, self.drain(ctx).await) {
            (outcome, Status::Continue) => outcome,
            (CallOutcome::Reply(reply), Status::Stop(reason)) => {
                CallOutcome::Stop(reason, Some(reply))
            }
            (CallOutcome::Stop(reason, reply), Status::Stop(_)) => CallOutcome::Stop(reason, reply),
            (_, Status::Stop(reason)) => CallOutcome::Stop(reason, None),
        }
    }

    async fn handle_cast(&mut self, ctx: &mut Context, request: Payload) -> Status {
        let mut saga = SagaContext {
            ctx: &mut *ctx,
            core: &mut self.core,
        };
        match self.user.handle_cast(&mut saga, request).await {
            Status::Continue => self.drain(ctx).await,
            stop => stop,
        }
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Status {
        self.info(ctx, message).await
    }

    async fn handle_direct(&mut self, _ctx: &mut Context, request: DirectEnvelope) {
        request.refuse(Term::atom("handle_direct_not_implemented"));
    }

    /// A saga that stops cancels its transactions with its stop reason (its workers, parents
    /// and next sagas are told, its `handle_tx_cancel` runs), then the user's `terminate`.
    async fn terminate(&mut self, ctx: &mut Context, reason: &Term) {
        let txs: Vec<TxId> = self.core.table.txs.keys().cloned().collect();
        for tx in txs {
            self.core
                .cancel(ctx, &tx, reason.clone(), CancelSource::Local);
        }
        let _ = self.drain(ctx).await;
        self.user.terminate(ctx, reason).await;
    }
}

impl Node {
    /// Starts a saga (a gen_server running `S`'s callbacks and the saga machinery) and waits
    /// until its `init` has run.
    pub async fn start_saga<S: GenSaga>(
        &self,
        args: S::Args,
        options: SpawnOptions,
    ) -> Result<Pid, SpawnError> {
        self.start_server::<SagaServer<S>>(args, options).await
    }
}
