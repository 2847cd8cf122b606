//! `global`'s connect protocol with one peer, as `global.erl` (version 8) speaks it:
//!
//! 1. nodeup: send `{init_connect, {8, MyTag}, Us, {locker, no_longer_a_pid, Known,
//!    OurLocker}}`; the peer does the same, and we answer its `init_connect` with
//!    `{init_connect_ack, Us, HisTag, MyTag}`.
//! 2. Either locker starts the lock `{global, sort([Lockers])}` (ours after `global`'s locker
//!    delay, through `locker.rs`) and casts `{lock_set, Locker, true, Known, Tag}` to the other
//!    server; the other side locks its nodes too and answers the same way (both may start at
//!    once: the lock id is the same, so both succeed). With both yeses, each side sends its
//!    names: `{exchange, Us, Names, [], HisTag}`.
//! 3. On the peer's `exchange` we resolve (`names.rs`) and cast `{resolved, Us, Resolved, Known,
//!    unused, [], HisTag}`; with its `resolved` we apply both sides' operations, learn its known
//!    nodes (connect to them, tell them `in_sync`), tell our known nodes `new_nodes`, release our
//!    locks, and the peer is synced.
//!
//! Where each connect stands is `state.rs`'s state machine; this file does what its
//! transitions ask (sends, locker jobs, the name table). Owns the connect protocol's actions;
//! must not touch the name or lock tables except through their APIs, nor build a message by
//! hand (the shapes are `protocol/`'s).

mod state;

use std::time::Duration;

use ergo_etf::{Atom, FromTerm, Pid, Term};

pub(crate) use state::{Connect, HisResolved};
use state::{Finished, GoExchange, HisLockSet, Locked, Peer};

use super::locker::Job;
use super::protocol::{
    Cast, ConnectVsn, ExtraInfo, GlobalLockId, Info, KnownNode, ListOf, LockerInfo, NameEntry, VSN,
};
use super::server::Server;
use super::SERVER;
use crate::node::Context;
use crate::node::Dest;

fn server_on(node: &Atom) -> Dest {
    Dest::Remote {
        name: Atom::new(SERVER),
        node: node.clone(),
    }
}

impl Server {
    fn same_tag(&self, node: &Atom, my_tag: &Term) -> bool {
        self.connects.get(node).is_some_and(|c| c.has_tag(my_tag))
    }

    /// `mk_known_list`: `[{Node, Vsn}]`.
    fn known_vsn_list(&self) -> Vec<KnownNode> {
        self.known
            .iter()
            .map(|(node, vsn)| KnownNode {
                node: node.clone(),
                vsn: *vsn,
            })
            .collect()
    }

    /// The known nodes as a plain list (what a locker sends).
    pub(super) fn known_list(&self) -> Vec<Atom> {
        self.known.keys().cloned().collect()
    }

    /// `handle_nodeup`: starts a connect with `node` unless it is known or one is under way.
    pub(super) fn node_up(&mut self, ctx: &Context, node: Atom) {
        if &node == ctx.node().name()
            || self.known.contains_key(&node)
            || self.connects.contains_key(&node)
        {
            return;
        }
        self.last_tag += 1;
        let my_tag = self.last_tag;
        let init = Cast::init_connect(
            VSN,
            my_tag,
            ctx.node().name().clone(),
            self.known.clone(),
            self.locker.pid.clone(),
        );
        tracing::debug!(%node, my_tag, "global: init_connect");
        let _ = ctx.cast(server_on(&node), init);
        self.connects.insert(node, Connect::new(my_tag));
    }

