//! Answering another node's SPAWN_REQUEST (`spawn_request/5`, and `erpc`/`rpc`, which send their
//! calls this way): `erpc:execute_call/4` and `erpc:execute_cast/3` run a provided function
//! (`rpc.rs`) as a process whose exit reason carries the result; any other `{M, F}` starts the
//! Rust process made spawnable under that name (`Node::make_spawnable`), and an unknown one is
//! a process that exits with `{undef, [{M, F, Args, []}]}`, exactly as on an Erlang node.
//!
//! A request whose exit reason is known before any process would run (an unknown name, bad
//! `erpc` arguments, a provided function that finished on its first poll here) is answered at
//! once, as for a process that exited straight away: SPAWN_REPLY with a fresh pid, then the
//! `link` and `monitor` options' EXIT and DOWN. Otherwise the new process itself sets up those
//! options and sends SPAWN_REPLY before it runs anything, so its exit can never overtake the
//! reply.
//!
//! Owns the spawnable registry and this answer; must not manage connections.

use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;

use ergo_etf::{Atom, Pid, Reference, Term};

use super::incoming::Peer;
use super::rpc::{self, Outcome, PendingCall};
use super::NetError;
use crate::dist::{ControlMessage, ProcessRef, SpawnRequestFields};
use crate::fast_hash::FxHashMap;
use crate::node::Context;
use crate::node::{MonitorTarget, Node, RemoteSignal, SpawnOptions};

/// SPAWN_REPLY flag: the link was set up.
const FLAG_LINK: u8 = 1;
/// SPAWN_REPLY flag: the monitor was set up.
const FLAG_MONITOR: u8 = 2;

type SpawnFuture = Pin<Box<dyn Future<Output = Term> + Send>>;
type SpawnFn = std::sync::Arc<dyn Fn(Context, Vec<Term>) -> SpawnFuture + Send + Sync>;

/// The Rust processes other nodes may start with `spawn_request(Node, M, F, Args, Opts)`.
#[derive(Default)]
pub(crate) struct Spawnables {
    entries: RwLock<FxHashMap<(Atom, Atom), SpawnFn>>,
}

impl Spawnables {
    fn get(&self, module: &Atom, function: &Atom) -> Option<SpawnFn> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(module.clone(), function.clone()))
            .cloned()
    }
}

/// The work of a requested process.
enum Job {
    /// `erpc:execute_call(Ref, M, F, A)` under way; the reason will be `{Ref, Class, ...}`.
    Call { reference: Term, call: PendingCall },
    /// `erpc:execute_cast(M, F, A)` under way.
    Cast {
        module: Atom,
        function: Atom,
        call: PendingCall,
    },
    /// A spawnable Rust process.
    Spawnable(SpawnFn, Vec<Term>),
}

fn proper_list(term: Term) -> Option<Vec<Term>> {
    match term {
        Term::List(items) => Some(items),
        _ => None,
    }
}

/// What a request comes to: the new process's work, or `Err` with its exit reason when that is
/// known before any process would run (an unknown name, bad `erpc` arguments, or a provided
/// function that finished on its first poll).
fn job_of(node: &Node, module: Atom, function: Atom, args: Vec<Term>) -> Result<Job, Term> {
    match (module.as_str(), function.as_str(), args.len()) {
        ("erpc", "execute_call", 4) => {
            let mut it = args.into_iter();
            let (Some(reference), Some(m), Some(f), Some(a)) =
                (it.next(), it.next(), it.next(), it.next())
            else {
                return Err(bad_call(Term::nil()));
            };
            match (m, f, proper_list(a)) {
                (Term::Atom(module), Term::Atom(function), Some(args)) => {
                    match rpc::start(node, module, function, args) {
                        Ok(call) => Ok(Job::Call { reference, call }),
                        Err(outcome) => Err(outcome.into_erpc_reason(reference)),
                    }
                }
                _ => Err(bad_call(reference)),
            }
        }
        ("erpc", "execute_cast", 3) => {
            let mut it = args.into_iter();
            match (it.next(), it.next(), it.next().and_then(proper_list)) {
                (Some(Term::Atom(module)), Some(Term::Atom(function)), Some(args)) => {
                    match rpc::start(node, module.clone(), function.clone(), args) {
                        Ok(call) => Ok(Job::Cast {
                            module,
                            function,
                            call,
                        }),
                        Err(outcome) => Err(cast_reason(&module, &function, outcome)),
                    }
                }
                (m, f, a) => {
                    tracing::warn!(?m, ?f, ?a, "erpc cast with bad arguments ignored");
                    Err(Term::tuple(vec![Term::atom("erpc"), Term::atom("badarg")]))
                }
            }
        }
        _ => match node
            .net_manager()
            .and_then(|net| net.spawnables.get(&module, &function))
        {
            Some(f) => Ok(Job::Spawnable(f, args)),
            None => {
                tracing::debug!(%module, %function, "spawn_request of an unknown function");
                Err(Term::tuple(vec![
                    Term::atom("undef"),
                    Term::list(vec![Term::tuple(vec![
                        Term::Atom(module),
                        Term::Atom(function),
                        Term::list(args),
                        Term::nil(),
                    ])]),
                ]))
            }
        },
    }
}

