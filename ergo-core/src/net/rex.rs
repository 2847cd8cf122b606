//! The `rex` process every Erlang node has (the `rpc` server), as far as peers use it: rex's
//! `{Pid, features_request}` on connect gets `{features_reply, ThisNode, [erpc]}` so nothing
//! waits on it, and the old rex protocol still works: `gen_server:call(rex, {call, M, F, A,
//! GL})` replies what `catch apply(M, F, A)` gives (`{badrpc, {'EXIT', ...}}` on failure) and
//! `gen_server:cast(rex, {cast, M, F, A, GL})` runs the function. A call that finishes on its
//! first poll is answered by rex at once; one that waits goes on in a process of its own
//! (`rpc::start`). `rpc:block_call` (`{block_call, M, F, A, GL}`) is answered the same way, but
//! rex serves nothing else until it is done, as Erlang's rex, which runs it in its own process:
//! what arrives meanwhile waits in rex, in order. A call of another shape is answered
//! `{badrpc, notsup}` (Erlang's rex would never answer it); a cast or message of another shape
//! is logged and ignored. Owns this server only; the messages' shapes are `rex_protocol.rs`'s,
//! what a function is and does `rpc.rs`'s.

use std::collections::VecDeque;

use ergo_etf::{FromTerm, IntoTerm, Pid, Reference, Term};

use super::rex_protocol::{Apply, BadRpc, BadRpcReason, Feature, FeaturesAsk, FeaturesReply};
use super::rpc::{self, Outcome};
use crate::node::Context;
use crate::node::SpawnError;
use crate::node::{Node, SpawnOptions};
use crate::process::Envelope;
use crate::process::ReplyTo;

/// What `catch apply(M, F, A)` returns, wrapped as rex does.
fn catch_result(outcome: Outcome) -> Term {
    let exit = |reason: Term| BadRpc(BadRpcReason::Exit(reason)).into_term();
    match outcome {
        Outcome::Return(value) | Outcome::Throw(value) => value,
        Outcome::Exit(reason) => exit(reason),
        Outcome::Error { reason, stack } => exit((reason, stack).into_term()),
    }
}

/// Serves `{call, ...}` and `{block_call, ...}`. For a block call whose function goes on in a
/// process of its own, returns that process's monitor: rex is blocked until it goes down.
fn run_call(ctx: &Context, from: ReplyTo, request: Term) -> Option<Reference> {
    let (m, f, a, blocks) = match Apply::from_term(request) {
        Ok(Apply::Call {
            module,
            function,
            args,
            ..
        }) => (module, function, args, false),
        Ok(Apply::BlockCall {
            module,
            function,
            args,
            ..
        }) => (module, function, args, true),
        _ => {
            from.reply(BadRpc(BadRpcReason::Notsup).into_term());
            return None;
        }
    };
    let node = ctx.node();
    let call = match rpc::start(node, m, f, a) {
        Ok(call) => call,
        Err(outcome) => {
            from.reply(catch_result(outcome));
            return None;
        }
    };
    let spawned = node.spawn_behaviour("rpc", SpawnOptions::default(), move |ctx| async move {
        from.reply(catch_result(call.run(ctx).await));
        Term::atom("normal")
    });
    match spawned {
        Ok(worker) if blocks => Some(ctx.monitor(worker)),
        Ok(_) => None,
        Err(err) => {
            tracing::debug!(%err, "rex call not run");
            None
        }
    }
}

fn run_cast(node: &Node, request: Term) {
    let (m, f, a) = match Apply::from_term(request) {
        Ok(Apply::Cast {
            module,
            function,
            args,
            ..
        }) => (module, function, args),
        other => {
            tracing::debug!(request = ?other, "rex cast not understood");
            return;
        }
    };
    let call = match rpc::start(node, m, f, a) {
        Ok(call) => call,
        Err(outcome) => return cast_failed(outcome),
    };
    let spawned = node.spawn_behaviour("rpc", SpawnOptions::default(), move |ctx| async move {
        cast_failed(call.run(ctx).await);
        Term::atom("normal")
    });
    if let Err(err) = spawned {
        tracing::debug!(%err, "rex cast not run");
    }
}

/// Logs a cast's error; nobody waits for its outcome.
fn cast_failed(outcome: Outcome) {
    if let Outcome::Error { reason, .. } = outcome {
        tracing::warn!(%reason, "rex cast failed");
    }
}

fn features_request(ctx: &Context, message: Term) {
    match FeaturesAsk::from_term(message) {
        Ok((asker, _)) => {
            let reply = FeaturesReply {
                node: ctx.node().name().clone(),
                features: vec![Feature::Erpc],
            };
            let _ = ctx.send(asker, reply.into_term());
        }
        Err(error) => tracing::debug!(%error, "rex: message ignored"),
    }
}

/// Serves one envelope; returns the monitor of a block call that now blocks rex.
fn serve(ctx: &Context, envelope: Envelope) -> Option<Reference> {
    match envelope {
        Envelope::Message(payload) => features_request(ctx, payload.into_term()),
        Envelope::Call { from, request } => return run_call(ctx, from, request.into_term()),
        Envelope::Cast(request) => run_cast(ctx.node(), request.into_term()),
        _ => {}
    }
    None
}

/// Starts the registered `rex` process.
pub(crate) fn start(node: &Node) -> Result<Pid, SpawnError> {
    node.spawn_behaviour("rex", SpawnOptions::named("rex"), |mut ctx| async move {
        // The block call being served, and what came in meanwhile.
        let mut blocked: Option<Reference> = None;
        let mut waiting: VecDeque<Envelope> = VecDeque::new();
        loop {
            let envelope = match ctx.recv().await {
                Err(reason) => return reason,
                Ok(envelope) => envelope,
            };
            match (&blocked, envelope) {
                (Some(worker), Envelope::Down(down)) if down.reference == *worker => {
                    blocked = None;
                }
                (Some(_), envelope) => waiting.push_back(envelope),
                (None, envelope) => blocked = serve(&ctx, envelope),
            }
            while blocked.is_none() {
                let Some(envelope) = waiting.pop_front() else {
                    break;
                };
                blocked = serve(&ctx, envelope);
            }
        }
    })
}
