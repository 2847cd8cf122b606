//! The node's process table: live process entries by pid id, sharded to keep lock contention low,
//! and each entry's shared state (name, links, monitors). Must not implement signal semantics
//! (those live in `signals.rs`).

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, MutexGuard};

use ergo_etf::{Atom, Pid, Reference, Term};

use super::MonitorTarget;
use crate::process::Mailbox;

const SHARDS: usize = 64;

/// Pid ids are sequential numbers: the Fx hash spreads them with one multiplication (SipHash
/// showed up in call-local profiles).
type IdMap = crate::fast_hash::FxHashMap<u32, Arc<ProcessEntry>>;

/// A monitor this process holds on someone else.
#[derive(Clone, Debug)]
pub(crate) struct Monitoring {
    pub reference: Reference,
    /// The monitored process (resolved pid), or a name on another node.
    pub target: MonitorTarget,
    /// How a DOWN names the target.
    pub who: Term,
}

impl Monitoring {
    /// The node the target lives on.
    pub(crate) fn target_node(&self) -> &Atom {
        match &self.target {
            MonitorTarget::Pid(p) => &p.node,
            MonitorTarget::Name { node, .. } => node,
        }
    }
}

/// A monitor someone holds on this process.
#[derive(Clone, Debug)]
pub(crate) struct MonitoredBy {
    pub reference: Reference,
    pub watcher: Pid,
    /// How the DOWN message names this process: its pid, or `{Name, Node}`.
    pub who: Term,
}

/// Work a layer above the node does when a process ends (after its links and monitors fired):
/// the event registry, for instance, tells the subscribers of the events it owned. `key` names
/// the hook so a layer adds it once per process.
#[derive(Clone, Copy)]
pub(crate) struct ExitHook {
    /// Who added the hook (one hook per key and process).
    pub key: &'static str,
    /// Called with the node, the ended process and its exit reason.
    pub run: fn(&crate::node::Node, &Pid, &Term),
}

/// The mutable, shared part of a process.
pub(crate) struct ProcState {
    pub alive: bool,
    pub name: Option<Atom>,
    pub links: Vec<Pid>,
    pub monitoring: Vec<Monitoring>,
    pub monitored_by: Vec<MonitoredBy>,
    /// What the layers above asked to run when this process ends.
    pub exit_hooks: Vec<ExitHook>,
    pub aliases: Vec<Reference>,
    /// What kind of process it is (`process`, `gen_server`, `supervisor`...), as its behaviour
    /// says once it runs.
    pub kind: &'static str,
    /// Whether its behaviour answers [`super::InspectProcess`] requests.
    pub answers_inspect: bool,
    /// Suspended by `sys:suspend/1` (its behaviour handles system messages only).
    pub suspended: bool,
}

impl Default for ProcState {
    fn default() -> ProcState {
        ProcState {
            alive: false,
            name: None,
            links: Vec::new(),
            monitoring: Vec::new(),
            monitored_by: Vec::new(),
            exit_hooks: Vec::new(),
            aliases: Vec::new(),
            kind: "process",
            answers_inspect: false,
            suspended: false,
        }
    }
}

impl ProcState {
    /// Takes out the monitor `reference` held on this process. The list is not kept in order
    /// (the order of DOWNs among watchers is not defined), so a removal moves one entry instead
    /// of shifting the rest: a busy server holds a monitor per call in flight.
    pub(crate) fn remove_monitored_by(&mut self, reference: &Reference) -> Option<MonitoredBy> {
        take_first(&mut self.monitored_by, |m| &m.reference == reference)
    }

    /// Takes out the monitor `reference` this process holds (as
    /// [`ProcState::remove_monitored_by`]).
    pub(crate) fn remove_monitoring(&mut self, reference: &Reference) -> Option<Monitoring> {
        take_first(&mut self.monitoring, |m| &m.reference == reference)
    }
}

/// Takes out the first entry that matches, moving the last entry into its place.
fn take_first<T>(list: &mut Vec<T>, matches: impl Fn(&T) -> bool) -> Option<T> {
    let i = list.iter().position(matches)?;
    Some(list.swap_remove(i))
}

