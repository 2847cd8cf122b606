//! Process groups shared with Erlang's `pg` (OTP 23+): a scope is a process registered under the
//! scope's name on every node that uses it; scopes find each other on `nodeup` (`{discover,
//! Scope}`), exchange their local members (`{sync, Scope, Groups}`) and then each `join` and
//! `leave`; a member that exits leaves everywhere, and a scope (or node) that goes down takes its
//! members with it. With scope `'Elixir.Phoenix.PubSub'` this is how Phoenix.PubSub finds peers.
//!
//! Owns the [`PgScope`] handle and the read view of the groups; the protocol is `scope.rs`'s,
//! the shapes of its messages `protocol.rs`'s.
//! Must not touch connections (it only sends messages and monitors, like any process).
//!
//! ```no_run
//! # async fn demo(node: &ergo_core::Node, me: ergo_etf::Pid) -> Result<(), Box<dyn std::error::Error>> {
//! use ergo_core::pg::PgScope;
//! let scope = PgScope::start(node, "pg").await?;          // pg's default scope
//! scope.join(ergo_etf::Term::atom("workers"), &[me]).await?;
//! let everyone = scope.get_members(ergo_etf::Term::atom("workers"));
//! # Ok(()) }
//! ```

mod protocol;
mod scope;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ergo_etf::{Atom, IntoTerm, Pid, Term};

use crate::node::{CallError, SpawnError};
use crate::node::{Node, SpawnOptions};
use scope::{Request, Scope};

/// The members of one group, as every scope keeps them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Members {
    /// Local and remote members (a process joined twice appears twice, as in `pg`).
    pub all: Vec<Pid>,
    /// Members on this node.
    pub local: Vec<Pid>,
}

/// What readers see: group -> members, updated by the scope process only.
pub(crate) type View = Arc<RwLock<BTreeMap<Term, Members>>>;

/// Why a join or leave failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// Only processes of this node can join or leave (as in `pg`).
    #[error("{0} is not a process of this node")]
    NotLocal(String),
    /// `leave` of a process that had not joined the group.
    #[error("not joined")]
    NotJoined,
    /// The scope process did not answer.
    #[error("the scope did not answer: {0}")]
    Scope(#[from] CallError),
}

/// The scopes started on a node: name, process and view (a node extension, so no `Node` in it;
/// dead ones are skipped when read and dropped at the next start).
#[derive(Default)]
struct StartedScopes(std::sync::Mutex<Vec<(Atom, Pid, View)>>);

/// A running `pg` scope on this node.
#[derive(Clone)]
pub struct PgScope {
    node: Node,
    name: Atom,
    pid: Pid,
    view: View,
}

impl std::fmt::Debug for PgScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgScope({})", self.name)
    }
}

impl PgScope {
    /// Starts scope `name` (`pg:start_link(Name)`): a process registered as `name` that syncs
    /// with the same scope on every connected node and on every node that connects later.
    pub async fn start(node: &Node, name: &str) -> Result<PgScope, SpawnError> {
        let name =
            Atom::try_new(name).ok_or_else(|| SpawnError::InitFailed(Term::atom("badarg")))?;
        let view = View::default();
        let pid = node
            .start_server::<Scope>(
                (name.clone(), Arc::clone(&view)),
                SpawnOptions::named(name.as_str()),
            )
            .await?;
        let scope = PgScope {
            node: node.clone(),
            name,
            pid,
            view,
        };
        let started = node.extensions().get_or_insert_with(StartedScopes::default);
        let mut list = started.0.lock().unwrap_or_else(|p| p.into_inner());
        list.retain(|(_, pid, _)| node.is_alive(pid));
        list.push((
            scope.name.clone(),
            scope.pid.clone(),
            Arc::clone(&scope.view),
        ));
        Ok(scope)
    }

    /// The scopes started on `node` that still run (for the inspect API).
    pub fn running(node: &Node) -> Vec<PgScope> {
        let Some(started) = node.extensions().get::<StartedScopes>() else {
            return Vec::new();
        };
        let list = started.0.lock().unwrap_or_else(|p| p.into_inner());
        list.iter()
            .filter(|(_, pid, _)| node.is_alive(pid))
            .map(|(name, pid, view)| PgScope {
                node: node.clone(),
                name: name.clone(),
                pid: pid.clone(),
                view: Arc::clone(view),
            })
            .collect()
    }

    /// The scope's name.
    pub fn name(&self) -> &Atom {
        &self.name
    }

    /// The scope process.
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    async fn request(&self, request: Request) -> Result<(), PgError> {
        if let Some(p) = request.pids().iter().find(|p| !self.node.is_local(p)) {
            return Err(PgError::NotLocal(Term::Pid(p.clone()).to_string()));
        }
        let joined: bool = self.node.direct(self.pid.clone(), request).await?;
        if joined {
            Ok(())
        } else {
            Err(PgError::NotJoined)
        }
    }

    /// `pg:join(Scope, Group, Pids)`: local processes join `group` (repeatable: a process
    /// joined twice must leave twice); every node's scope learns it.
    pub async fn join(&self, group: impl IntoTerm, pids: &[Pid]) -> Result<(), PgError> {
        self.request(Request::Join(group.into_term(), pids.to_vec()))
            .await
    }

    /// `pg:leave(Scope, Group, Pids)`; `NotJoined` when none of them had joined.
    pub async fn leave(&self, group: impl IntoTerm, pids: &[Pid]) -> Result<(), PgError> {
        self.request(Request::Leave(group.into_term(), pids.to_vec()))
            .await
    }

    /// `pg:get_members(Scope, Group)`: every member on every node.
    pub fn get_members(&self, group: impl IntoTerm) -> Vec<Pid> {
        self.read(group, |m| m.all.clone())
    }

    /// `pg:get_local_members(Scope, Group)`.
    pub fn get_local_members(&self, group: impl IntoTerm) -> Vec<Pid> {
        self.read(group, |m| m.local.clone())
    }

    /// `pg:which_groups(Scope)`: the groups with at least one member.
    pub fn which_groups(&self) -> Vec<Term> {
        self.view
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    fn read(&self, group: impl IntoTerm, pick: impl Fn(&Members) -> Vec<Pid>) -> Vec<Pid> {
        self.view
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&group.into_term())
            .map(pick)
            .unwrap_or_default()
    }
}
