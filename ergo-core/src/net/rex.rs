//! The `rex` process every Erlang node has (the `rpc` server), as far as peers use it: rex's
//! `{Pid, features_request}` on connect gets `{features_reply, ThisNode, [erpc]}` so nothing
//! waits on it, and the old rex protocol still works: `gen_server:call(rex, {call, M, F, A,
//! GL})` replies what `catch apply(M, F, A)` gives (`{badrpc, {'EXIT', ...}}` on failure) and
//! `gen_server:cast(rex, {cast, M, F, A, GL})` runs the function. A call that finishes on its
//! first poll is answered by rex at once; one that waits goes on in a process of its own
//! (`rpc::start`). A call of another shape is answered `{badrpc, notsup}`; a cast or message of
//! another shape is logged and ignored. Owns this server only; the messages' shapes are
//! `rex_protocol.rs`'s, what a function is and does `rpc.rs`'s.

use ergo_etf::{FromTerm, IntoTerm, Pid, Term};

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

fn run_call(node: &Node, from: ReplyTo, request: Term) {
    let (m, f, a) = match Apply::from_term(request) {
        Ok(Apply::Call {
            module,
            function,
            args,
            ..
        }) => (module, function, args),
        _ => {
            from.reply(BadRpc(BadRpcReason::Notsup).into_term());
            return;
        }
    };
    let call = match rpc::start(node, m, f, a) {
        Ok(call) => call,
        Err(outcome) => {
            from.reply(catch_result(outcome));
            return;
        }
    };
    let spawned = node.spawn_behaviour("rpc", SpawnOptions::default(), move |ctx| async move {
        from.reply(catch_result(call.run(ctx).await));
        Term::atom("normal")
    });
    if let Err(err) = spawned {
        tracing::debug!(%err, "rex call not run");
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

/// Starts the registered `rex` process.
pub(crate) fn start(node: &Node) -> Result<Pid, SpawnError> {
    node.spawn_behaviour("rex", SpawnOptions::named("rex"), |mut ctx| async move {
        loop {
            match ctx.recv().await {
                Err(reason) => return reason,
                Ok(Envelope::Message(payload)) => features_request(&ctx, payload.into_term()),
                Ok(Envelope::Call { from, request }) => {
                    run_call(ctx.node(), from, request.into_term())
                }
                Ok(Envelope::Cast(request)) => run_cast(ctx.node(), request.into_term()),
                Ok(_) => {}
            }
        }
    })
}