/// One live process.
pub(crate) struct ProcessEntry {
    pub pid: Pid,
    pub mailbox: Mailbox,
    pub behaviour: &'static str,
    pub trap_exit: AtomicBool,
    /// Set by an untrappable `kill`: the process task drops its code at its next poll.
    pub killed: AtomicBool,
    /// The process's compression setting, packed (see `net::compression_setting`); 0 inherits
    /// the node's.
    #[cfg_attr(not(feature = "dist"), allow(dead_code))]
    pub compression: std::sync::atomic::AtomicU64,
    pub state: Mutex<ProcState>,
    /// Envelopes the process has taken from its mailbox. Written by the process's own task only
    /// (a load and a store, no read-modify-write), read by the inspect API.
    pub handled: AtomicU64,
    /// Whether the process is waiting in `recv` for a message (else it runs its code); written
    /// by its own task only.
    pub waiting: AtomicBool,
    /// Calls its behaviour handled (a gen_server's); written by its own task only.
    pub calls: AtomicU64,
}

impl ProcessEntry {
    pub(crate) fn state(&self) -> MutexGuard<'_, ProcState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Live processes by pid id.
/// A shard's lock and map on cache lines of their own: lookups by two workers in different
/// shards do not take a line from each other (unpadded, a line held parts of two shards).
#[repr(align(128))]
struct PaddedShard(Mutex<IdMap>);

pub(crate) struct ProcessTable {
    shards: Box<[PaddedShard]>,
}

impl ProcessTable {
    pub(crate) fn new() -> ProcessTable {
        ProcessTable {
            shards: (0..SHARDS)
                .map(|_| PaddedShard(Mutex::new(IdMap::default())))
                .collect(),
        }
    }

    fn shard(&self, id: u32) -> MutexGuard<'_, IdMap> {
        let idx = (id as usize) % SHARDS;
        match self.shards.get(idx) {
            Some(m) => m.0.lock().unwrap_or_else(|p| p.into_inner()),
            // SHARDS > 0 and idx < SHARDS, so this arm is unreachable; fall back to shard 0.
            None => self.shards[0].0.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    pub(crate) fn insert(&self, entry: Arc<ProcessEntry>) {
        self.shard(entry.pid.id).insert(entry.pid.id, entry);
    }

    pub(crate) fn get(&self, pid: &Pid) -> Option<Arc<ProcessEntry>> {
        let shard = self.shard(pid.id);
        let e = shard.get(&pid.id)?;
        (e.pid.serial == pid.serial).then(|| Arc::clone(e))
    }

    pub(crate) fn remove(&self, pid: &Pid) {
        let mut shard = self.shard(pid.id);
        if shard
            .get(&pid.id)
            .is_some_and(|e| e.pid.serial == pid.serial)
        {
            shard.remove(&pid.id);
        }
    }

    pub(crate) fn all(&self) -> Vec<Arc<ProcessEntry>> {
        let mut out = Vec::new();
        for idx in 0..SHARDS {
            out.extend(self.shard(idx as u32).values().cloned());
        }
        out
    }

    pub(crate) fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.shard(i as u32).len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ergo_etf::RefIds;

    fn reference(n: u32) -> Reference {
        Reference {
            node: Atom::new("a@h"),
            creation: 1,
            ids: RefIds::from([n, 0, 0]),
        }
    }

    #[test]
    fn monitors_come_out_by_reference() {
        let watcher = Pid {
            node: Atom::new("a@h"),
            id: 1,
            serial: 0,
            creation: 1,
        };
        let mut st = ProcState::default();
        for n in 1..=4 {
            st.monitored_by.push(MonitoredBy {
                reference: reference(n),
                watcher: watcher.clone(),
                who: Term::Int(i64::from(n)),
            });
            st.monitoring.push(Monitoring {
                reference: reference(n),
                target: MonitorTarget::Pid(watcher.clone()),
                who: Term::Int(i64::from(n)),
            });
        }
        let taken = st.remove_monitored_by(&reference(2)).map(|m| m.who);
        assert_eq!(taken, Some(Term::Int(2)));
        assert!(st.remove_monitored_by(&reference(2)).is_none());
        let mut left: Vec<Term> = st.monitored_by.iter().map(|m| m.who.clone()).collect();
        left.sort();
        assert_eq!(left, vec![Term::Int(1), Term::Int(3), Term::Int(4)]);
        assert_eq!(
            st.remove_monitoring(&reference(4)).map(|m| m.who),
            Some(Term::Int(4))
        );
        assert!(st.remove_monitoring(&reference(9)).is_none());
        assert_eq!(st.monitoring.len(), 3);
    }
}
