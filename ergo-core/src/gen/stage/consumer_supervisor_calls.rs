//! The callers' side of ConsumerSupervisor's management calls, on the messages Elixir's
//! `Supervisor.which_children/1`, `ConsumerSupervisor.count_children/1` and
//! `ConsumerSupervisor.start_child/2` send (`which_children`, `count_children`,
//! `{start_child, Args}`), so they drive a Rust or an Elixir consumer supervisor alike. Owns
//! those requests and the reading of their replies; must not know a supervisor's state.

use ergo_etf::{Pid, Term};

use super::control::StageError;
use crate::gen::supervisor::ChildKind;
use crate::node::{Dest, Node};

/// One entry of `which_children`: `{undefined, Pid | restarting, Type, Modules}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildInfo {
    /// The child's pid; `None` while it is being restarted (`restarting`).
    pub pid: Option<Pid>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// The modules as the child spec names them (`dynamic` or a list).
    pub modules: Term,
}

/// `count_children`'s map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildCounts {
    /// Always 1 for a consumer supervisor (one template).
    pub specs: u64,
    /// Children running.
    pub active: u64,
    /// Children that are supervisors.
    pub supervisors: u64,
    /// Children that are workers.
    pub workers: u64,
}

/// `Supervisor.which_children(sup)`.
pub async fn which_children(
    node: &Node,
    sup: impl Into<Dest>,
) -> Result<Vec<ChildInfo>, StageError> {
    let reply: Term = node.call(sup, Term::atom("which_children")).await?;
    let Term::List(items) = &reply else {
        // `[]` is nil.
        if reply == Term::nil() {
            return Ok(Vec::new());
        }
        return Err(StageError::BadReply(reply));
    };
    items
        .iter()
        .map(|item| child_info(item).ok_or_else(|| StageError::BadReply(reply.clone())))
        .collect()
}

fn child_info(item: &Term) -> Option<ChildInfo> {
    let [_id, child, kind, modules] = item.as_tuple()? else {
        return None;
    };
    let pid = match child {
        Term::Pid(p) => Some(p.clone()),
        other if other.is_atom("restarting") => None,
        _ => return None,
    };
    let kind = if kind.is_atom("worker") {
        ChildKind::Worker
    } else if kind.is_atom("supervisor") {
        ChildKind::Supervisor
    } else {
        return None;
    };
    Some(ChildInfo {
        pid,
        kind,
        modules: modules.clone(),
    })
}

/// `ConsumerSupervisor.count_children(sup)`.
pub async fn count_children(node: &Node, sup: impl Into<Dest>) -> Result<ChildCounts, StageError> {
    let reply: Term = node.call(sup, Term::atom("count_children")).await?;
    let Term::Map(map) = &reply else {
        return Err(StageError::BadReply(reply));
    };
    let count = |key: &str| match map.get(&Term::atom(key)) {
        Some(Term::Int(n)) if *n >= 0 => Some(*n as u64),
        _ => None,
    };
    match (
        count("specs"),
        count("active"),
        count("supervisors"),
        count("workers"),
    ) {
        (Some(specs), Some(active), Some(supervisors), Some(workers)) => Ok(ChildCounts {
            specs,
            active,
            supervisors,
            workers,
        }),
        _ => Err(StageError::BadReply(reply)),
    }
}

/// `ConsumerSupervisor.start_child(sup, args)`: starts a child outside of demand (it counts
/// against no producer). A Rust consumer supervisor's child takes one event: `args` is
/// `vec![event]`; an Elixir one applies its template to `args`. The child's pid, or
/// `StageError::Refused(Reason)` for `{error, Reason}` (`ignore` too, as `Refused(ignore)`).
pub async fn start_child(
    node: &Node,
    sup: impl Into<Dest>,
    args: Vec<Term>,
) -> Result<Pid, StageError> {
    let request = Term::tuple(vec![Term::atom("start_child"), Term::List(args)]);
    let reply: Term = node.call(sup, request).await?;
    match reply.as_tuple() {
        Some([ok, Term::Pid(pid)]) | Some([ok, Term::Pid(pid), _]) if ok.is_atom("ok") => {
            Ok(pid.clone())
        }
        Some([error, reason]) if error.is_atom("error") => Err(StageError::Refused(reason.clone())),
        _ if reply.is_atom("ignore") => Err(StageError::Refused(reply)),
        _ => Err(StageError::BadReply(reply)),
    }
}