    /// The peer's `init_connect`: record its tag and acknowledge.
    pub(super) fn init_connect(&mut self, ctx: &Context, node: Atom, vsn: Term, init: Term) {
        let his_tag = match ConnectVsn::from_term(vsn.clone()) {
            Ok(ConnectVsn { vsn, tag }) if vsn >= 5 => tag,
            _ => {
                tracing::info!(%node, %vsn, "global: illegal protocol version");
                return;
            }
        };
        let his_locker = match LockerInfo::from_term(init.clone()) {
            Ok(info) => info.the_locker,
            Err(_) => {
                tracing::info!(%node, %init, "global: malformed init_connect");
                return;
            }
        };
        if self.known.contains_key(&node) {
            // Already synced (or learnt of): `global` keeps it as a pre-connect nobody uses.
            return;
        }
        // An init_connect before our nodeup: start our side first.
        self.node_up(ctx, node.clone());
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        let peer = Peer {
            tag: his_tag.clone(),
            locker: his_locker,
        };
        if connect.accept_peer(peer).is_err() {
            // A second attempt from the peer: start over.
            let old = connect.my_tag();
            self.restart(ctx, &node, old);
            return self.init_connect(ctx, node, vsn, init);
        }
        let my_tag = connect.my_tag();
        let ack = Info::init_connect_ack(ctx.node().name().clone(), his_tag, my_tag);
        let _ = ctx.send(server_on(&node), ack);
        self.schedule_try(ctx, &node, my_tag);
    }

    /// `{init_connect_ack, Node, HisMyTag, HisHisTag}`: both tags must be the current ones.
    pub(super) fn init_connect_ack(
        &mut self,
        ctx: &Context,
        node: Atom,
        his_my_tag: &Term,
        his_his_tag: &Term,
    ) {
        let Some(connect) = self.connects.get(&node) else {
            return;
        };
        if connect.has_tag(his_my_tag) && connect.peer().map(|p| &p.tag) == Some(his_his_tag) {
            return;
        }
        self.send_cancel_connect(ctx, &node, his_his_tag.clone());
        let old = connect.my_tag();
        self.restart(ctx, &node, old);
    }

    /// `{cancel_connect, Node, MyTag}`: the peer gave this connect up; start again.
    pub(super) fn cancel_connect(&mut self, ctx: &Context, node: Atom, my_tag: &Term) {
        if self.same_tag(&node, my_tag) {
            if let Term::Int(old) = my_tag {
                self.restart(ctx, &node, *old);
            }
        }
    }

    fn send_cancel_connect(&self, ctx: &Context, node: &Atom, his_tag: Term) {
        let message = Info::cancel_connect(ctx.node().name().clone(), his_tag);
        let _ = ctx.send(server_on(node), message);
    }

    /// `restart_connect`: drop the connect and, if the peer is still there, begin a new one.
    fn restart(&mut self, ctx: &Context, node: &Atom, my_tag: i64) {
        if self
            .connects
            .get(node)
            .is_some_and(|c| c.my_tag() == my_tag)
        {
            self.drop_connect(node);
        }
        if ctx.node().nodes().contains(node) {
            self.node_up(ctx, node.clone());
        }
    }

    /// `{global, sort([OurLocker, HisLocker])}`: the lock both lockers of a connect take. The
    /// requester id the peer's locker already holds here wins (it is the peer's own sort).
    fn lock_id_for(&self, his_locker: &Pid) -> GlobalLockId {
        let requester = match self.locks.global_held_by(his_locker) {
            Some(requester) => requester,
            None => {
                let mut lockers = vec![
                    Term::Pid(his_locker.clone()),
                    Term::Pid(self.locker.pid.clone()),
                ];
                lockers.sort();
                Term::list(lockers)
            }
        };
        GlobalLockId { requester }
    }

    /// The locker's next attempt, after `global`'s locker delay (200 ms alone, then 1 to 3 s).
    fn schedule_try(&self, ctx: &Context, node: &Atom, my_tag: i64) {
        let ms = if self.known.is_empty() {
            200
        } else {
            (1000 + 100 * self.known.len() as u64).min(3000)
        };
        let message = Info::ErgoGlobalTry {
            node: node.clone(),
            tag: my_tag,
        };
        let _ = ctx.send_self_after(message, Duration::from_millis(ms));
    }

