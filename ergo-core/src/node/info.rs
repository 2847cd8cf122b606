//! Introspection: the list of processes and what `process_info` shows, the node's own counters,
//! and the request a behaviour answers about itself ([`InspectProcess`]). Must not change state.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ergo_etf::{Atom, Pid, Reference, Term};

use super::table::ProcessEntry;
use super::Node;
use crate::process::DirectRequest;

/// What a process is doing when looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessStatus {
    /// Running its code (a callback, or anything but waiting in `recv`).
    Running,
    /// Waiting in `recv` for a message.
    Waiting,
    /// Suspended by `sys:suspend/1`: it answers system messages only until `sys:resume/1`.
    Suspended,
}

impl ProcessStatus {
    /// `running`, `waiting` or `suspended`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessStatus::Running => "running",
            ProcessStatus::Waiting => "waiting",
            ProcessStatus::Suspended => "suspended",
        }
    }
}

/// A snapshot of one process.
#[derive(Clone, Debug)]
#[non_exhaustive]
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
    /// The behaviour it runs: the Rust type of a gen_server or supervisor, or `process`.
    pub behaviour: &'static str,
    /// What kind of process it is: `process`, `gen_server`, `supervisor`,
    /// `application_master`...
    pub kind: &'static str,
    /// Whether its behaviour answers [`InspectProcess`] (the inspect API's detail view).
    pub answers_inspect: bool,
    /// Whether it traps exits.
    pub trap_exit: bool,
    /// Envelopes (messages, calls, signals) it has taken from its mailbox.
    pub messages_handled: u64,
    /// Whether it is running or waiting for a message.
    pub status: ProcessStatus,
}

/// The node's own counters.
#[derive(Clone, Debug)]
pub struct NodeStats {
    /// Time since the node started.
    pub uptime: Duration,
    /// Live processes.
    pub processes: usize,
    /// Processes spawned since the node started.
    pub spawned: u64,
    /// Envelopes taken from mailboxes by all processes, live and ended.
    pub messages_handled: u64,
    /// The OS process's resident memory in bytes, where the OS says.
    pub memory_rss: Option<u64>,
    /// Calls gen_servers have handled, live and ended.
    pub calls_handled: u64,
    /// How long they took to handle, sampled (one call in [`super::CALL_SAMPLE`]).
    pub call_durations: super::CallDurations,
}

/// A request a behaviour answers about itself, for the inspect API: key/value pairs (a
/// gen_server's `inspect` callback, a supervisor's flags and children). Only processes whose
/// [`ProcessInfo::answers_inspect`] is true are asked.
#[derive(Debug)]
pub struct InspectProcess;

// Not offered as a suggestion when some other type is not a `DirectRequest` (it is the runtime's
// own request, not an example to follow).
#[diagnostic::do_not_recommend]
impl DirectRequest for InspectProcess {
    type Reply = Vec<(String, String)>;
}

/// The resident memory of this OS process in bytes (`VmRSS` of `/proc/self/status`); `None`
/// where the OS does not say.
pub fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })?;
    Some(kib * 1024)
}

fn snapshot(e: &ProcessEntry) -> Option<ProcessInfo> {
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
        kind: st.kind,
        answers_inspect: st.answers_inspect,
        trap_exit: e.trap_exit.load(Ordering::Relaxed),
        messages_handled: e.handled.load(Ordering::Relaxed),
        status: if st.suspended {
            ProcessStatus::Suspended
        } else if e.waiting.load(Ordering::Relaxed) {
            ProcessStatus::Waiting
        } else {
            ProcessStatus::Running
        },
    })
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

    /// The registered names with their pids (unsorted).
    pub fn registered_pids(&self) -> Vec<(Atom, Pid)> {
        super::lock(&self.inner.names)
            .iter()
            .map(|(name, pid)| (name.clone(), pid.clone()))
            .collect()
    }

    /// How many processes are alive.
    pub fn process_count(&self) -> usize {
        self.inner.table.len()
    }

    /// A snapshot of a live local process.
    pub fn process_info(&self, pid: &Pid) -> Option<ProcessInfo> {
        let entry = self.entry(pid)?;
        snapshot(&entry)
    }

    /// Snapshots of every live local process (table order): one short lock per process, no
    /// process is asked anything.
    pub fn process_infos(&self) -> Vec<ProcessInfo> {
        self.inner
            .table
            .all()
            .iter()
            .filter_map(|e| snapshot(e))
            .collect()
    }

    /// The node's counters: uptime, processes, messages handled, memory.
    pub fn stats(&self) -> NodeStats {
        let (live, live_calls) = self
            .inner
            .table
            .all()
            .iter()
            .map(|e| {
                (
                    e.handled.load(Ordering::Relaxed),
                    e.calls.load(Ordering::Relaxed),
                )
            })
            .fold((0, 0), |(h, c), (eh, ec)| (h + eh, c + ec));
        NodeStats {
            uptime: self.inner.started_at.elapsed(),
            processes: self.inner.table.len(),
            spawned: self.inner.next_pid.load(Ordering::Relaxed) - 1,
            messages_handled: live + self.inner.handled_by_exited.load(Ordering::Relaxed),
            memory_rss: resident_memory(),
            calls_handled: live_calls + self.inner.calls_by_exited.load(Ordering::Relaxed),
            call_durations: self.inner.call_times.read(),
        }
    }

    /// Adds a timed call's duration to the node's histogram.
    pub(crate) fn record_call_time(&self, took: Duration) {
        self.inner.call_times.record(took);
    }
}
