//! Supervision trees as the inspect API shows them: each supervisor asked for its report
//! (flags, children, restart counts), the tree walked from the supervisors no local supervisor
//! supervises. Must not start, stop or restart anything.

use std::collections::HashSet;

use ergo_etf::{Atom, Pid};

use super::Inspector;
use crate::gen::supervisor::{ChildKind, Restart, Strategy, SupervisorReport};

/// A supervisor and what it supervises.
#[derive(Clone, Debug)]
pub struct SupervisorNode {
    /// The supervisor.
    pub pid: Pid,
    /// Its registered name.
    pub name: Option<Atom>,
    /// Its restart strategy.
    pub strategy: Strategy,
    /// Restarts it has made since it started.
    pub restarts: u64,
    /// Its children, in start order; `None` when it did not answer in time.
    pub children: Option<Vec<ChildNode>>,
}

/// One child in a supervision tree.
#[derive(Clone, Debug)]
pub struct ChildNode {
    /// The child id (`None` for simple_one_for_one children).
    pub id: Option<Atom>,
    /// Its process, when running.
    pub pid: Option<Pid>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: Restart,
    /// How often the supervisor restarted it.
    pub restarts: u64,
    /// The subtree, for a running child supervisor.
    pub supervisor: Option<Box<SupervisorNode>>,
}

/// How deep a tree is walked (a guard against a cycle the table could show mid-restart).
const MAX_DEPTH: usize = 32;

pub(super) async fn trees(inspector: &Inspector) -> Vec<SupervisorNode> {
    let supervisors: Vec<_> = inspector
        .node
        .process_infos()
        .into_iter()
        .filter(|p| p.kind == "supervisor")
        .collect();
    let mut reports = Vec::with_capacity(supervisors.len());
    for info in &supervisors {
        let report = inspector.supervisor(&info.pid).await.ok();
        reports.push((info.pid.clone(), info.name.clone(), report));
    }
    let supervised: HashSet<Pid> = reports
        .iter()
        .filter_map(|(_, _, r)| r.as_ref())
        .flat_map(|r| r.children.iter().filter_map(|c| c.pid.clone()))
        .collect();
    let mut roots: Vec<SupervisorNode> = reports
        .iter()
        .filter(|(pid, _, _)| !supervised.contains(pid))
        .map(|(pid, name, report)| build(pid, name.clone(), report.as_ref(), &reports, 0))
        .collect();
    roots.sort_by_key(|a| (a.pid.serial, a.pid.id));
    roots
}

type Reports = [(Pid, Option<Atom>, Option<SupervisorReport>)];

fn build(
    pid: &Pid,
    name: Option<Atom>,
    report: Option<&SupervisorReport>,
    all: &Reports,
    depth: usize,
) -> SupervisorNode {
    let children = report.map(|r| {
        r.children
            .iter()
            .map(|c| {
                let sub = c
                    .pid
                    .as_ref()
                    .filter(|_| c.kind == ChildKind::Supervisor && depth < MAX_DEPTH)
                    .and_then(|p| all.iter().find(|(q, _, _)| q == p))
                    .map(|(p, n, r)| Box::new(build(p, n.clone(), r.as_ref(), all, depth + 1)));
                ChildNode {
                    id: c.id.clone(),
                    pid: c.pid.clone(),
                    kind: c.kind,
                    restart: c.restart,
                    restarts: c.restarts,
                    supervisor: sub,
                }
            })
            .collect()
    });
    SupervisorNode {
        pid: pid.clone(),
        name,
        strategy: report.map_or(Strategy::OneForOne, |r| r.strategy),
        restarts: report.map_or(0, |r| r.restarts),
        children,
    }
}
