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
//! Owns the per-peer connect state; must not touch the name or lock tables except through
//! their APIs.

use std::time::Duration;

use ergo_etf::{Atom, Map, Pid, Term};

use super::locker::Job;
use super::names::parse_name_list;
use super::server::Server;
use super::SERVER;
use crate::node::Context;
use crate::node::Dest;

/// `global`'s protocol version.
const VSN: i64 = 8;

/// A connect in progress with one peer.
#[derive(Default)]
pub(crate) struct Connect {
    /// Our tag for this connect.
    my_tag: i64,
    /// The peer's tag, once its `init_connect` came.
    his_tag: Option<Term>,
    /// The peer's locker, from its `init_connect`.
    his_locker: Option<Pid>,
    /// Our locker is taking the lock for this connect.
    locking: bool,
    /// We told the peer our side is locked.
    sent_lock_set: bool,
    /// The peer told us its side is locked.
    he_said_yes: bool,
    /// The lock our locker holds for this connect.
    we_hold: Option<Term>,
    /// `{global, LockRequesterId}`, once both sides hold the lock (names may be exchanged).
    lock_id: Option<Term>,
    /// The peer's names, when its `exchange` came before its `lock_set`.
    his_names: Option<Term>,
    /// Our operations, once we resolved.
    ops: Option<Vec<Term>>,
    /// The peer's `resolved` (resolved ops, known list, external names), when it came first.
    his_resolved: Option<(Term, Term, Term)>,
}

fn server_on(node: &Atom) -> Dest {
    Dest::Remote {
        name: Atom::new(SERVER),
        node: node.clone(),
    }
}