/// `erpc:execute_call` with arguments it cannot apply: `{Ref, error, {erpc, badarg}}`.
fn bad_call(reference: Term) -> Term {
    Term::tuple(vec![
        reference,
        Term::atom("error"),
        Term::tuple(vec![Term::atom("erpc"), Term::atom("badarg")]),
    ])
}

/// The exit reason of an `erpc:execute_cast` process.
fn cast_reason(module: &Atom, function: &Atom, outcome: Outcome) -> Term {
    match outcome {
        Outcome::Return(_) => Term::atom("normal"),
        Outcome::Error { reason, stack } => {
            tracing::warn!(%module, %function, %reason, "erpc cast failed");
            Term::tuple(vec![
                Term::atom("exception"),
                Term::tuple(vec![reason, stack]),
            ])
        }
        Outcome::Exit(reason) => reason,
        Outcome::Throw(value) => {
            tracing::warn!(%module, %function, %value, "erpc cast threw");
            Term::tuple(vec![
                Term::tuple(vec![Term::atom("nocatch"), value]),
                Term::nil(),
            ])
        }
    }
}

async fn run(ctx: Context, job: Job) -> Term {
    match job {
        Job::Call { reference, call } => call.run(ctx).await.into_erpc_reason(reference),
        Job::Cast {
            module,
            function,
            call,
        } => cast_reason(&module, &function, call.run(ctx).await),
        Job::Spawnable(f, args) => f(ctx, args).await,
    }
}

/// The `link` and `monitor` options of a request.
fn options(opts: &Term) -> (bool, bool) {
    let mut link = false;
    let mut monitor = false;
    if let Term::List(items) = opts {
        for item in items {
            match item {
                Term::Atom(a) if a.as_str() == "link" => link = true,
                Term::Atom(a) if a.as_str() == "monitor" => monitor = true,
                Term::Tuple(t) if t.len() == 2 && t[0].is_atom("monitor") => monitor = true,
                _ => {}
            }
        }
    }
    (link, monitor)
}

fn reply(peer: &Peer<'_>, req_id: Reference, to: Pid, flags: u8, result: Term) {
    answer(
        peer,
        ControlMessage::SpawnReply {
            req_id,
            to,
            flags,
            result: Box::new(result),
        },
    );
}

/// Queues an answer on the connection the request came in on.
fn answer(peer: &Peer<'_>, message: ControlMessage) {
    if let Err(err) = peer.sender.queue(message, None) {
        tracing::debug!(peer = %peer.name, %err, "answer to a spawn request not sent");
    }
}

/// Answers a request whose process has nothing to run: it is given a pid that no process
/// will ever have, as if it had started and exited at once, and the `link` and `monitor`
/// options fire with `reason` straight after SPAWN_REPLY (EXIT, then DOWN), on the connection
/// the request came in on, just as the exit of a process that ran would fire them (in the
/// forms `outgoing::translate` gives a link's exit and a DOWN). A message sent to that pid is
/// dropped, as one to any exited process.
fn answer_ended(
    node: &Node,
    peer: &Peer<'_>,
    req_id: Reference,
    from: Pid,
    (link, monitor): (bool, bool),
    reason: Term,
) {
    let me = node.make_pid();
    let flags = if link { FLAG_LINK } else { 0 } | if monitor { FLAG_MONITOR } else { 0 };
    reply(
        peer,
        req_id.clone(),
        from.clone(),
        flags,
        Term::Pid(me.clone()),
    );
    if link {
        answer(
            peer,
            ControlMessage::Exit {
                from: me.clone(),
                to: from.clone(),
                reason: reason.clone(),
            },
        );
    }
    if monitor {
        answer(
            peer,
            ControlMessage::MonitorPExit {
                target: ProcessRef::Pid(me),
                to: from,
                reference: req_id,
                reason: Box::new(reason),
            },
        );
    }
}

