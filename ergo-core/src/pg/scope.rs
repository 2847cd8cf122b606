//! The scope process: `pg`'s protocol as OTP 25's pg.erl speaks it. Local joins and leaves come
//! from the [`super::PgScope`] API; peers' scopes send `{discover, Peer}`, `{join, Peer, Group,
//! PidOrPids}`, `{leave, Peer, PidOrPids, Groups}` and the cast `{sync, Peer, [{Group, Pids}]}`;
//! members and peer scopes are monitored, and `{nodeup, N}` starts discovery on a new node.
//! Owns the membership state and keeps the shared view in step; must not send anything an
//! Erlang scope does not expect (it crashes with `badarg` on unknown messages).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ergo_etf::{Atom, Pid, Reference, Term};

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

/// A pid, or a list of pids, as `pg` sends them.
fn pids_of(term: &Term) -> Vec<Pid> {
    match term {
        Term::Pid(p) => vec![p.clone()],
        Term::List(items) => items
            .iter()
            .filter_map(|t| match t {
                Term::Pid(p) => Some(p.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn pid_or_pids(pids: &[Pid]) -> Term {
    match pids {
        [one] => Term::Pid(one.clone()),
        many => Term::list(many.iter().cloned().map(Term::Pid).collect::<Vec<_>>()),
    }
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

    fn broadcast(&self, ctx: &Context, message: Term) {
        for peer in self.remote.keys() {
            let _ = ctx.send(peer.clone(), message.clone());
        }
    }

    fn all_local(&self) -> Term {
        Term::list(
            self.local_groups
                .iter()
                .filter(|(_, pids)| !pids.is_empty())
                .map(|(g, pids)| {
                    Term::tuple(vec![
                        g.clone(),
                        Term::list(pids.iter().cloned().map(Term::Pid).collect::<Vec<_>>()),
                    ])
                })
                .collect::<Vec<_>>(),
        )
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
        let me = Term::Pid(self.me.clone());
        self.broadcast(
            ctx,
            Term::tuple(vec![Term::atom("join"), me, group, pid_or_pids(&pids)]),
        );
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
        let me = Term::Pid(self.me.clone());
        self.broadcast(
            ctx,
            Term::tuple(vec![
                Term::atom("leave"),
                me,
                pid_or_pids(&left),
                Term::list(vec![group]),
            ]),
        );
        true
    }

    /// A peer scope's full list of members replaces what we knew of it.
    fn sync(&mut self, ctx: &Context, peer: Pid, groups: &Term) {
        let mut new: BTreeMap<Term, Vec<Pid>> = BTreeMap::new();
        if let Term::List(items) = groups {
            for item in items {
                if let Some([group, pids]) = item.as_tuple() {
                    new.entry(group.clone()).or_default().extend(pids_of(pids));
                }
            }
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
        let sync = Term::tuple(vec![
            Term::atom("sync"),
            Term::Pid(self.me.clone()),
            self.all_local(),
        ]);
        let _ = ctx.cast(peer.clone(), sync);
        if !self.remote.contains_key(&peer) {
            let mref = ctx.monitor(peer.clone());
            let _ = ctx.send(
                peer.clone(),
                Term::tuple(vec![Term::atom("discover"), Term::Pid(self.me.clone())]),
            );
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

    fn remote_leave(&mut self, peer: &Pid, pids: Vec<Pid>, left_groups: &Term) {
        let Some((_, groups)) = self.remote.get_mut(peer) else {
            return;
        };
        let names: Vec<Term> = match left_groups {
            Term::List(items) => items.clone(),
            _ => Vec::new(),
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
            let me = Term::Pid(self.me.clone());
            let mut unique = groups.clone();
            unique.dedup();
            self.broadcast(
                ctx,
                Term::tuple(vec![
                    Term::atom("leave"),
                    me,
                    Term::Pid(pid),
                    Term::list(unique),
                ]),
            );
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
        for peer in node.nodes() {
            let _ = ctx.send(
                Dest::Remote {
                    name: name.clone(),
                    node: peer,
                },
                Term::tuple(vec![Term::atom("discover"), Term::Pid(me.clone())]),
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
        let request = request.into_term();
        match request.as_tuple() {
            Some([tag, Term::Pid(peer), groups]) if tag.is_atom("sync") => {
                self.sync(ctx, peer.clone(), groups)
            }
            _ => tracing::warn!(scope = %self.name, %request, "unexpected pg cast ignored"),
        }
        Status::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Status {
        let message = message.into_term();
        match message.as_tuple() {
            Some([tag, Term::Pid(peer), group, pids]) if tag.is_atom("join") => {
                self.remote_join(&peer.clone(), group.clone(), pids_of(pids))
            }
            Some([tag, Term::Pid(peer), pids, groups]) if tag.is_atom("leave") => {
                self.remote_leave(&peer.clone(), pids_of(pids), &groups.clone())
            }
            Some([tag, Term::Pid(peer)]) if tag.is_atom("discover") => {
                self.discover(ctx, peer.clone())
            }
            Some([tag, Term::Reference(mref), _, Term::Pid(pid), _]) if tag.is_atom("DOWN") => {
                self.down(ctx, &mref.clone(), pid.clone())
            }
            Some([tag, Term::Atom(node)]) if tag.is_atom("nodeup") => {
                if node != ctx.node().name() {
                    let _ = ctx.send(
                        Dest::Remote {
                            name: self.name.clone(),
                            node: node.clone(),
                        },
                        Term::tuple(vec![Term::atom("discover"), Term::Pid(self.me.clone())]),
                    );
                }
            }
            Some([tag, _]) if tag.is_atom("nodedown") => {}
            _ => tracing::warn!(scope = %self.name, %message, "unexpected pg message ignored"),
        }
        Status::Continue
    }
}
