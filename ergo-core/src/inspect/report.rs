//! The inspect API's report types (plain data, cloned out of the node). Must not hold locks or
//! handles that keep anything alive.

use std::time::Duration;

use ergo_etf::{Atom, Pid, Term};

use crate::gen::application::StartType;
use crate::node::ProcessInfo;

/// The node at a glance.
#[derive(Clone, Debug)]
pub struct NodeSummary {
    /// The node's name.
    pub name: Atom,
    /// Its creation.
    pub creation: u32,
    /// Time since it started.
    pub uptime: Duration,
    /// Live processes.
    pub processes: usize,
    /// Processes spawned since it started.
    pub processes_spawned: u64,
    /// The OS process's resident memory in bytes, where the OS says (`/proc/self/status`).
    pub memory_rss: Option<u64>,
    /// Messages (and signals) processes have taken from their mailboxes since the node started.
    pub messages_handled: u64,
    /// Calls gen_servers have handled.
    pub calls_handled: u64,
    /// How long they took to handle, sampled (one call in `CALL_SAMPLE` per server).
    pub call_durations: crate::node::CallDurations,
    /// Distribution messages received since the node went on the network.
    pub network_messages_in: u64,
    /// Distribution messages sent.
    pub network_messages_out: u64,
    /// Distribution bytes received.
    pub network_bytes_in: u64,
    /// Distribution bytes sent.
    pub network_bytes_out: u64,
    /// Live connections to other nodes.
    pub connections: usize,
    /// Whether the node is on the network.
    pub distributed: bool,
}

/// One process in detail.
#[derive(Clone, Debug)]
pub struct ProcessDetail {
    /// The table's snapshot (name, links, monitors, mailbox, counters).
    pub info: ProcessInfo,
    /// What its behaviour says of itself: a gen_server's `inspect` callback, a supervisor's
    /// flags and children; empty for a plain process.
    pub inspect: Vec<(String, String)>,
    /// Why `inspect` is empty although the behaviour answers such requests (it was busy past
    /// the timeout, or ended meanwhile).
    pub inspect_error: Option<String>,
}

/// A running application.
#[derive(Clone, Debug)]
pub struct ApplicationReport {
    /// Its name.
    pub name: Atom,
    /// Its description.
    pub description: String,
    /// Its version.
    pub version: String,
    /// The application master process.
    pub master: Pid,
    /// Its root (a supervisor, usually), when it has one.
    pub root: Option<Pid>,
    /// How it was started.
    pub start_type: StartType,
}

/// A registered name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredName {
    /// The name.
    pub name: Atom,
    /// The process registered under it.
    pub pid: Pid,
}

/// A registered event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventReport {
    /// Its name.
    pub name: Atom,
    /// The producer.
    pub owner: Pid,
    /// How many processes subscribe to it.
    pub subscribers: usize,
}

/// One pg group of one scope.
#[derive(Clone, Debug, PartialEq)]
pub struct PgGroupReport {
    /// The scope.
    pub scope: Atom,
    /// The group (any term).
    pub group: Term,
    /// Its members on every node.
    pub members: Vec<Pid>,
    /// Its members on this node.
    pub local_members: Vec<Pid>,
}