    /// `{lock_set, OurLocker, IsSet, Known, HisTag}` to the peer's server.
    fn send_lock_set(&self, ctx: &Context, node: &Atom, set: bool, his_tag: Term) {
        let message = Cast::LockSet {
            locker: self.locker.pid.clone(),
            set,
            known: ListOf(self.known_list()),
            tag: his_tag,
        };
        let _ = ctx.cast(server_on(node), message);
    }

    /// Removes the connect with `node`; the locker lets go of what it held for it.
    fn drop_connect(&mut self, node: &Atom) -> Option<Connect> {
        let connect = self.connects.remove(node)?;
        if let Some(lock_id) = connect.held() {
            self.locker.run(Job::Unlock(lock_id.clone()));
        }
        Some(connect)
    }

    /// Our locker starts the lock for the connect with `node`.
    fn run_lock(&self, node: Atom, my_tag: i64, lock_id: GlobalLockId, extra: Vec<Atom>) {
        let known: Vec<Atom> = self.known.keys().cloned().collect();
        self.locker.run(Job::Lock {
            node,
            my_tag,
            lock_id,
            extra,
            known,
        });
    }

    /// `select_node`: our locker's turn to start the lock for a connect (unless one is under
    /// way, or some `global` lock is held here: then later).
    pub(super) fn try_lock(&mut self, ctx: &Context, node: Atom, tag: i64) {
        let Some(connect) = self.connects.get(&node).filter(|c| c.my_tag() == tag) else {
            return;
        };
        let Some(his_locker) = connect.idle_locker().cloned() else {
            return;
        };
        if self.locks.requester(&GlobalLockId::resource()).is_some() {
            self.schedule_try(ctx, &node, tag);
            return;
        }
        let lock_id = self.lock_id_for(&his_locker);
        if let Some(connect) = self.connects.get_mut(&node) {
            connect.start_lock();
        }
        self.run_lock(node.clone(), tag, lock_id, vec![node]);
    }

    /// The locker's answer: the lock is set on every node it had to lock, or on none.
    pub(super) async fn locked(
        &mut self,
        ctx: &Context,
        node: Atom,
        tag: i64,
        lock_id: GlobalLockId,
        ok: bool,
    ) {
        let Some(connect) = self.connects.get_mut(&node).filter(|c| c.my_tag() == tag) else {
            if ok {
                self.locker.run(Job::Unlock(lock_id));
            }
            return;
        };
        match connect.locked(lock_id.clone(), ok) {
            Locked::Unexpected => {
                if ok {
                    self.locker.run(Job::Unlock(lock_id));
                }
            }
            Locked::Set { his_tag, exchange } => {
                self.send_lock_set(ctx, &node, true, his_tag);
                if let Some(exchange) = exchange {
                    self.go_exchange(ctx, node, exchange).await;
                }
            }
            Locked::NotSet { his_tag, tell_no } => {
                if tell_no {
                    self.send_lock_set(ctx, &node, false, his_tag);
                }
                self.schedule_try(ctx, &node, tag);
            }
        }
    }

    /// The peer's locker says the lock is (or is not) set on its side: either its answer to
    /// ours, or its own start (then our locker locks our side, `lock_nodes_safely`, first).
    pub(super) async fn lock_set(
        &mut self,
        ctx: &Context,
        locker: Pid,
        set: bool,
        my_tag: Option<&Term>,
    ) {
        let node = locker.node.clone();
        if let Some(tag) = my_tag {
            if !self.same_tag(&node, tag) {
                // An old attempt: `global` drops it.
                return;
            }
        }
        let ready = self.connects.get(&node).is_some_and(|c| c.peer().is_some());
        if !ready {
            if set {
                // No connect with that node: its locker is told no (version 5 shape, direct).
                let no = Info::LockSetUntagged {
                    locker: self.locker.pid.clone(),
                    set: false,
                    known: ListOf(self.known_list()),
                };
                let _ = ctx.send(locker, no);
            }
            return;
        }
        let lock_id = self.lock_id_for(&locker);
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        let my_tag = connect.my_tag();
        match connect.his_lock_set(set) {
            HisLockSet::Nothing => {}
            HisLockSet::StartLock => self.run_lock(node, my_tag, lock_id, Vec::new()),
            HisLockSet::Exchange(exchange) => self.go_exchange(ctx, node, exchange).await,
            HisLockSet::Release(held) => {
                self.locker.run(Job::Unlock(held));
                self.schedule_try(ctx, &node, my_tag);
            }
        }
    }

