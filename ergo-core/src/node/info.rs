//! Introspection: the list of processes and what `process_info` shows. Must not change state.

use ergo_etf::{Atom, Pid, Reference, Term};

use super::Node;

/// A snapshot of one process.
#[derive(Clone, Debug)]
pub struct ProcessInfo {
    /// Its pid.
    pub pid: Pid,
    /// Its registered name.
    pub name: Option<Atom>,
    /// Queued envelopes.
    pub mailbox_len: usize,
    /// Linked pids.
    pub links: Vec<Pid>,
    /// Monitors it holds (references).
    pub monitors: Vec<Reference>,
    /// What those monitors watch, in the same order: a pid, or `{Name, Node}`.
    pub monitor_targets: Vec<Term>,
    /// Processes monitoring it.
    pub monitored_by: Vec<Pid>,
    /// The behaviour it runs (`process`, `gen_server:Type`...).
    pub behaviour: &'static str,
    /// Whether it traps exits.
    pub trap_exit: bool,
}

impl Node {
    /// Pids of all live local processes.
    pub fn processes(&self) -> Vec<Pid> {
        self.inner
            .table
            .all()
            .into_iter()
            .map(|e| e.pid.clone())
            .collect()
    }

    /// The registered names of local processes (`erlang:registered/0`), sorted.
    pub fn registered(&self) -> Vec<Atom> {
        let mut names: Vec<Atom> = super::lock(&self.inner.names).keys().cloned().collect();
        names.sort();
        names
    }

    /// How many processes are alive.
    pub fn process_count(&self) -> usize {
        self.inner.table.len()
    }

    /// A snapshot of a live local process.
    pub fn process_info(&self, pid: &Pid) -> Option<ProcessInfo> {
        let e = self.entry(pid)?;
        let st = e.state();
        if !st.alive {
            return None;
        }
        Some(ProcessInfo {
            pid: e.pid.clone(),
            name: st.name.clone(),
            mailbox_len: e.mailbox.len(),
            links: st.links.clone(),
            monitors: st.monitoring.iter().map(|m| m.reference.clone()).collect(),
            monitor_targets: st.monitoring.iter().map(|m| m.who.clone()).collect(),
            monitored_by: st.monitored_by.iter().map(|m| m.watcher.clone()).collect(),
            behaviour: e.behaviour,
            trap_exit: e.trap_exit.load(std::sync::atomic::Ordering::Relaxed),
        })
    }
}
