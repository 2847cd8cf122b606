//! The `global_name_server` process: its state, and the dispatch of what peers send (calls,
//! casts, plain messages, read as `protocol/`'s types) and what the Rust API asks
//! (`handle_direct`) to the connect protocol (`connect/`), the name table (`names.rs`) and the
//! lock table (`locks.rs`). A message that reads as none of the types is logged and dropped.
//! Must not answer anything an Erlang `global_name_server` would not (an unknown call gets no
//! reply, as there).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ergo_etf::{Atom, IntoTerm, Pid, Term};

use super::connect::{Connect, HisResolved};
use super::locker::{self, Locker};
use super::locks::Locks;
use super::names::Names;
use super::protocol::{Call, Cast, GlobalLockId, Info, Yes, VSN};
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
        let global = GlobalLockId::resource();
        let keep = self.locks.requester(&global).is_none() || self.locks.holds(&global, from);
        if keep {
            self.names.insert(ctx, name, pid, method);
        } else {
            self.names.remove(ctx, &name);
        }
    }

    fn call(&mut self, ctx: &Context, request: Call, from: &Pid) -> Payload {
        match request {
            Call::SetLock { id } => Payload::new(self.locks.set(ctx, &id, from)),
            Call::DelLock { id } => {
                self.locks.del(ctx, &id, from);
                Payload::new(true)
            }
            Call::Register { name, pid, method }
            | Call::RegisterExt {
                name, pid, method, ..
            } => {
                self.register(ctx, name, pid, method, from);
                Payload::new(Yes)
            }
            Call::Unregister { name } => {
                self.names.remove(ctx, &name);
                Payload::new(())
            }
            Call::GetKnown => Payload::new(self.known_list()),
            Call::GetSynced => Payload::new(self.synced.iter().cloned().collect::<Vec<Atom>>()),
            Call::GetProtocolVersion => Payload::new(VSN),
            Call::GetNamesExt => Payload::new(Vec::<Term>::new()),
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
        let Some(caller) = from.pid().cloned() else {
            return CallOutcome::NoReply;
        };
        match request.take::<Call>() {
            Ok(request) => CallOutcome::Reply(self.call(ctx, request, &caller)),
            Err(unknown) => {
                let request = unknown.term;
                tracing::warn!(%request, "global_name_server: unexpected call");
                CallOutcome::NoReply
            }
        }
    }

    async fn handle_direct(&mut self, ctx: &mut Context, request: DirectEnvelope) {
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
        let request = match request.take::<Cast>() {
            Ok(request) => request,
            Err(unknown) => {
                let request = unknown.term;
                tracing::warn!(%request, "global_name_server: unexpected cast");
                return Status::Continue;
            }
        };
        match request {
            Cast::InitConnect { vsn, node, locker } => self.init_connect(ctx, node, vsn, locker),
            Cast::LockSet {
                locker, set, tag, ..
            } => self.lock_set(ctx, locker, set, Some(&tag)).await,
            Cast::LockSetUntagged { locker, set, .. } => {
                self.lock_set(ctx, locker, set, None).await
            }
            Cast::Exchange {
                node, names, tag, ..
            } => self.exchange(ctx, node, names.0, &tag).await,
            Cast::Resolved {
                node,
                resolved,
                known,
                names_ext,
                tag,
                ..
            } => {
                let his = HisResolved {
                    ops: resolved.0,
                    known: known.0,
                    names_ext,
                };
                self.resolved(ctx, node, his, &tag)
            }
            Cast::NewNodes {
                ops, nodes, extra, ..
            } => self.new_nodes(ctx, ops.0, nodes.0, extra.0),
            Cast::InSync { node, .. } => self.in_sync(ctx, node),
            Cast::AsyncDelName { .. } | Cast::AsyncDelLock { .. } => {}
        }
        Status::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Status {
        let message = match message.take::<Info>() {
            Ok(message) => message,
            Err(unknown) => {
                let message = unknown.term;
                tracing::warn!(%message, "global_name_server: unexpected message");
                return Status::Continue;
            }
        };
        match message {
            Info::Nodeup { node } => self.node_up(ctx, node),
            Info::Nodedown { node }
            | Info::NodedownDetails { node, .. }
            | Info::ExtraNodedown { node } => self.node_down(ctx, &node),
            Info::InitConnectAck {
                node,
                my_tag,
                his_tag,
            } => self.init_connect_ack(ctx, node, &my_tag, &his_tag),
            Info::CancelConnect { node, tag } => self.cancel_connect(ctx, node, &tag),
            Info::RemoveConnection { node } => {
                tracing::warn!(%node, "global: peer asked to disconnect (overlapping partitions)");
                ctx.node().disconnect(node.as_str());
                self.node_down(ctx, &node);
            }
            Info::ErgoGlobalTry { node, tag } => self.try_lock(ctx, node, tag),
            Info::ErgoGlobalLocked {
                node,
                tag,
                lock_id,
                ok,
            } => self.locked(ctx, node, tag, lock_id, ok).await,
            // A peer's locker answering ours directly (older shapes), forwarded by the locker.
            Info::LockSet {
                locker, set, tag, ..
            } => self.lock_set(ctx, locker, set, Some(&tag)).await,
            Info::LockSetUntagged { locker, set, .. } => {
                self.lock_set(ctx, locker, set, None).await
            }
            lost @ Info::LostConnection { .. } => {
                let message = lost.into_term();
                tracing::debug!(%message, "global: lost_connection ignored");
            }
            Info::Down { monitor, .. } => {
                if !self.names.down(&monitor) {
                    self.locks.down(&monitor);
                }
            }
            Info::Exit { .. } => {}
        }
        Status::Continue
    }
}
