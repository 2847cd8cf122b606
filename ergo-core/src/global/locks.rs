//! `global`'s lock table: a lock `{ResourceId, LockRequesterId}` is held on a resource by one
//! requester id at a time, by one or more holder pids, each monitored; a holder that exits
//! releases its part. Answers `set_lock` / `del_lock` as `global.erl`'s `handle_set_lock` and
//! `handle_del_lock` do. Owns the table only; must not send anything.

use std::collections::BTreeMap;

use ergo_etf::{Pid, Reference, Term};

use super::protocol::GlobalLockId;
use crate::node::Context;

/// One held lock.
struct Lock {
    requester: Term,
    holders: Vec<(Pid, Reference)>,
}

/// Resource id -> lock.
#[derive(Default)]
pub(crate) struct Locks {
    locks: BTreeMap<Term, Lock>,
}

/// `{ResourceId, LockRequesterId}`.
fn split(id: &Term) -> Option<(&Term, &Term)> {
    match id.as_tuple() {
        Some([resource, requester]) => Some((resource, requester)),
        _ => None,
    }
}

impl Locks {
    /// `handle_set_lock`: true when `holder` holds (or already held) lock `id`.
    pub(crate) fn set(&mut self, ctx: &Context, id: &Term, holder: &Pid) -> bool {
        let Some((resource, requester)) = split(id) else {
            return false;
        };
        match self.locks.get_mut(resource) {
            Some(lock) if &lock.requester != requester => false,
            Some(lock) => {
                if !lock.holders.iter().any(|(p, _)| p == holder) {
                    let mref = ctx.monitor(holder.clone());
                    lock.holders.push((holder.clone(), mref));
                }
                true
            }
            None => {
                let mref = ctx.monitor(holder.clone());
                self.locks.insert(
                    resource.clone(),
                    Lock {
                        requester: requester.clone(),
                        holders: vec![(holder.clone(), mref)],
                    },
                );
                true
            }
        }
    }

    /// `handle_del_lock`: `holder` lets go of lock `id` (nothing if it is not the holder).
    pub(crate) fn del(&mut self, ctx: &Context, id: &Term, holder: &Pid) {
        let Some((resource, requester)) = split(id) else {
            return;
        };
        let Some(lock) = self.locks.get_mut(resource) else {
            return;
        };
        if &lock.requester != requester {
            return;
        }
        if let Some(i) = lock.holders.iter().position(|(p, _)| p == holder) {
            let (_, mref) = lock.holders.remove(i);
            ctx.demonitor(&mref);
        }
        if lock.holders.is_empty() {
            self.locks.remove(resource);
        }
    }

    /// A monitored holder went: it lets go of every lock it held. True if `mref` was ours.
    pub(crate) fn down(&mut self, mref: &Reference) -> bool {
        let mut found = false;
        self.locks.retain(|_, lock| {
            let before = lock.holders.len();
            lock.holders.retain(|(_, r)| r != mref);
            found |= lock.holders.len() != before;
            !lock.holders.is_empty()
        });
        found
    }

    /// The requester id of the lock on `resource`, if one is held.
    pub(crate) fn requester(&self, resource: &Term) -> Option<&Term> {
        self.locks.get(resource).map(|l| &l.requester)
    }

    /// Whether `pid` is one of the holders of the lock on `resource`.
    pub(crate) fn holds(&self, resource: &Term, pid: &Pid) -> bool {
        self.locks
            .get(resource)
            .is_some_and(|l| l.holders.iter().any(|(p, _)| p == pid))
    }

    /// The requester id of the `global` lock when `holder` is one of its holders.
    pub(crate) fn global_held_by(&self, holder: &Pid) -> Option<Term> {
        let global = GlobalLockId::resource();
        self.holds(&global, holder)
            .then(|| self.requester(&global).cloned())
            .flatten()
    }
}
