//! OTP's system messages to a gen_server (and a gen_stage), `{system, From, Request}` (what the `sys` module
//! sends), handled by the run loop so Erlang's tools can look into and steer a Rust server:
//!
//! - `get_state` answers the state as [`GenServer::format_state`]; `get_status` the
//!   `{status, Pid, {module, gen_server}, [PDict, running | suspended, Parent, [], Misc]}` OTP's
//!   gen_server gives;
//! - `suspend` / `resume`: while suspended the server handles only system messages and its
//!   parent's exit; everything else waits, in order, and is handled after `resume` (OTP leaves
//!   them in the mailbox; the effect is the same);
//! - `{debug, {trace, true | false}}` and `{debug, no_debug}`: with trace on, each message the
//!   server gets is logged (tracing target `ergo::sys`, level INFO), as OTP's `*DBG*` lines;
//! - `{terminate, Reason}` (`sys:terminate/2`): answered `ok`, then the server terminates.
//!
//! [`SystemState::intercept`] is the one entry for every behaviour run by a loop of this crate
//! (gen_server, gen_stage): it answers system messages, keeps the rest while suspended, and
//! hands everything else back to the behaviour.
//!
//! What the run loop cannot do (`replace_state` with an Erlang fun, `change_code`, the other
//! debug options) is answered `{error, {not_supported, Request}}`, never pretended. Owns the
//! recognition, the answers and the suspended/traced state; must not run the server's
//! callbacks other than `format_state`.

use std::collections::VecDeque;

use ergo_etf::{Charlist, Pid, Term};

use crate::node::Context;
use crate::process::{Envelope, Payload, ReplyTo};

/// A system message: who asked, and what.
struct SystemRequest {
    from: ReplyTo,
    request: Term,
}