/// Answers one SPAWN_REQUEST from `peer`; `args` is its payload.
pub(crate) fn serve(node: &Node, peer: &Peer<'_>, request: SpawnRequestFields, args: Option<Term>) {
    let SpawnRequestFields {
        req_id,
        from,
        module,
        function,
        opts,
        ..
    } = request;
    let Some(args) = args.and_then(proper_list) else {
        reply(peer, req_id, from, 0, Term::atom("badarg"));
        return;
    };
    let (link, monitor) = options(&opts);
    let job = match job_of(node, module, function, args) {
        Ok(job) => job,
        Err(reason) => return answer_ended(node, peer, req_id, from, (link, monitor), reason),
    };
    // The new process answers the request itself before it runs the job, so its exit can never
    // overtake the reply, and the reader wakes one task, not two (which on a multi-threaded
    // runtime would pull in another worker for every request).
    let (sender, requester) = (peer.sender.clone(), peer.name.clone());
    let (reply_req_id, reply_to) = (req_id.clone(), from.clone());
    let spawned = node.spawn_behaviour(
        "spawn_request",
        SpawnOptions::default(),
        move |ctx| async move {
            let me = ctx.pid().clone();
            let node = ctx.node();
            let mut flags = 0;
            if link {
                node.deliver_signal(RemoteSignal::Link {
                    from: from.clone(),
                    to: me.clone(),
                });
                flags |= FLAG_LINK;
            }
            if monitor {
                node.deliver_signal(RemoteSignal::Monitor {
                    from: from.clone(),
                    target: MonitorTarget::Pid(me.clone()),
                    reference: req_id.clone(),
                });
                flags |= FLAG_MONITOR;
            }
            let reply = ControlMessage::SpawnReply {
                req_id,
                to: from,
                flags,
                result: Box::new(Term::Pid(me)),
            };
            if let Err(err) = sender.queue(reply, None) {
                tracing::debug!(peer = %requester, %err, "SPAWN_REPLY not sent");
                return Term::atom("noconnection");
            }
            run(ctx, job).await
        },
    );
    if let Err(err) = spawned {
        tracing::warn!(peer = %peer.name, %err, "spawn_request refused");
        reply(peer, reply_req_id, reply_to, 0, Term::atom("system_limit"));
    }
}

impl Node {
    /// Lets other nodes start a Rust process with `spawn_request(ThisNode, Module, Function,
    /// Args, Opts)` (and `spawn/4`, `spawn_link/4`, `spawn_monitor/4`): `f` gets the new
    /// process's [`Context`] and `Args`, and its output is the exit reason. The `link` and
    /// `monitor` options work as in Erlang. Making the same name spawnable again replaces it.
    pub fn make_spawnable<F, Fut>(&self, module: &str, function: &str, f: F) -> Result<(), NetError>
    where
        F: Fn(Context, Vec<Term>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        let net = self.net()?;
        let key = (
            Atom::try_new(module).ok_or_else(|| NetError::NotAnAtom {
                what: "module",
                text: module.to_string(),
            })?,
            Atom::try_new(function).ok_or_else(|| NetError::NotAnAtom {
                what: "function",
                text: function.to_string(),
            })?,
        );
        let f: SpawnFn =
            std::sync::Arc::new(move |ctx, args| Box::pin(f(ctx, args)) as SpawnFuture);
        net.spawnables
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, f);
        Ok(())
    }

    /// Withdraws a spawnable name: later requests start a process that exits with `undef`.
    /// True if the name was spawnable.
    pub fn revoke_spawnable(&self, module: &str, function: &str) -> bool {
        let (Some(net), Some(m), Some(f)) = (
            self.net_manager(),
            Atom::try_new(module),
            Atom::try_new(function),
        ) else {
            return false;
        };
        let removed = net
            .spawnables
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(m, f));
        removed.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_and_monitor_options() {
        let opts = |text: &str| options(&text.parse::<Term>().expect("a term literal"));
        assert_eq!(opts("[]"), (false, false));
        assert_eq!(opts("[link]"), (true, false));
        assert_eq!(opts("[monitor]"), (false, true));
        assert_eq!(
            opts("[{monitor,[{tag,t}]},link,{priority,high}]"),
            (true, true)
        );
        assert_eq!(opts("not_a_list"), (false, false));
    }
}