    /// `lock_is_set`: both lockers hold the lock; our names go to the peer, and its names (if
    /// they came first) are resolved.
    async fn go_exchange(&mut self, ctx: &Context, node: Atom, exchange: GoExchange) {
        let names = self.names.name_list();
        let message = Cast::exchange(ctx.node().name().clone(), names, exchange.his_tag);
        let _ = ctx.cast(server_on(&node), message);
        if let Some(names) = exchange.early_names {
            self.resolve(ctx, node, names).await;
        }
    }

    /// The peer's names: resolve once the lock is set (or keep them until it is).
    pub(super) async fn exchange(
        &mut self,
        ctx: &Context,
        node: Atom,
        names: Vec<NameEntry>,
        tag: &Term,
    ) {
        if !self.same_tag(&node, tag) {
            return;
        }
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        if let Some(names) = connect.his_names(names) {
            self.resolve(ctx, node, names).await;
        }
    }

    async fn resolve(&mut self, ctx: &Context, node: Atom, names: Vec<NameEntry>) {
        let (ops, resolved) = self.names.exchange(ctx, names, &node).await;
        let known = self.known_vsn_list();
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        let Some(his_tag) = connect.our_ops(ops) else {
            return;
        };
        let message = Cast::resolved(ctx.node().name().clone(), resolved, known, his_tag);
        let _ = ctx.cast(server_on(&node), message);
        self.finish_if_done(ctx, node);
    }

    /// The peer's `resolved`: finish once we resolved too.
    pub(super) fn resolved(&mut self, ctx: &Context, node: Atom, his: HisResolved, tag: &Term) {
        if !self.same_tag(&node, tag) {
            return;
        }
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        connect.his_resolved(his);
        self.finish_if_done(ctx, node);
    }

    /// Finishes the connect with `node` if both sides resolved.
    fn finish_if_done(&mut self, ctx: &Context, node: Atom) {
        if !self.connects.get(&node).is_some_and(Connect::is_done) {
            return;
        }
        if let Some(finished) = self.connects.remove(&node).and_then(Connect::finish) {
            self.finish(ctx, node, finished);
        }
    }

    /// `resolved/5`: both sides' operations applied, the peer's known nodes learnt, our known
    /// nodes told, the peer synced.
    fn finish(&mut self, ctx: &Context, node: Atom, finished: Finished) {
        let Finished {
            lock_id,
            ops,
            his_known,
            names_ext,
        } = finished;
        self.names.apply_ops(ctx, &ops, true);
        let mut new_nodes = vec![KnownNode {
            node: node.clone(),
            vsn: VSN,
        }];
        new_nodes.extend(his_known.iter().cloned());
        // Connects with nodes the peer knows are moot now: it synced them with us.
        for other in &his_known {
            if let Some(c) = self.drop_connect(&other.node) {
                if let Some(peer) = c.peer() {
                    self.send_cancel_connect(ctx, &other.node, peer.tag.clone());
                }
            }
        }
        let lock = (GlobalLockId::resource(), lock_id.requester.clone());
        let new_nodes_message = Cast::NewNodes {
            node: ctx.node().name().clone(),
            ops: ListOf(ops),
            names_ext,
            nodes: ListOf(new_nodes.clone()),
            extra: ListOf(vec![ExtraInfo::Vsn(VSN), ExtraInfo::Lock(lock)]),
        };
        for known in self.known.keys() {
            let _ = ctx.cast(server_on(known), new_nodes_message.clone());
        }
        self.sync_others(ctx, his_known.into_iter().map(|k| k.node).collect());
        self.add_to_known(ctx, &new_nodes);
        self.synced.insert(node.clone());
        // Released once the new nodes are told, as `global`'s locker does.
        self.locker.run(Job::Unlock(lock_id));
        tracing::debug!(%node, "global: synced");
        self.publish_nodes();
    }