/// `{system, {Pid, Tag}, Request}` as a system request, or the payload back untouched. Only a
/// term payload can be one (a typed local message is the server's own).
fn recognise(ctx: &Context, payload: Payload) -> Result<SystemRequest, Payload> {
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

/// What the run loop does after a system request was answered.
enum AfterSystem {
    /// Go on (running or suspended, as the request left it).
    Continue,
    /// `sys:terminate/2`: terminate with this reason.
    Terminate(Term),
}

/// What [`SystemState::intercept`] made of a message.
pub(crate) enum Intercepted {
    /// Not a system message, and the process is running (or it is its parent's exit): the
    /// behaviour handles it.
    Pass(Envelope),
    /// Answered, or kept for after `resume`.
    Handled,
    /// `sys:terminate/2`: the behaviour terminates with this reason.
    Terminate(Term),
}

/// The server's `sys` state: suspended or running, traced or not, and the messages that
/// arrived while it was suspended.
#[derive(Default)]
pub(crate) struct SystemState {
    suspended: bool,
    trace: bool,
    deferred: VecDeque<Envelope>,
}

impl SystemState {
    /// The next message to handle: those deferred while suspended come first, once resumed.
    pub(crate) async fn next(&mut self, ctx: &mut Context) -> Result<Envelope, Term> {
        if !self.suspended {
            if let Some(envelope) = self.deferred.pop_front() {
                return Ok(envelope);
            }
        }
        ctx.recv().await
    }

    /// Answers a system message, keeps any other message while suspended (but its parent's
    /// exit, which the behaviour handles in any state), and hands the rest back. `format_state`
    /// is the behaviour's view of its state, for `get_state` and `get_status`.
    pub(crate) fn intercept(
        &mut self,
        ctx: &Context,
        envelope: Envelope,
        parent: Option<&Pid>,
        format_state: &dyn Fn() -> Term,
    ) -> Intercepted {
        self.trace(ctx, &envelope);
        match envelope {
            Envelope::Message(payload) => match recognise(ctx, payload) {
                Ok(request) => match self.answer(ctx, format_state, parent, request) {
                    AfterSystem::Continue => Intercepted::Handled,
                    AfterSystem::Terminate(reason) => Intercepted::Terminate(reason),
                },
                Err(payload) if self.suspended => {
                    self.deferred.push_back(Envelope::Message(payload));
                    Intercepted::Handled
                }
                Err(payload) => Intercepted::Pass(Envelope::Message(payload)),
            },
            Envelope::Exit(ref exit) if parent == Some(&exit.from) => Intercepted::Pass(envelope),
            other if self.suspended => {
                self.deferred.push_back(other);
                Intercepted::Handled
            }
            other => Intercepted::Pass(other),
        }
    }

    /// Logs a message the server got, when traced.
    fn trace(&self, ctx: &Context, envelope: &Envelope) {
        if self.trace {
            tracing::info!(target: "ergo::sys", pid = ?ctx.pid(), event = ?envelope, "got");
        }
    }

    /// Answers a system request for a process whose state `format_state` shows.
    fn answer(
        &mut self,
        ctx: &Context,
        format_state: &dyn Fn() -> Term,
        parent: Option<&Pid>,
        system: SystemRequest,
    ) -> AfterSystem {
        let SystemRequest { from, request } = system;
        let ok = Term::atom("ok");
        let (reply, after) = if request.is_atom("get_state") {
            // sys:get_state/1 returns what the process answers, as is.
            (format_state(), AfterSystem::Continue)
        } else if request.is_atom("get_status") {
            (
                self.status(ctx, format_state, parent),
                AfterSystem::Continue,
            )
        } else if request.is_atom("suspend") {
            self.suspended = true;
            ctx.set_suspended(true);
            (ok, AfterSystem::Continue)
        } else if request.is_atom("resume") {
            self.suspended = false;
            ctx.set_suspended(false);
            (ok, AfterSystem::Continue)
        } else if let Some(flag) = trace_flag(&request) {
            self.trace = flag;
            (ok, AfterSystem::Continue)
        } else if let Some([tag, reason]) = request.as_tuple() {
            if tag.is_atom("terminate") {
                (ok, AfterSystem::Terminate(reason.clone()))
            } else {
                (not_supported(request), AfterSystem::Continue)
            }
        } else {
            (not_supported(request), AfterSystem::Continue)
        };
        from.reply(reply);
        after
    }

    /// What `sys:get_status/1` returns for an OTP gen_server, with this server's state.
    fn status(&self, ctx: &Context, format_state: &dyn Fn() -> Term, parent: Option<&Pid>) -> Term {
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
        let run_status = Term::atom(if self.suspended {
            "suspended"
        } else {
            "running"
        });
        let pair = |key: &str, value: Term| Term::tuple(vec![Charlist::encode(key), value]);
        let misc = Term::list(vec![
            Term::tuple(vec![
                Term::atom("header"),
                Charlist::encode(&format!("Status for generic server {name}")),
            ]),
            Term::tuple(vec![
                Term::atom("data"),
                Term::list(vec![
                    pair("Status", run_status.clone()),
                    pair("Parent", parent.clone()),
                    pair("Logged events", Term::nil()),
                ]),
            ]),
            Term::tuple(vec![
                Term::atom("data"),
                Term::list(vec![pair("State", format_state())]),
            ]),
        ]);
        // OTP's Debug list: `[{trace, true}]` when traced.
        let debug = if self.trace {
            Term::list(vec![Term::tuple(vec![
                Term::atom("trace"),
                Term::atom("true"),
            ])])
        } else {
            Term::nil()
        };
        Term::tuple(vec![
            Term::atom("status"),
            Term::Pid(me),
            Term::tuple(vec![Term::atom("module"), Term::atom("gen_server")]),
            Term::list(vec![Term::nil(), run_status, parent, debug, misc]),
        ])
    }
}

/// `{debug, {trace, Flag}}` (sys:trace/2) and `{debug, no_debug}` (sys:no_debug/1) as the new
/// trace flag.
fn trace_flag(request: &Term) -> Option<bool> {
    let [tag, what] = request.as_tuple()? else {
        return None;
    };
    if !tag.is_atom("debug") {
        return None;
    }
    if what.is_atom("no_debug") {
        return Some(false);
    }
    match what.as_tuple()? {
        [trace, flag] if trace.is_atom("trace") => match flag {
            f if f.is_atom("true") => Some(true),
            f if f.is_atom("false") => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn not_supported(request: Term) -> Term {
    tracing::debug!(%request, "gen_server: system request not supported");
    Term::tuple(vec![
        Term::atom("error"),
        Term::tuple(vec![Term::atom("not_supported"), request]),
    ])
}
