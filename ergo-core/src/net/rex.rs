//! The `rex` process every Erlang node has (the `rpc` server), as far as peers use it: rex's
//! `{Pid, features_request}` on connect gets `{features_reply, ThisNode, [erpc]}` so nothing
//! waits on it, and the old rex protocol still works: `gen_server:call(rex, {call, M, F, A,
//! GL})` replies what `catch apply(M, F, A)` gives (`{badrpc, {'EXIT', ...}}` on failure) and
//! `gen_server:cast(rex, {cast, M, F, A, GL})` runs the function. A call that finishes on its
//! first poll is answered by rex at once; one that waits goes on in a process of its own
//! (`rpc::start`). Owns this server only; what a function is and does is `rpc.rs`'s.

use ergo_etf::{Atom, Pid, Term};

use super::rpc::{self, Outcome};
use crate::node::Context;
use crate::node::SpawnError;
use crate::node::{Node, SpawnOptions};
use crate::process::Envelope;
use crate::process::ReplyTo;

/// `{call|cast, M, F, A, GL}` as module, function and arguments.
fn mfa(request: Term, tag: &str) -> Option<(Atom, Atom, Vec<Term>)> {
    match request {
        Term::Tuple(elems) if elems.len() == 5 && elems[0].is_atom(tag) => {
            let mut it = elems.into_iter().skip(1);
            match (it.next(), it.next(), it.next()) {
                (Some(Term::Atom(m)), Some(Term::Atom(f)), Some(Term::List(a))) => Some((m, f, a)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// What `catch apply(M, F, A)` returns, wrapped as rex does.
fn catch_result(outcome: Outcome) -> Term {
    let exit = |reason: Term| {
        Term::tuple(vec![
            Term::atom("badrpc"),
            Term::tuple(vec![Term::atom("EXIT"), reason]),
        ])
    };
    match outcome {
        Outcome::Return(value) | Outcome::Throw(value) => value,
        Outcome::Exit(reason) => exit(reason),
        Outcome::Error { reason, stack } => exit(Term::tuple(vec![reason, stack])),
    }
}

fn run_call(node: &Node, from: ReplyTo, request: Term) {
    let Some((m, f, a)) = mfa(request, "call") else {
        from.reply(Term::tuple(vec![
            Term::atom("badrpc"),
            Term::atom("notsup"),
        ]));
        return;
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
    let Some((m, f, a)) = mfa(request, "cast") else {
        tracing::debug!("rex cast not understood");
        return;
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
    if let Term::Tuple(elems) = &message {
        if let [Term::Pid(asker), what] = elems.as_slice() {
            if what.is_atom("features_request") {
                let reply = Term::tuple(vec![
                    Term::atom("features_reply"),
                    Term::Atom(ctx.node().name().clone()),
                    Term::list(vec![Term::atom("erpc")]),
                ]);
                let _ = ctx.send(Pid::clone(asker), reply);
                return;
            }
        }
    }
    tracing::debug!(%message, "rex: message ignored");
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
