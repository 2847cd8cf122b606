//! The `global_name_server` process: its state, and the dispatch of what peers send (calls,
//! casts, plain messages) and what the Rust API asks (`handle_direct`) to the connect protocol
//! (`connect.rs`), the name table (`names.rs`) and the lock table (`locks.rs`). Must not
//! answer anything an Erlang `global_name_server` would not (an unknown call gets no reply, as
//! there).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ergo_etf::{Atom, Pid, Term};

use super::connect::Connect;
use super::locker::{self, Locker};
use super::locks::Locks;
use super::names::Names;
use super::Shared;
use crate::gen::server::{CallOutcome, GenServer, Init, Status};
use crate::node::Context;
use crate::process::ReplyTo;
use crate::process::{DirectEnvelope, DirectRequest, Payload};

/// What the Rust side asks of the server.
pub(crate) enum Request {
    /// `{set_lock, Id}` on behalf of a local `holder` (answer: `bool`).
    SetLock(Term, Pid),
    /// `{del_lock, Id}` on behalf of a local `holder` (answer: `bool`).
    DelLock(Term, Pid),
    /// `{register, Name, Pid, Method}` from local registrar `from` (answer: `bool`).
    Register {
        /// The name.
        name: Term,
        /// The process.
        pid: Pid,
        /// Its resolve method.
        method: Term,
        /// The registrar, which must hold the `global` lock.
        from: Pid,
    },
    /// `{unregister, Name}` (answer: `bool`).
    Unregister(Term),
}

impl DirectRequest for Request {
    type Reply = bool;
}

/// Asks the server for its shared view (the names and nodes readers see without a call).
pub(crate) struct SharedView;

impl DirectRequest for SharedView {
    type Reply = Arc<Shared>;
}

/// The server's state.
pub(crate) struct Server {
    pub(super) me: Pid,
    pub(super) shared: Arc<Shared>,
    /// Known nodes and their protocol versions (`global`'s `known` map, node keys).
    pub(super) known: BTreeMap<Atom, i64>,
    /// Nodes synced with.
    pub(super) synced: BTreeSet<Atom>,
    /// Connects in progress, by peer.
    pub(super) connects: HashMap<Atom, Connect>,
    pub(super) names: Names,
    pub(super) locks: Locks,
    /// The process that takes locks on other nodes for us.
    pub(super) locker: Locker,
    /// The last tag made for a connect (`erlang:unique_integer([monotonic])`).
    pub(super) last_tag: i64,
}

impl Server {
    /// Publishes `known` and `synced` to the shared view.
    pub(super) fn publish_nodes(&self) {
        self.shared
            .set_nodes(self.known.keys().cloned().collect(), self.synced.clone());
    }

    /// `ins_name` for a registration call: kept only while `from` holds the `global` lock (or
    /// nobody holds it), as `global`'s `lock_still_set` decides.
    fn register(&mut self, ctx: &Context, name: Term, pid: Pid, method: Term, from: &Pid) {
        let global = Term::atom("global");
        let keep = self.locks.requester(&global).is_none() || self.locks.holds(&global, from);
        if keep {
            self.names.insert(ctx, name, pid, method);
        } else {
            self.names.remove(ctx, &name);
        }
    }

    fn call(&mut self, ctx: &Context, request: &Term, from: &Pid) -> Option<Term> {
        let bool_term = |b: bool| Term::atom(if b { "true" } else { "false" });
        match request.as_tuple() {
            Some([tag, id]) if tag.is_atom("set_lock") => {
                Some(bool_term(self.locks.set(ctx, id, from)))
            }
            Some([tag, id]) if tag.is_atom("del_lock") => {
                self.locks.del(ctx, id, from);
                Some(bool_term(true))
            }
            Some([tag, name, Term::Pid(pid), method]) if tag.is_atom("register") => {
                self.register(ctx, name.clone(), pid.clone(), method.clone(), from);
                Some(Term::atom("yes"))
            }
            Some([tag, name, Term::Pid(pid), method, _reg_node]) if tag.is_atom("register_ext") => {
                self.register(ctx, name.clone(), pid.clone(), method.clone(), from);
                Some(Term::atom("yes"))
            }
            Some([tag, name]) if tag.is_atom("unregister") => {
                self.names.remove(ctx, name);
                Some(Term::atom("ok"))
            }
            _ if request.is_atom("get_known") => Some(self.known_list()),
            _ if request.is_atom("get_synced") => Some(Term::list(
                self.synced
                    .iter()
                    .cloned()
                    .map(Term::Atom)
                    .collect::<Vec<_>>(),
            )),
            _ if request.is_atom("get_protocol_version") => Some(Term::Int(8)),
            _ if request.is_atom("get_names_ext") => Some(Term::nil()),
            _ => None,
        }
    }
}

impl GenServer for Server {
    type Args = Arc<Shared>;

    async fn init(ctx: &mut Context, shared: Arc<Shared>) -> Init<Server> {
        let me = ctx.pid().clone();
        let node = ctx.node().clone();
        let _ = node.monitor_nodes(&me, true);
        let locker = match locker::start(ctx) {
            Ok(locker) => locker,
            Err(err) => return Init::Stop(Term::atom(&format!("locker: {err}"))),
        };
        let mut server = Server {
            locker,
            me,
            names: Names::new(Arc::clone(&shared)),
            shared,
            known: BTreeMap::new(),
            synced: BTreeSet::new(),
            connects: HashMap::new(),
            locks: Locks::default(),
            last_tag: 0,
        };
        // Connections made before the server ran get their connect now.
        for peer in node.nodes() {
            server.node_up(ctx, peer);
        }
        server.publish_nodes();
        Init::Ok(server)
    }

    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> CallOutcome {
        let request = request.into_term();
        let Some(caller) = from.pid().cloned() else {
            return CallOutcome::NoReply;
        };
        match self.call(ctx, &request, &caller) {
            Some(reply) => CallOutcome::Reply(Payload::Term(reply)),
            None => {
                tracing::warn!(%request, "global_name_server: unexpected call");
                CallOutcome::NoReply
            }
        }
    }

