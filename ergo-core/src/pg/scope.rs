//! The scope process: `pg`'s protocol as OTP 25's pg.erl speaks it. Local joins and leaves come
//! from the [`super::PgScope`] API; peers' scopes send `{discover, Peer}`, `{join, Peer, Group,
//! PidOrPids}`, `{leave, Peer, PidOrPids, Groups}` and the cast `{sync, Peer, [{Group, Pids}]}`
//! (their shapes are `protocol.rs`'s); members and peer scopes are monitored, and `{nodeup, N}`
//! starts discovery on a new node. A message of another shape is logged and ignored. Owns the
//! membership state and keeps the shared view in step; must not send anything an Erlang scope
//! does not expect (it crashes with `badarg` on unknown messages).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ergo_etf::{Atom, FromTerm, IntoTerm, Pid, Reference, Term};

use super::protocol::{Info, PidOrPids, Sync};
use super::{Members, View};
use crate::gen::server::{GenServer, Init, Status};
use crate::node::Context;
use crate::node::Dest;
use crate::process::{DirectEnvelope, DirectRequest, Payload};

/// What the API asks of the scope; the answer is a `bool` (false: `not_joined`).
pub(crate) enum Request {
    /// Join local pids to a group.
    Join(Term, Vec<Pid>),
    /// Remove local pids from a group.
    Leave(Term, Vec<Pid>),
}

impl DirectRequest for Request {
    type Reply = bool;
}

impl Request {
    pub(crate) fn pids(&self) -> &[Pid] {
        match self {
            Request::Join(_, pids) | Request::Leave(_, pids) => pids,
        }
    }
}

/// The scope's state.
pub(crate) struct Scope {
    name: Atom,
    me: Pid,
    view: View,
    /// Local member -> (its monitor, the groups it joined, with repeats).
    local: HashMap<Pid, (Reference, Vec<Term>)>,
    /// Group -> local members (with repeats).
    local_groups: BTreeMap<Term, Vec<Pid>>,
    /// Peer scope -> (its monitor, its groups).
    remote: HashMap<Pid, (Reference, BTreeMap<Term, Vec<Pid>>)>,
}

/// Removes one occurrence of each of `pids` from `list` (Erlang's `--`).
fn subtract(list: &mut Vec<Pid>, pids: &[Pid]) {
    for p in pids {
        if let Some(i) = list.iter().position(|x| x == p) {
            list.remove(i);
        }
    }
}

impl Scope {
    /// Recomputes the view of `groups` from local and remote membership.
    fn refresh<'a>(&self, groups: impl IntoIterator<Item = &'a Term>) {
        let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
        for group in groups {
            let local = self.local_groups.get(group).cloned().unwrap_or_default();
            let mut all = local.clone();
            for (_, groups) in self.remote.values() {
                if let Some(pids) = groups.get(group) {
                    all.extend(pids.iter().cloned());
                }
            }
            if all.is_empty() {
                view.remove(group);
            } else {
                view.insert(group.clone(), Members { all, local });
            }
        }
    }

    /// Sends `message` to every peer scope (converted once, as pg.erl's `broadcast/2`).
    fn broadcast(&self, ctx: &Context, message: Info) {
        let message = message.into_term();
        for peer in self.remote.keys() {
            let _ = ctx.send(peer.clone(), message.clone());
        }
    }

    /// Every local member by group (pg.erl's `all_local_pids/1`), for a [`Sync`].
    fn all_local(&self) -> Vec<(Term, Vec<Pid>)> {
        self.local_groups
            .iter()
            .filter(|(_, pids)| !pids.is_empty())
            .map(|(g, pids)| (g.clone(), pids.clone()))
            .collect()
    }

    /// `{discover, Me}`.
    fn discover_message(&self) -> Info {
        Info::Discover {
            peer: self.me.clone(),
        }
    }

    fn join_local(&mut self, ctx: &Context, group: Term, pids: Vec<Pid>) -> bool {
        for pid in &pids {
            let entry = self
                .local
                .entry(pid.clone())
                .or_insert_with(|| (ctx.monitor(pid.clone()), Vec::new()));
            entry.1.push(group.clone());
        }
        self.local_groups
            .entry(group.clone())
            .or_default()
            .extend(pids.iter().cloned());
        self.refresh([&group]);
        let join = Info::Join {
            peer: self.me.clone(),
            group,
            pids: PidOrPids::new(pids),
        };
        self.broadcast(ctx, join);
        true
    }

    fn leave_local(&mut self, ctx: &Context, group: Term, pids: Vec<Pid>) -> bool {
        let mut left = Vec::new();
        for pid in pids {
            let Some((mref, groups)) = self.local.get_mut(&pid) else {
                continue;
            };
            let Some(i) = groups.iter().position(|g| g == &group) else {
                continue;
            };
            groups.remove(i);
            if groups.is_empty() {
                let mref = mref.clone();
                self.local.remove(&pid);
                ctx.demonitor(&mref);
            }
            left.push(pid);
        }
        if left.is_empty() {
            return false;
        }
        if let Some(members) = self.local_groups.get_mut(&group) {
            subtract(members, &left);
            if members.is_empty() {
                self.local_groups.remove(&group);
            }
        }
        self.refresh([&group]);
        let leave = Info::Leave {
            peer: self.me.clone(),
            pids: PidOrPids::new(left),
            groups: vec![group],
        };
        self.broadcast(ctx, leave);
        true
    }

    /// A peer scope's full list of members replaces what we knew of it.
    fn sync(&mut self, ctx: &Context, Sync { peer, groups }: Sync) {
        let mut new: BTreeMap<Term, Vec<Pid>> = BTreeMap::new();
        for (group, pids) in groups {
            new.entry(group).or_default().extend(pids);
        }
        let old = match self.remote.remove(&peer) {
            Some((mref, old)) => {
                self.remote.insert(peer, (mref, new.clone()));
                old
            }
            None => {
                let mref = ctx.monitor(peer.clone());
                self.remote.insert(peer, (mref, new.clone()));
                BTreeMap::new()
            }
        };
        let touched: BTreeSet<&Term> = old.keys().chain(new.keys()).collect();
        self.refresh(touched);
    }

    fn discover(&mut self, ctx: &Context, peer: Pid) {
        let sync = Sync {
            peer: self.me.clone(),
            groups: self.all_local(),
        };
        let _ = ctx.cast(peer.clone(), sync.into_term());
        if !self.remote.contains_key(&peer) {
            let mref = ctx.monitor(peer.clone());
            let _ = ctx.send(peer.clone(), self.discover_message().into_term());
            self.remote.insert(peer, (mref, BTreeMap::new()));
        }
    }

    fn remote_join(&mut self, peer: &Pid, group: Term, pids: Vec<Pid>) {
        let Some((_, groups)) = self.remote.get_mut(peer) else {
            return;
        };
        groups.entry(group.clone()).or_default().extend(pids);
        self.refresh([&group]);
    }

    fn remote_leave(&mut self, peer: &Pid, pids: Vec<Pid>, names: Vec<Term>) {
        let Some((_, groups)) = self.remote.get_mut(peer) else {
            return;
        };
        for g in &names {
            if let Some(members) = groups.get_mut(g) {
                subtract(members, &pids);
                if members.is_empty() {
                    groups.remove(g);
                }
            }
        }
        self.refresh(names.iter());
    }

    fn down(&mut self, ctx: &Context, mref: &Reference, pid: Pid) {
        if matches!(self.local.get(&pid), Some((r, _)) if r == mref) {
            let Some((_, groups)) = self.local.remove(&pid) else {
                return;
            };
            for g in &groups {
                if let Some(members) = self.local_groups.get_mut(g) {
                    members.retain(|p| p != &pid);
                    if members.is_empty() {
                        self.local_groups.remove(g);
                    }
                }
            }
            self.refresh(groups.iter());
            let mut unique = groups.clone();
            unique.dedup();
            let leave = Info::Leave {
                peer: self.me.clone(),
                pids: PidOrPids::One(pid),
                groups: unique,
            };
            self.broadcast(ctx, leave);
        } else if matches!(self.remote.get(&pid), Some((r, _)) if r == mref) {
            if let Some((_, groups)) = self.remote.remove(&pid) {
                self.refresh(groups.keys());
            }
        }
    }
}