    /// `add_to_known`: returns the nodes that were not known.
    fn add_to_known(&mut self, ctx: &Context, nodes: &[KnownNode]) -> Vec<Atom> {
        let mut added = Vec::new();
        for KnownNode { node: n, vsn: v } in nodes {
            if n == ctx.node().name() {
                continue;
            }
            match self.known.get_mut(n) {
                None => {
                    self.known.insert(n.clone(), *v);
                    added.push(n.clone());
                    // A connect the peer never answered (it knew us already) cannot progress.
                    if self.connects.get(n).is_some_and(|c| c.peer().is_none()) {
                        self.drop_connect(n);
                    }
                }
                Some(old) if *old < 0 => *old = *v,
                Some(_) => {}
            }
        }
        added
    }

    /// `sync_other` for each node: connect (passively allowed) and cast `in_sync`; a node that
    /// cannot be reached comes back as `extra_nodedown`.
    fn sync_others(&self, ctx: &Context, nodes: Vec<Atom>) {
        let me = ctx.node().name().clone();
        for other in nodes.into_iter().filter(|n| n != &me) {
            let node = ctx.node().clone();
            let server = self.me.clone();
            let me = me.clone();
            tokio::spawn(async move {
                match node.connect_node(&other).await {
                    Ok(()) => {
                        let _ = node.cast(server_on(&other), Cast::in_sync(me));
                    }
                    Err(err) => {
                        tracing::warn!(%other, %err, "global: failed to connect");
                        let _ = node.send(server, Info::ExtraNodedown { node: other });
                    }
                }
            });
        }
    }

    /// `{new_nodes, Node, Ops, NamesExt, Nodes, ExtraInfo}`: a synced peer met new nodes.
    pub(super) fn new_nodes(
        &mut self,
        ctx: &Context,
        ops: Vec<Term>,
        nodes: Vec<KnownNode>,
        extra: Vec<ExtraInfo>,
    ) {
        let added = self.add_to_known(ctx, &nodes);
        self.sync_others(ctx, added);
        // `lock_still_set`: while a `global` lock is held here, only that connect's names stand.
        let keep = match self.locks.requester(&GlobalLockId::resource()) {
            None => true,
            Some(requester) => extra
                .iter()
                .any(|item| matches!(item, ExtraInfo::Lock((_, id)) if id == requester)),
        };
        self.names.apply_ops(ctx, &ops, keep);
        self.publish_nodes();
    }

    /// `{in_sync, Node, true}`: the peer synced with us through a third node.
    pub(super) fn in_sync(&mut self, ctx: &Context, node: Atom) {
        if let Some(c) = self.drop_connect(&node) {
            if let Some(peer) = c.peer() {
                self.send_cancel_connect(ctx, &node, peer.tag.clone());
            }
        }
        // Not known yet: that comes with `new_nodes` or a peer's known list, and then we tell
        // it `in_sync` in turn (as `global` does; adding it here would skip that).
        self.synced.insert(node);
        self.publish_nodes();
    }

    /// `handle_nodedown`: everything about `node` goes.
    pub(super) fn node_down(&mut self, ctx: &Context, node: &Atom) {
        self.drop_connect(node);
        self.known.remove(node);
        self.synced.remove(node);
        self.names.node_down(ctx, node);
        self.publish_nodes();
    }
}
