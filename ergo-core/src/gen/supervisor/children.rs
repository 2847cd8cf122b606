//! What a running supervisor supervises, by kind of supervisor: the static children of
//! one_for_one, one_for_all and rest_for_one (in start order), or simple_one_for_one's one
//! template and the children started from it. Owns that state and what is read from it
//! (`which_children`, the spec count, whether significant children are left); must not start or
//! stop processes (that is `run.rs`'s).

use ergo_etf::{Atom, Pid, Term};

use super::api::{ChildInfo, ChildPid, ChildReport};
use super::{ChildSpec, Strategy, SupervisorError};

/// A static child: its spec and its pid while running.
pub(super) struct Child {
    pub spec: ChildSpec,
    pub pid: Option<Pid>,
    /// How often it was restarted.
    pub restarts: u64,
}

/// A simple_one_for_one child: its pid and the extra arguments it was started with.
pub(super) struct Dynamic {
    pub pid: Pid,
    pub extra: Vec<Term>,
    /// How often it was restarted.
    pub restarts: u64,
}

/// The children of a supervisor.
pub(super) enum Children {
    /// one_for_one, one_for_all, rest_for_one: the static children, in start order (a child that
    /// is not running has no pid).
    Static(Vec<Child>),
    /// simple_one_for_one: the one child spec, and the children started from it, in start order.
    Dynamic {
        template: ChildSpec,
        running: Vec<Dynamic>,
    },
}

impl Children {
    /// The children `strategy` makes of `specs`, none started yet: static children without
    /// pids, or the template of simple_one_for_one (exactly one spec, as
    /// `SupervisorSpec::check` requires).
    pub(super) fn new(
        strategy: Strategy,
        specs: Vec<ChildSpec>,
    ) -> Result<Children, SupervisorError> {
        if strategy != Strategy::SimpleOneForOne {
            return Ok(Children::Static(
                specs
                    .into_iter()
                    .map(|spec| Child {
                        spec,
                        pid: None,
                        restarts: 0,
                    })
                    .collect(),
            ));
        }
        let count = specs.len();
        let mut specs = specs.into_iter();
        match (specs.next(), specs.next()) {
            (Some(template), None) => Ok(Children::Dynamic {
                template,
                running: Vec::new(),
            }),
            _ => Err(SupervisorError::InvalidSpec(format!(
                "simple_one_for_one needs exactly one child spec, got {count}"
            ))),
        }
    }

    /// `which_children`: static children with their ids, in start order, or the running
    /// dynamic children (no id).
    pub(super) fn which(&self) -> Vec<ChildInfo> {
        match self {
            Children::Dynamic { template, running } => running
                .iter()
                .map(|d| ChildInfo {
                    id: None,
                    pid: ChildPid::Running(d.pid.clone()),
                    kind: template.kind,
                })
                .collect(),
            Children::Static(list) => list
                .iter()
                .map(|c| ChildInfo {
                    id: Some(c.spec.id.clone()),
                    pid: match &c.pid {
                        Some(p) => ChildPid::Running(p.clone()),
                        None => ChildPid::Undefined,
                    },
                    kind: c.spec.kind,
                })
                .collect(),
        }
    }

    /// Every child with its restart type and restart count, for the inspect API.
    pub(super) fn reports(&self) -> Vec<ChildReport> {
        match self {
            Children::Dynamic { template, running } => running
                .iter()
                .map(|d| ChildReport {
                    id: None,
                    pid: Some(d.pid.clone()),
                    kind: template.kind,
                    restart: template.restart,
                    restarts: d.restarts,
                })
                .collect(),
            Children::Static(list) => list
                .iter()
                .map(|c| ChildReport {
                    id: Some(c.spec.id.clone()),
                    pid: c.pid.clone(),
                    kind: c.spec.kind,
                    restart: c.spec.restart,
                    restarts: c.restarts,
                })
                .collect(),
        }
    }

    /// How many child specs there are (1 for simple_one_for_one).
    pub(super) fn spec_count(&self) -> usize {
        match self {
            Children::Dynamic { .. } => 1,
            Children::Static(list) => list.len(),
        }
    }

    /// Whether a significant child is still running (for `auto_shutdown = all_significant`);
    /// dynamic children are all significant when one is.
    pub(super) fn significant_left(&self) -> bool {
        match self {
            Children::Dynamic { running, .. } => !running.is_empty(),
            Children::Static(list) => list.iter().any(|c| c.spec.significant && c.pid.is_some()),
        }
    }
}

/// The position of static child `id`.
pub(super) fn find(list: &[Child], id: &Atom) -> Result<usize, SupervisorError> {
    list.iter()
        .position(|c| &c.spec.id == id)
        .ok_or(SupervisorError::NotFound)
}
