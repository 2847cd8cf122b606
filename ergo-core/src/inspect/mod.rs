//! The inspect API: typed snapshots of a running node, answered without stopping anything. The
//! node summary, the process list and registered names come from the process table (no process
//! is asked anything); one process in detail asks that process, if its behaviour answers (a
//! gen_server through its `inspect` callback, a supervisor with its children), with a timeout;
//! supervision trees and applications ask the supervisors; the network view reads the
//! connections' counters. The observer's web pages and metrics are built on this.
//!
//! Owns the report types and how they are put together from the layers below; must not change
//! any state (sending a message or an exit from the observer goes through the node's own API,
//! not through here).

mod network;
mod report;
mod supervision;

use std::time::Duration;

use ergo_etf::{Pid, Term};

pub use network::{NetworkReport, PeerReport};
pub use report::{
    ApplicationReport, EventReport, NodeSummary, PgGroupReport, ProcessDetail, RegisteredName,
};
pub use supervision::{ChildNode, SupervisorNode};

use crate::gen::supervisor::SupervisorReport;
use crate::node::{InspectProcess, Node, ProcessInfo};
use crate::process::{DirectEnvelope, DirectFailure, Envelope};

/// How long one process is given to answer an inspect request.
pub const PROCESS_ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

/// Typed views of one node. Cheap to make and to clone; every method is a fresh snapshot.
#[derive(Clone, Debug)]
pub struct Inspector {
    node: Node,
}

impl Node {
    /// The inspect API of this node.
    pub fn inspector(&self) -> Inspector {
        Inspector { node: self.clone() }
    }
}

impl Inspector {
    /// The node inspected.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Uptime, process count, memory, messages and connections.
    pub fn summary(&self) -> NodeSummary {
        let stats = self.node.stats();
        let network = self.network();
        NodeSummary {
            name: self.node.name().clone(),
            creation: self.node.creation(),
            uptime: stats.uptime,
            processes: stats.processes,
            processes_spawned: stats.spawned,
            memory_rss: stats.memory_rss,
            messages_handled: stats.messages_handled,
            calls_handled: stats.calls_handled,
            call_durations: stats.call_durations,
            network_messages_in: network.as_ref().map_or(0, |n| n.messages_in),
            network_messages_out: network.as_ref().map_or(0, |n| n.messages_out),
            network_bytes_in: network.as_ref().map_or(0, |n| n.bytes_in),
            network_bytes_out: network.as_ref().map_or(0, |n| n.bytes_out),
            connections: network.as_ref().map_or(0, |n| n.peers.len()),
            distributed: network.is_some(),
        }
    }

    /// Every live local process (pid order). One short lock per process; no process is asked.
    pub fn processes(&self) -> Vec<ProcessInfo> {
        let mut list = self.node.process_infos();
        list.sort_by_key(|a| (a.pid.serial, a.pid.id));
        list
    }

    /// One process in detail: its snapshot, and what its behaviour says of itself (a
    /// gen_server's `inspect` callback, a supervisor's flags and children). `None` when the
    /// process is not alive.
    pub async fn process(&self, pid: &Pid) -> Option<ProcessDetail> {
        let info = self.node.process_info(pid)?;
        let (inspect, inspect_error) = if info.answers_inspect {
            match self.ask(pid, InspectProcess).await {
                Ok(pairs) => (pairs, None),
                Err(why) => (Vec::new(), Some(why)),
            }
        } else {
            (Vec::new(), None)
        };
        Some(ProcessDetail {
            info,
            inspect,
            inspect_error,
        })
    }

    /// Asks a local process a direct request, with [`PROCESS_ANSWER_TIMEOUT`].
    pub(crate) async fn ask<R: crate::process::DirectRequest>(
        &self,
        pid: &Pid,
        request: R,
    ) -> Result<R::Reply, String> {
        let (envelope, answer) = DirectEnvelope::new(request);
        self.node
            .send_envelope(None, &pid.clone().into(), Envelope::Direct(envelope))
            .map_err(|e| e.to_string())?;
        match tokio::time::timeout(PROCESS_ANSWER_TIMEOUT, answer).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(DirectFailure::Refused(reason))) => Err(format!("refused: {reason}")),
            Ok(Err(DirectFailure::NoReply)) => Err("no reply (the process ended)".into()),
            Err(_) => Err(format!(
                "no answer within {} ms",
                PROCESS_ANSWER_TIMEOUT.as_millis()
            )),
        }
    }

    /// One supervisor's flags and children (with restart counts).
    pub async fn supervisor(&self, pid: &Pid) -> Result<SupervisorReport, String> {
        self.node
            .supervisor_ref(pid.clone())
            .report_within(PROCESS_ANSWER_TIMEOUT)
            .await
            .map_err(|e| e.to_string())
    }

    /// The supervision trees: every supervisor that no other local supervisor supervises, with
    /// its children, recursively.
    pub async fn supervision_trees(&self) -> Vec<SupervisorNode> {
        supervision::trees(self).await
    }

    /// The running applications, with their master and root supervisor.
    pub fn applications(&self) -> Vec<ApplicationReport> {
        let apps = self.node.applications();
        let loaded = apps.loaded_applications();
        apps.running_applications()
            .into_iter()
            .map(|running| {
                let info = loaded.iter().find(|l| l.name == running.name);
                ApplicationReport {
                    description: info.map(|i| i.description.clone()).unwrap_or_default(),
                    version: info.map(|i| i.version.clone()).unwrap_or_default(),
                    name: running.name,
                    master: running.master,
                    root: running.root,
                    start_type: running.start_type,
                }
            })
            .collect()
    }

    /// The network: this node's listener, every connected peer with its flags and counters.
    /// `None` for a node that is not distributed.
    pub fn network(&self) -> Option<NetworkReport> {
        network::report(&self.node)
    }

    /// Registered names and their pids, sorted by name.
    pub fn registered(&self) -> Vec<RegisteredName> {
        let mut names: Vec<RegisteredName> = self
            .node
            .registered_pids()
            .into_iter()
            .map(|(name, pid)| RegisteredName { name, pid })
            .collect();
        names.sort_by(|a, b| a.name.cmp(&b.name));
        names
    }

    /// Registered events, their owners and subscriber counts, sorted by name.
    pub fn events(&self) -> Vec<EventReport> {
        let mut events: Vec<EventReport> = self
            .node
            .event_list()
            .into_iter()
            .map(|(name, owner, subscribers)| EventReport {
                name,
                owner,
                subscribers,
            })
            .collect();
        events.sort_by(|a, b| a.name.cmp(&b.name));
        events
    }

    /// The pg groups of every scope started on this node, with their members.
    pub fn pg_groups(&self) -> Vec<PgGroupReport> {
        let mut out = Vec::new();
        for scope in crate::pg::PgScope::running(&self.node) {
            for group in scope.which_groups() {
                let members = scope.get_members(group.clone());
                let local_members = scope.get_local_members(group.clone());
                out.push(PgGroupReport {
                    scope: scope.name().clone(),
                    group,
                    members,
                    local_members,
                });
            }
        }
        out.sort_by(|a, b| (&a.scope, &a.group).cmp(&(&b.scope, &b.group)));
        out
    }
}

/// A term rendered for a person: Erlang syntax, cut at `max` characters.
pub fn render_term(term: &Term, max: usize) -> String {
    let text = term.to_string();
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max).collect();
    cut.push('…');
    cut
}

/// A pid as Erlang prints it (`<0.42.0>`).
pub fn pid_text(pid: &Pid) -> String {
    Term::Pid(pid.clone()).to_string()
}
