//! OTP's system messages to a gen_server, `{system, From, Request}` (what `sys:get_state/1`,
//! `sys:get_status/1` send), answered by the run loop so Erlang's tools can look into a Rust
//! server: `get_state` answers the state, as [`GenServer::format_state`], `get_status` the
//! `{status, Pid, {module, gen_server}, [PDict, running, Parent, [], Misc]}` OTP's gen_server
//! gives. What the run loop cannot do (`suspend`, `replace_state` with an Erlang fun...) is
//! answered `{error, {not_supported, Request}}`, never pretended. Owns the recognition and the
//! answers; must not run the server's other callbacks.

use ergo_etf::{Charlist, Pid, Term};

use super::GenServer;
use crate::node::Context;
use crate::process::{Payload, ReplyTo};

/// A system message: who asked, and what.
pub(crate) struct SystemRequest {
    from: ReplyTo,
    request: Term,
}

/// `{system, {Pid, Tag}, Request}` as a system request, or the payload back untouched. Only a
/// term payload can be one (a typed local message is the server's own).
pub(crate) fn recognise(ctx: &Context, payload: Payload) -> Result<SystemRequest, Payload> {
    let Payload::Term(term) = payload else {
        return Err(payload);
    };
    let is_system = matches!(term.as_tuple(), Some([tag, from, _])
        if tag.is_atom("system")
            && matches!(from.as_tuple(), Some([Term::Pid(_), _])));
    if !is_system {
        return Err(Payload::Term(term));
    }
    let Term::Tuple(mut elems) = term else {
        return Err(Payload::Term(term));
    };
    let request = elems.pop().unwrap_or_else(Term::nil);
    let from = elems.pop().unwrap_or_else(Term::nil);
    let Term::Tuple(mut from) = from else {
        return Err(Payload::Term(Term::nil()));
    };
    let tag = from.pop().unwrap_or_else(Term::nil);
    let Some(Term::Pid(caller)) = from.pop() else {
        return Err(Payload::Term(Term::nil()));
    };
    Ok(SystemRequest {
        from: ReplyTo::remote(ctx.node().reply_route(), caller, tag),
        request,
    })
}

/// Answers a system request for `state`.
pub(super) fn answer<S: GenServer>(
    ctx: &Context,
    state: &S,
    parent: Option<&Pid>,
    system: SystemRequest,
) {
    answer_with(ctx, &|| state.format_state(), parent, system)
}

/// Answers a system request for a process whose state `format_state` shows (any behaviour run
/// by a loop of this crate: gen_server, gen_stage).
pub(crate) fn answer_with(
    ctx: &Context,
    format_state: &dyn Fn() -> Term,
    parent: Option<&Pid>,
    system: SystemRequest,
) {
    let SystemRequest { from, request } = system;
    // The process answers get_state with the state itself; sys:get_state/1 returns it as is.
    let reply = if request.is_atom("get_state") {
        format_state()
    } else if request.is_atom("get_status") {
        status(ctx, format_state, parent)
    } else {
        tracing::debug!(%request, "gen_server: system request not supported");
        Term::tuple(vec![
            Term::atom("error"),
            Term::tuple(vec![Term::atom("not_supported"), request]),
        ])
    };
    from.reply(reply);
}

/// What `sys:get_status/1` returns for an OTP gen_server, with this server's state.
fn status(ctx: &Context, format_state: &dyn Fn() -> Term, parent: Option<&Pid>) -> Term {
    let me = ctx.pid().clone();
    let parent = parent
        .cloned()
        .map(Term::Pid)
        .unwrap_or_else(|| Term::Pid(me.clone()));
    let name = ctx
        .node()
        .process_info(&me)
        .and_then(|info| info.name)
        .map(|name| name.as_str().to_string())
        .unwrap_or_else(|| Term::Pid(me.clone()).to_string());
    let pair = |key: &str, value: Term| Term::tuple(vec![Charlist::encode(key), value]);
    let misc = Term::list(vec![
        Term::tuple(vec![
            Term::atom("header"),
            Charlist::encode(&format!("Status for generic server {name}")),
        ]),
        Term::tuple(vec![
            Term::atom("data"),
            Term::list(vec![
                pair("Status", Term::atom("running")),
                pair("Parent", parent.clone()),
                pair("Logged events", Term::nil()),
            ]),
        ]),
        Term::tuple(vec![
            Term::atom("data"),
            Term::list(vec![pair("State", format_state())]),
        ]),
    ]);
    Term::tuple(vec![
        Term::atom("status"),
        Term::Pid(me),
        Term::tuple(vec![Term::atom("module"), Term::atom("gen_server")]),
        Term::list(vec![
            Term::nil(),
            Term::atom("running"),
            parent,
            Term::nil(),
            misc,
        ]),
    ])
}
