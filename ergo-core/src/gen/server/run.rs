//! The gen_server run loop and starting a server: init with acknowledgement, then dispatch of
//! calls, casts, direct requests and infos until a callback stops it (terminate runs), its
//! parent's exit signal arrives while it traps exits (terminate runs, as OTP's gen_server does
//! for `{'EXIT', Parent, Reason}`), or an exit signal kills it (no terminate). Must not interpret
//! typed messages (the `GenServer` impl does).

use ergo_etf::{Atom, Pid, Term};

use super::system::{Intercepted, SystemState};
use super::{CallOutcome, GenServer, Init, Status};
use crate::node::Context;
use crate::node::InspectProcess;
use crate::node::SpawnError;
use crate::node::{Node, SpawnOptions};
use crate::process::{panic_reason, CatchUnwind, Envelope, Payload};

type Ack = tokio::sync::oneshot::Sender<Result<(), SpawnError>>;

/// `parent` is the process that started the server linked to itself (a supervisor, an
/// application master, any `SpawnOptions::link` starter): OTP's `Parent`.
async fn run<S: GenServer>(mut ctx: Context, args: S::Args, parent: Option<Pid>, ack: Ack) -> Term {
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
    ctx.set_kind("gen_server", true);
    let mut system = SystemState::default();
    loop {
        let envelope = match system.next(&mut ctx).await {
            Ok(e) => e,
            // An exit signal kills the server where it stands (untrapped, or `kill`): as in OTP,
            // no code of its own runs.
            Err(reason) => return reason,
        };
        let envelope = match envelope {
            // The inspect API's question is answered in any state, suspended too: it changes
            // nothing.
            Envelope::Direct(request) if request.is::<InspectProcess>() => {
                if let Ok((InspectProcess, reply)) = request.take::<InspectProcess>() {
                    reply.reply(state.inspect());
                }
                continue;
            }
            other => other,
        };
        let intercepted = {
            let format_state = || state.format_state();
            system.intercept(&ctx, envelope, parent.as_ref(), &format_state)
        };
        let envelope = match intercepted {
            Intercepted::Pass(envelope) => envelope,
            Intercepted::Handled => continue,
            Intercepted::Terminate(reason) => {
                state.terminate(&mut ctx, &reason).await;
                return reason;
            }
        };
        let status = match envelope {
            // A trapped exit signal from the parent is an order to stop: terminate with its
            // reason and exit with it; handle_info never sees it.
            Envelope::Exit(exit) if parent.as_ref() == Some(&exit.from) => {
                Status::Stop(exit.reason)
            }
            Envelope::Call { from, request } => {
                let keep = from.clone();
                let timed = ctx.call_starts().then(std::time::Instant::now);
                let outcome = state.handle_call(&mut ctx, request, from).await;
                if let Some(started) = timed {
                    ctx.call_took(started.elapsed());
                }
                match outcome {
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
                        tracing::debug!(%reason, "call refused");
                        keep.refuse(reason);
                        Status::Continue
                    }
                }
            }
            Envelope::Cast(request) => state.handle_cast(&mut ctx, request).await,
            Envelope::Direct(request) => {
                state.handle_direct(&mut ctx, request).await;
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
    /// Starts a gen_server and waits until its `init` has run (like `gen_server:start`). With
    /// `options.link` set, that pid is the server's parent (like `gen_server:start_link` from
    /// it): while the server traps exits, the parent's exit signal runs `terminate` with its
    /// reason and the server exits with that reason.
    pub async fn start_server<S: GenServer>(
        &self,
        args: S::Args,
        options: SpawnOptions,
    ) -> Result<Pid, SpawnError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let parent = options.link.clone();
        let pid = self.spawn_behaviour(std::any::type_name::<S>(), options, move |ctx| {
            run::<S>(ctx, args, parent, tx)
        })?;
        match rx.await {
            Ok(Ok(())) => Ok(pid),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SpawnError::InitFailed(Term::atom("killed"))),
        }
    }
}
