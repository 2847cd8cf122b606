//! The gen_server run loop and starting a server: init with acknowledgement, then dispatch of
//! calls, casts, direct requests and infos until a stop or an exit signal, then terminate. Must
//! not interpret typed messages (the `GenServer` impl does).

use ergo_etf::{Atom, Pid, Term};

use super::{CallOutcome, GenServer, Init, Status};
use crate::error::SpawnError;
use crate::node::{Node, SpawnOptions};
use crate::process::{panic_reason, CatchUnwind, Context, Envelope, Payload};

type Ack = tokio::sync::oneshot::Sender<Result<(), SpawnError>>;

async fn run<S: GenServer>(mut ctx: Context, args: S::Args, ack: Ack) -> Term {
    let init = {
        let init = std::pin::pin!(S::init(&mut ctx, args));
        CatchUnwind::new(init).await
    };
    let mut state = match init {
        Ok(Init::Ok(s)) => {
            let _ = ack.send(Ok(()));
            s
        }
        Ok(Init::Ignore) => {
            let _ = ack.send(Err(SpawnError::Ignored));
            return Term::atom("normal");
        }
        Ok(Init::Stop(reason)) => {
            let _ = ack.send(Err(SpawnError::InitFailed(reason.clone())));
            return reason;
        }
        Err(message) => {
            let reason = panic_reason(&message);
            let _ = ack.send(Err(SpawnError::InitFailed(reason.clone())));
            return reason;
        }
    };
    loop {
        let envelope = match ctx.recv().await {
            Ok(e) => e,
            Err(reason) => {
                if !reason.is_atom("killed") {
                    state.terminate(&mut ctx, &reason).await;
                }
                return reason;
            }
        };
        let status = match envelope {
            Envelope::Call { from, request } => {
                let keep = from.clone();
                match state.handle_call(&mut ctx, request, from).await {
                    CallOutcome::Reply(p) => {
                        keep.reply_payload(p);
                        Status::Continue
                    }
                    CallOutcome::NoReply => Status::Continue,
                    CallOutcome::Stop(reason, reply) => {
                        if let Some(p) = reply {
                            keep.reply_payload(p);
                        }
                        Status::Stop(reason)
                    }
                    CallOutcome::Refuse(request) => {
                        let reason =
                            Term::tuple(vec![Term::Atom(Atom::new("bad_request")), request]);
                        tracing::warn!(%reason, "call refused");
                        keep.refuse(reason);
                        Status::Continue
                    }
                }
            }
            Envelope::Cast(request) => state.handle_cast(&mut ctx, request).await,
            Envelope::Direct { request, reply } => {
                let result = state.handle_direct(&mut ctx, request).await;
                let _ = reply.send(result);
                Status::Continue
            }
            Envelope::Message(p) => state.handle_info(&mut ctx, p).await,
            other => {
                state
                    .handle_info(&mut ctx, Payload::Term(other.into_term()))
                    .await
            }
        };
        if let Status::Stop(reason) = status {
            state.terminate(&mut ctx, &reason).await;
            return reason;
        }
    }
}

impl Node {
    /// Starts a gen_server and waits until its `init` has run (like `gen_server:start`).
    pub async fn start_server<S: GenServer>(
        &self,
        args: S::Args,
        options: SpawnOptions,
    ) -> Result<Pid, SpawnError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pid = self.spawn_behaviour(std::any::type_name::<S>(), options, move |ctx| {
            run::<S>(ctx, args, tx)
        })?;
        match rx.await {
            Ok(Ok(())) => Ok(pid),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SpawnError::InitFailed(Term::atom("killed"))),
        }
    }
}