impl GenServer for Scope {
    type Args = (Atom, View);

    async fn init(ctx: &mut Context, args: (Atom, View)) -> Init<Scope> {
        let (name, view) = args;
        let me = ctx.pid().clone();
        let node = ctx.node().clone();
        // A local-only node has no peers to find; that is not an error.
        let _ = node.monitor_nodes(&me, true);
        let discover = Info::Discover { peer: me.clone() }.into_term();
        for peer in node.nodes() {
            let _ = ctx.send(
                Dest::Remote {
                    name: name.clone(),
                    node: peer,
                },
                discover.clone(),
            );
        }
        Init::Ok(Scope {
            name,
            me,
            view,
            local: HashMap::new(),
            local_groups: BTreeMap::new(),
            remote: HashMap::new(),
        })
    }

    async fn handle_direct(&mut self, ctx: &mut Context, request: DirectEnvelope) {
        let (request, reply) = match request.take::<Request>() {
            Ok(taken) => taken,
            Err(request) => return request.refuse(Term::atom("badarg")),
        };
        let done = match request {
            Request::Join(group, pids) => self.join_local(ctx, group, pids),
            Request::Leave(group, pids) => self.leave_local(ctx, group, pids),
        };
        reply.reply(done);
    }

    async fn handle_cast(&mut self, ctx: &mut Context, request: Payload) -> Status {
        match Sync::from_term(request.into_term()) {
            Ok(sync) => self.sync(ctx, sync),
            Err(error) => tracing::warn!(scope = %self.name, %error, "unexpected pg cast ignored"),
        }
        Status::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Status {
        let message = match Info::from_term(message.into_term()) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(scope = %self.name, %error, "unexpected pg message ignored");
                return Status::Continue;
            }
        };
        match message {
            Info::Join { peer, group, pids } => self.remote_join(&peer, group, pids.into_vec()),
            Info::Leave { peer, pids, groups } => self.remote_leave(&peer, pids.into_vec(), groups),
            Info::Discover { peer } => self.discover(ctx, peer),
            Info::Down { monitor, pid, .. } => self.down(ctx, &monitor, pid),
            Info::Nodeup(node) => {
                if &node != ctx.node().name() {
                    let _ = ctx.send(
                        Dest::Remote {
                            name: self.name.clone(),
                            node,
                        },
                        self.discover_message().into_term(),
                    );
                }
            }
            Info::Nodedown(_) => {}
        }
        Status::Continue
    }
}
