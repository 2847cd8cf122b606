//! The client side of a running supervisor: `SupervisorRef` and its calls (start, terminate,
//! restart and delete children, which/count children), carried as direct (non-term) requests to
//! the supervisor process. Owns the request/response types; must not supervise.

use ergo_etf::{Atom, Pid, Term};

use std::time::Duration;

use super::{ChildKind, ChildSpec, Restart, Strategy, SupervisorError};
use crate::node::{Dest, Node};
use crate::process::{DirectEnvelope, DirectRequest, Envelope};

/// A child's process in `which_children`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildPid {
    /// Running as this pid.
    Running(Pid),
    /// Not running (terminated, or its start returned `ignore`).
    Undefined,
}

impl ChildPid {
    /// The pid when running.
    pub fn pid(&self) -> Option<&Pid> {
        match self {
            ChildPid::Running(p) => Some(p),
            ChildPid::Undefined => None,
        }
    }
}

/// One entry of `which_children`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildInfo {
    /// The child id (`None` for simple_one_for_one children, OTP's `undefined`).
    pub id: Option<Atom>,
    /// Its process.
    pub pid: ChildPid,
    /// Worker or supervisor.
    pub kind: ChildKind,
}

/// The result of `count_children`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildCounts {
    /// Child specs (1 for simple_one_for_one).
    pub specs: usize,
    /// Children with a live process.
    pub active: usize,
    /// Children that are supervisors.
    pub supervisors: usize,
    /// Children that are workers.
    pub workers: usize,
}

/// One child as the inspect API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildReport {
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
}

/// A supervisor as the inspect API shows it: its flags, its children and how often it
/// restarted them.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorReport {
    /// Its strategy.
    pub strategy: Strategy,
    /// Its restart intensity.
    pub intensity: u32,
    /// Its intensity period.
    pub period: Duration,
    /// Restarts since it started (all children).
    pub restarts: u64,
    /// Its children, in start order.
    pub children: Vec<ChildReport>,
}

pub(super) enum Request {
    StartChild(ChildSpec),
    StartDynamic(Vec<Term>),
    TerminateChild(Atom),
    TerminatePid(Pid),
    RestartChild(Atom),
    DeleteChild(Atom),
    WhichChildren,
    CountChildren,
    Report,
    Stop(Term),
}

pub(super) enum Response {
    Started(Option<Pid>),
    Done,
    Children(Vec<ChildInfo>),
    Counts(ChildCounts),
    Report(SupervisorReport),
}

type Answer = Result<Response, SupervisorError>;

impl DirectRequest for Request {
    type Reply = Answer;
}

/// A handle on a running supervisor (by pid or registered name), for the runtime API. The
/// calls wait as long as the supervisor takes (OTP uses `infinity`), and fail with
/// `SupervisorError::NoProc` if it is gone or exits first.
#[derive(Debug, Clone)]
pub struct SupervisorRef {
    node: Node,
    dest: Dest,
}

impl Node {
    /// A handle on the supervisor at `dest` on this node.
    pub fn supervisor_ref(&self, dest: impl Into<Dest>) -> SupervisorRef {
        SupervisorRef {
            node: self.clone(),
            dest: dest.into(),
        }
    }
}

impl SupervisorRef {
    async fn ask(&self, request: Request) -> Answer {
        // No timeout: the supervisor takes as long as it takes (OTP's `infinity`).
        let (request, answered) = DirectEnvelope::new(request);
        self.node
            .send_envelope(None, &self.dest, Envelope::Direct(request))
            .map_err(|_| SupervisorError::NoProc)?;
        answered.await.unwrap_or(Err(SupervisorError::NoProc))
    }

    /// Adds and starts a child (not for simple_one_for_one). `Ok(None)` when its start returned
    /// `ignore`.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<Pid>, SupervisorError> {
        match self.ask(Request::StartChild(spec)).await? {
            Response::Started(pid) => Ok(pid),
            _ => Err(SupervisorError::NoProc),
        }
    }

    /// Starts a simple_one_for_one child with extra start arguments.
    pub async fn start_dynamic(&self, extra: Vec<Term>) -> Result<Option<Pid>, SupervisorError> {
        match self.ask(Request::StartDynamic(extra)).await? {
            Response::Started(pid) => Ok(pid),
            _ => Err(SupervisorError::NoProc),
        }
    }

    /// Stops a child by id, keeping its spec (a temporary child's spec goes).
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.ask(Request::TerminateChild(Atom::new(id)))
            .await
            .map(|_| ())
    }

    /// Stops a simple_one_for_one child by pid.
    pub async fn terminate_dynamic(&self, pid: &Pid) -> Result<(), SupervisorError> {
        self.ask(Request::TerminatePid(pid.clone()))
            .await
            .map(|_| ())
    }

    /// Starts a stopped child again from its spec.
    pub async fn restart_child(&self, id: &str) -> Result<Option<Pid>, SupervisorError> {
        match self.ask(Request::RestartChild(Atom::new(id))).await? {
            Response::Started(pid) => Ok(pid),
            _ => Err(SupervisorError::NoProc),
        }
    }

    /// Removes a stopped child's spec.
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.ask(Request::DeleteChild(Atom::new(id)))
            .await
            .map(|_| ())
    }

    /// Stops the supervisor (children first, in reverse start order) with `reason`, like
    /// `gen_server:stop/2`; returns once it has stopped its children.
    pub async fn stop(&self, reason: Term) -> Result<(), SupervisorError> {
        self.ask(Request::Stop(reason)).await.map(|_| ())
    }

    /// The children, in start order.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        match self.ask(Request::WhichChildren).await? {
            Response::Children(c) => Ok(c),
            _ => Err(SupervisorError::NoProc),
        }
    }

    /// Its flags, children and restart counts (what the inspect API shows).
    pub async fn report(&self) -> Result<SupervisorReport, SupervisorError> {
        match self.ask(Request::Report).await? {
            Response::Report(r) => Ok(r),
            _ => Err(SupervisorError::NoProc),
        }
    }

    /// [`SupervisorRef::report`] waiting at most `timeout` (a supervisor busy restarting or
    /// stopping children answers late): `SupervisorError::Timeout` then.
    pub async fn report_within(
        &self,
        timeout: Duration,
    ) -> Result<SupervisorReport, SupervisorError> {
        tokio::time::timeout(timeout, self.report())
            .await
            .unwrap_or(Err(SupervisorError::Timeout))
    }

    /// Counts of specs, active children, supervisors and workers.
    pub async fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        match self.ask(Request::CountChildren).await? {
            Response::Counts(c) => Ok(c),
            _ => Err(SupervisorError::NoProc),
        }
    }
}