/// Node names of a known list (`[Node | {Node, Vsn}]`), with their versions (0: unknown).
fn known_entries(list: &Term) -> Vec<(Atom, i64)> {
    let Term::List(items) = list else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Term::Atom(n) => Some((n.clone(), 0)),
            Term::Tuple(t) => match t.as_slice() {
                [Term::Atom(n), Term::Int(v)] => Some((n.clone(), *v)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn list_of(items: &Term) -> Vec<Term> {
    match items {
        Term::List(items) => items.clone(),
        _ => Vec::new(),
    }
}

impl Server {
    fn same_tag(&self, node: &Atom, my_tag: &Term) -> bool {
        self.connects
            .get(node)
            .is_some_and(|c| Term::Int(c.my_tag) == *my_tag)
    }

    /// `mk_known_list`: `[{Node, Vsn}]`.
    fn known_vsn_list(&self) -> Term {
        Term::list(
            self.known
                .iter()
                .map(|(n, v)| Term::tuple(vec![Term::Atom(n.clone()), Term::Int(*v)]))
                .collect::<Vec<_>>(),
        )
    }

    /// The known nodes as a plain list (what a locker sends).
    pub(super) fn known_list(&self) -> Term {
        Term::list(
            self.known
                .keys()
                .cloned()
                .map(Term::Atom)
                .collect::<Vec<_>>(),
        )
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
        let known = Map::from_pairs(
            self.known
                .iter()
                .map(|(n, v)| (Term::Atom(n.clone()), Term::Int(*v))),
        );
        let locker = Term::tuple(vec![
            Term::atom("locker"),
            Term::atom("no_longer_a_pid"),
            Term::Map(known),
            Term::Pid(self.locker.pid.clone()),
        ]);
        let init = Term::tuple(vec![
            Term::atom("init_connect"),
            Term::tuple(vec![Term::Int(VSN), Term::Int(my_tag)]),
            Term::Atom(ctx.node().name().clone()),
            locker,
        ]);
        tracing::debug!(%node, my_tag, "global: init_connect");
        let _ = ctx.cast(server_on(&node), init);
        self.connects.insert(
            node,
            Connect {
                my_tag,
                ..Connect::default()
            },
        );
    }

    /// The peer's `init_connect`: record its tag and acknowledge.
    pub(super) fn init_connect(&mut self, ctx: &Context, node: Atom, vsn: &Term, init: &Term) {
        let his_tag = match vsn.as_tuple() {
            Some([Term::Int(v), tag, ..]) if *v >= 5 => tag.clone(),
            _ => {
                tracing::info!(%node, %vsn, "global: illegal protocol version");
                return;
            }
        };
        let his_locker = match init.as_tuple() {
            Some([t, _, _, Term::Pid(locker)]) if t.is_atom("locker") => locker.clone(),
            _ => {
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
        if connect.his_tag.is_some() {
            // A second attempt from the peer: start over.
            let old = connect.my_tag;
            self.restart(ctx, &node, old);
            return self.init_connect(ctx, node, vsn, init);
        }
        connect.his_tag = Some(his_tag.clone());
        connect.his_locker = Some(his_locker);
        let my_tag = connect.my_tag;
        let ack = Term::tuple(vec![
            Term::atom("init_connect_ack"),
            Term::Atom(ctx.node().name().clone()),
            his_tag,
            Term::Int(my_tag),
        ]);
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
        if Term::Int(connect.my_tag) == *his_my_tag && connect.his_tag.as_ref() == Some(his_his_tag)
        {
            return;
        }
        self.send_cancel_connect(ctx, &node, his_his_tag.clone());
        let old = connect.my_tag;
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
        let message = Term::tuple(vec![
            Term::atom("cancel_connect"),
            Term::Atom(ctx.node().name().clone()),
            his_tag,
        ]);
        let _ = ctx.send(server_on(node), message);
    }

    /// `restart_connect`: drop the connect and, if the peer is still there, begin a new one.
    fn restart(&mut self, ctx: &Context, node: &Atom, my_tag: i64) {
        if self.connects.get(node).is_some_and(|c| c.my_tag == my_tag) {
            self.drop_connect(node);
        }
        if ctx.node().nodes().contains(node) {
            self.node_up(ctx, node.clone());
        }
    }

    /// `{global, sort([OurLocker, HisLocker])}`: the lock both lockers of a connect take. The
    /// requester id the peer's locker already holds here wins (it is the peer's own sort).
    fn lock_id_for(&self, his_locker: &Pid) -> Term {
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
        Term::tuple(vec![Term::atom("global"), requester])
    }

    /// The locker's next attempt, after `global`'s locker delay (200 ms alone, then 1 to 3 s).
    fn schedule_try(&self, ctx: &Context, node: &Atom, my_tag: i64) {
        let ms = if self.known.is_empty() {
            200
        } else {
            (1000 + 100 * self.known.len() as u64).min(3000)
        };
        let message = Term::tuple(vec![
            Term::atom("ergo_global_try"),
            Term::Atom(node.clone()),
            Term::Int(my_tag),
        ]);
        let _ = ctx.send_self_after(message, Duration::from_millis(ms));
    }

    /// `{lock_set, OurLocker, IsSet, Known, HisTag}` to the peer's server.
    fn send_lock_set(&self, ctx: &Context, node: &Atom, set: bool, his_tag: Term) {
        let message = Term::tuple(vec![
            Term::atom("lock_set"),
            Term::Pid(self.locker.pid.clone()),
            Term::atom(if set { "true" } else { "false" }),
            self.known_list(),
            his_tag,
        ]);
        let _ = ctx.cast(server_on(node), message);
    }

    /// Removes the connect with `node`; the locker lets go of what it held for it.
    fn drop_connect(&mut self, node: &Atom) -> Option<Connect> {
        let mut connect = self.connects.remove(node)?;
        if let Some(lock_id) = connect.we_hold.take() {
            self.locker.run(Job::Unlock(lock_id));
        }
        Some(connect)
    }

    /// `select_node`: our locker's turn to start the lock for a connect (unless one is under
    /// way, or some `global` lock is held here: then later).
    pub(super) fn try_lock(&mut self, ctx: &Context, node: Atom, tag: &Term) {
        if !self.same_tag(&node, tag) {
            return;
        }
        let Some(connect) = self.connects.get(&node) else {
            return;
        };
        if connect.lock_id.is_some() || connect.locking || connect.sent_lock_set {
            return;
        }
        let Some(his_locker) = connect.his_locker.clone() else {
            return;
        };
        let my_tag = connect.my_tag;
        if self.locks.requester(&Term::atom("global")).is_some() {
            self.schedule_try(ctx, &node, my_tag);
            return;
        }
        let lock_id = self.lock_id_for(&his_locker);
        let known: Vec<Atom> = self.known.keys().cloned().collect();
        if let Some(connect) = self.connects.get_mut(&node) {
            connect.locking = true;
        }
        self.locker.run(Job::Lock {
            node: node.clone(),
            my_tag,
            lock_id,
            extra: vec![node],
            known,
        });
    }

    /// The locker's answer: the lock is set on every node it had to lock, or on none.
    pub(super) async fn locked(
        &mut self,
        ctx: &Context,
        node: Atom,
        tag: &Term,
        lock_id: Term,
        ok: bool,
    ) {
        if !self.same_tag(&node, tag) {
            if ok {
                self.locker.run(Job::Unlock(lock_id));
            }
            return;
        }
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        connect.locking = false;
        let (Some(his_tag), my_tag) = (connect.his_tag.clone(), connect.my_tag) else {
            return;
        };
        if ok {
            connect.we_hold = Some(lock_id.clone());
            let send = !connect.sent_lock_set;
            connect.sent_lock_set = true;
            let he_said_yes = connect.he_said_yes;
            if send {
                self.send_lock_set(ctx, &node, true, his_tag);
            }
            if he_said_yes {
                self.go_exchange(ctx, node, lock_id).await;
            }
        } else {
            if connect.he_said_yes {
                connect.he_said_yes = false;
                self.send_lock_set(ctx, &node, false, his_tag);
            }
            self.schedule_try(ctx, &node, my_tag);
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
        let ready = self
            .connects
            .get(&node)
            .is_some_and(|c| c.his_tag.is_some());
        if !ready {
            if set {
                // No connect with that node: its locker is told no (version 5 shape, direct).
                let no = Term::tuple(vec![
                    Term::atom("lock_set"),
                    Term::Pid(self.locker.pid.clone()),
                    Term::atom("false"),
                    self.known_list(),
                ]);
                let _ = ctx.send(locker, no);
            }
            return;
        }
        let lock_id = self.lock_id_for(&locker);
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        if connect.his_locker.is_none() {
            connect.his_locker = Some(locker);
        }
        if set {
            connect.he_said_yes = true;
            if connect.sent_lock_set {
                let id = connect.we_hold.clone().unwrap_or(lock_id);
                self.go_exchange(ctx, node, id).await;
            } else if !connect.locking {
                connect.locking = true;
                let my_tag = connect.my_tag;
                let known: Vec<Atom> = self.known.keys().cloned().collect();
                self.locker.run(Job::Lock {
                    node,
                    my_tag,
                    lock_id,
                    extra: Vec::new(),
                    known,
                });
            }
        } else {
            connect.he_said_yes = false;
            if connect.sent_lock_set && connect.lock_id.is_none() {
                connect.sent_lock_set = false;
                let my_tag = connect.my_tag;
                if let Some(id) = connect.we_hold.take() {
                    self.locker.run(Job::Unlock(id));
                }
                self.schedule_try(ctx, &node, my_tag);
            }
        }
    }

    /// `lock_is_set`: both lockers hold the lock; our names go to the peer, and its names (if
    /// they came first) are resolved.
    async fn go_exchange(&mut self, ctx: &Context, node: Atom, lock_id: Term) {
        let names = self.names.name_list();
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        if connect.lock_id.is_some() {
            return;
        }
        let Some(his_tag) = connect.his_tag.clone() else {
            return;
        };
        connect.lock_id = Some(lock_id);
        let early_names = connect.his_names.take();
        let exchange = Term::tuple(vec![
            Term::atom("exchange"),
            Term::Atom(ctx.node().name().clone()),
            names,
            Term::nil(),
            his_tag,
        ]);
        let _ = ctx.cast(server_on(&node), exchange);
        if let Some(names) = early_names {
            self.resolve(ctx, node, names).await;
        }
    }

    /// The peer's names: resolve once the lock is set (or keep them until it is).
    pub(super) async fn exchange(&mut self, ctx: &Context, node: Atom, names: &Term, tag: &Term) {
        if !self.same_tag(&node, tag) {
            return;
        }
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        if connect.lock_id.is_none() {
            connect.his_names = Some(names.clone());
            return;
        }
        self.resolve(ctx, node, names.clone()).await;
    }

    async fn resolve(&mut self, ctx: &Context, node: Atom, names: Term) {
        let (ops, resolved) = self
            .names
            .exchange(ctx, parse_name_list(&names), &node)
            .await;
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        let Some(his_tag) = connect.his_tag.clone() else {
            return;
        };
        connect.ops = Some(ops);
        let his_resolved_came = connect.his_resolved.is_some();
        let message = Term::tuple(vec![
            Term::atom("resolved"),
            Term::Atom(ctx.node().name().clone()),
            Term::list(resolved),
            self.known_vsn_list(),
            Term::atom("unused"),
            Term::nil(),
            his_tag,
        ]);
        let _ = ctx.cast(server_on(&node), message);
        if his_resolved_came {
            self.finish(ctx, node);
        }
    }

    /// The peer's `resolved`: finish once we resolved too.
    pub(super) fn resolved(
        &mut self,
        ctx: &Context,
        node: Atom,
        his_resolved: &Term,
        his_known: &Term,
        ext: &Term,
        tag: &Term,
    ) {
        if !self.same_tag(&node, tag) {
            return;
        }
        let Some(connect) = self.connects.get_mut(&node) else {
            return;
        };
        connect.his_resolved = Some((his_resolved.clone(), his_known.clone(), ext.clone()));
        if connect.ops.is_some() {
            self.finish(ctx, node);
        }
    }

    /// `resolved/5`: both sides' operations applied, the peer's known nodes learnt, our known
    /// nodes told, the peer synced.
    fn finish(&mut self, ctx: &Context, node: Atom) {
        let Some(mut connect) = self.connects.remove(&node) else {
            return;
        };
        // Released once the new nodes are told, as `global`'s locker does.
        let held = connect.we_hold.take();
        let (Some(mut ops), Some((his_resolved, his_known, ext))) =
            (connect.ops, connect.his_resolved)
        else {
            return;
        };
        ops.extend(list_of(&his_resolved));
        let lock_id = connect.lock_id.unwrap_or_else(|| Term::atom("undefined"));
        self.names.apply_ops(ctx, &ops, true);
        let his_known = known_entries(&his_known);
        let mut new_nodes = vec![(node.clone(), VSN)];
        new_nodes.extend(his_known.iter().cloned());
        // Connects with nodes the peer knows are moot now: it synced them with us.
        for (other, _) in &his_known {
            if let Some(c) = self.drop_connect(other) {
                if let Some(his_tag) = c.his_tag {
                    self.send_cancel_connect(ctx, other, his_tag);
                }
            }
        }
        let extra = Term::list(vec![
            Term::tuple(vec![Term::atom("vsn"), Term::Int(VSN)]),
            Term::tuple(vec![Term::atom("lock"), lock_id]),
        ]);
        let new_nodes_message = Term::tuple(vec![
            Term::atom("new_nodes"),
            Term::Atom(ctx.node().name().clone()),
            Term::list(ops),
            ext,
            Term::list(
                new_nodes
                    .iter()
                    .map(|(n, v)| Term::tuple(vec![Term::Atom(n.clone()), Term::Int(*v)]))
                    .collect::<Vec<_>>(),
            ),
            extra,
        ]);
        for known in self.known.keys() {
            let _ = ctx.cast(server_on(known), new_nodes_message.clone());
        }
        self.sync_others(ctx, his_known.iter().map(|(n, _)| n.clone()).collect());
        self.add_to_known(ctx, &new_nodes);
        self.synced.insert(node.clone());
        if let Some(lock_id) = held {
            self.locker.run(Job::Unlock(lock_id));
        }
        tracing::debug!(%node, "global: synced");
        self.publish_nodes();
    }

    /// `add_to_known`: returns the nodes that were not known.
    fn add_to_known(&mut self, ctx: &Context, nodes: &[(Atom, i64)]) -> Vec<Atom> {
        let mut added = Vec::new();
        for (n, v) in nodes {
            if n == ctx.node().name() {
                continue;
            }
            match self.known.get_mut(n) {
                None => {
                    self.known.insert(n.clone(), *v);
                    added.push(n.clone());
                    // A connect the peer never answered (it knew us already) cannot progress.
                    if self.connects.get(n).is_some_and(|c| c.his_tag.is_none()) {
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
                        let in_sync = Term::tuple(vec![
                            Term::atom("in_sync"),
                            Term::Atom(me),
                            Term::atom("true"),
                        ]);
                        let _ = node.cast(server_on(&other), in_sync);
                    }
                    Err(err) => {
                        tracing::warn!(%other, %err, "global: failed to connect");
                        let down =
                            Term::tuple(vec![Term::atom("extra_nodedown"), Term::Atom(other)]);
                        let _ = node.send(server, down);
                    }
                }
            });
        }
    }

    /// `{new_nodes, Node, Ops, NamesExt, Nodes, ExtraInfo}`: a synced peer met new nodes.
    pub(super) fn new_nodes(
        &mut self,
        ctx: &Context,
        _from: Atom,
        ops: &Term,
        _ext: &Term,
        nodes: &Term,
        extra: &Term,
    ) {
        let added = self.add_to_known(ctx, &known_entries(nodes));
        self.sync_others(ctx, added);
        // `lock_still_set`: while a `global` lock is held here, only that connect's names stand.
        let global = Term::atom("global");
        let keep = match self.locks.requester(&global) {
            None => true,
            Some(requester) => list_of(extra).iter().any(|item| {
                matches!(item.as_tuple(), Some([tag, lock]) if tag.is_atom("lock")
                    && matches!(lock.as_tuple(), Some([_, id]) if id == requester))
            }),
        };
        self.names.apply_ops(ctx, &list_of(ops), keep);
        self.publish_nodes();
    }

    /// `{in_sync, Node, true}`: the peer synced with us through a third node.
    pub(super) fn in_sync(&mut self, ctx: &Context, node: Atom) {
        if let Some(c) = self.drop_connect(&node) {
            if let Some(his_tag) = c.his_tag {
                self.send_cancel_connect(ctx, &node, his_tag);
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