    async fn handle_direct(&mut self, ctx: &mut Context, request: DirectEnvelope) {
        let request = match request.take::<SharedView>() {
            Ok((SharedView, reply)) => {
                reply.reply(Arc::clone(&self.shared));
                return;
            }
            Err(request) => request,
        };
        let Ok((request, reply)) = request.take::<Request>().map_err(|request| {
            request.refuse(Term::atom("badarg"));
        }) else {
            return;
        };
        let done = match request {
            Request::SetLock(id, holder) => self.locks.set(ctx, &id, &holder),
            Request::DelLock(id, holder) => {
                self.locks.del(ctx, &id, &holder);
                true
            }
            Request::Register {
                name,
                pid,
                method,
                from,
            } => {
                self.register(ctx, name, pid, method, &from);
                true
            }
            Request::Unregister(name) => {
                self.names.remove(ctx, &name);
                true
            }
        };
        reply.reply(done);
    }

    async fn handle_cast(&mut self, ctx: &mut Context, request: Payload) -> Status {
        let request = request.into_term();
        match request.as_tuple() {
            Some([tag, vsn, Term::Atom(node), init]) if tag.is_atom("init_connect") => {
                self.init_connect(ctx, node.clone(), vsn, init)
            }
            Some([tag, Term::Pid(locker), set, _known, my_tag]) if tag.is_atom("lock_set") => {
                self.lock_set(ctx, locker.clone(), set.is_atom("true"), Some(my_tag))
                    .await
            }
            Some([tag, Term::Pid(locker), set, _known]) if tag.is_atom("lock_set") => {
                self.lock_set(ctx, locker.clone(), set.is_atom("true"), None)
                    .await
            }
            Some([tag, Term::Atom(node), names, _ext, my_tag]) if tag.is_atom("exchange") => {
                self.exchange(ctx, node.clone(), names, my_tag).await
            }
            Some([tag, Term::Atom(node), his_resolved, his_known, _unused, ext, my_tag])
                if tag.is_atom("resolved") =>
            {
                self.resolved(ctx, node.clone(), his_resolved, his_known, ext, my_tag)
            }
            Some([tag, Term::Atom(node), ops, ext, nodes, extra]) if tag.is_atom("new_nodes") => {
                self.new_nodes(ctx, node.clone(), ops, ext, nodes, extra)
            }
            Some([tag, Term::Atom(node), _]) if tag.is_atom("in_sync") => {
                self.in_sync(ctx, node.clone())
            }
            Some([tag, _, _]) if tag.is_atom("async_del_name") || tag.is_atom("async_del_lock") => {
            }
            _ => tracing::warn!(%request, "global_name_server: unexpected cast"),
        }
        Status::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Status {
        let message = message.into_term();
        match message.as_tuple() {
            Some([tag, Term::Atom(node)]) if tag.is_atom("nodeup") => {
                self.node_up(ctx, node.clone())
            }
            Some([tag, Term::Atom(node), ..]) if tag.is_atom("nodedown") => {
                self.node_down(ctx, node)
            }
            Some([tag, Term::Atom(node)]) if tag.is_atom("extra_nodedown") => {
                self.node_down(ctx, node)
            }
            Some([tag, Term::Atom(node), my_tag, his_tag]) if tag.is_atom("init_connect_ack") => {
                self.init_connect_ack(ctx, node.clone(), my_tag, his_tag)
            }
            Some([tag, Term::Atom(node), my_tag]) if tag.is_atom("cancel_connect") => {
                self.cancel_connect(ctx, node.clone(), my_tag)
            }
            Some([tag, Term::Atom(node)]) if tag.is_atom("remove_connection") => {
                tracing::warn!(%node, "global: peer asked to disconnect (overlapping partitions)");
                ctx.node().disconnect(node.as_str());
                self.node_down(ctx, node);
            }
            Some([tag, Term::Atom(node), my_tag]) if tag.is_atom("ergo_global_try") => {
                self.try_lock(ctx, node.clone(), my_tag)
            }
            Some([tag, Term::Atom(node), my_tag, lock_id, ok])
                if tag.is_atom("ergo_global_locked") =>
            {
                self.locked(
                    ctx,
                    node.clone(),
                    my_tag,
                    lock_id.clone(),
                    ok.is_atom("true"),
                )
                .await
            }
            // A peer's locker answering ours directly (older shapes), forwarded by the locker.
            Some([tag, Term::Pid(locker), set, _known, my_tag]) if tag.is_atom("lock_set") => {
                self.lock_set(ctx, locker.clone(), set.is_atom("true"), Some(my_tag))
                    .await
            }
            Some([tag, Term::Pid(locker), set, _known]) if tag.is_atom("lock_set") => {
                self.lock_set(ctx, locker.clone(), set.is_atom("true"), None)
                    .await
            }
            Some([tag, ..]) if tag.is_atom("lost_connection") => {
                tracing::debug!(%message, "global: lost_connection ignored");
            }
            Some([tag, Term::Reference(mref), ..]) if tag.is_atom("DOWN") => {
                let mref = mref.clone();
                if !self.names.down(&mref) {
                    self.locks.down(&mref);
                }
            }
            Some([tag, ..]) if tag.is_atom("EXIT") => {}
            _ => tracing::warn!(%message, "global_name_server: unexpected message"),
        }
        Status::Continue
    }
}
