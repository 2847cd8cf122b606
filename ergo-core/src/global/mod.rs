//! Global names shared with Erlang's `global` (protocol version 8, OTP 25): a published node runs
//! `global_name_server`, takes part in `global`'s connect protocol with every visible node, and
//! keeps the cluster-wide name table, so that `global:sync()` returns on Erlang nodes that a
//! Rust node joins and names registered on either side are seen on both.
//!
//! Owns the [`Global`] handle (read views and the registration API) and the shared view; the
//! protocol is `protocol/` (its messages as typed terms), `server.rs` (dispatch), `connect/`
//! (init_connect / lock_set / exchange / resolved / new_nodes / in_sync, and the state machine
//! of a connect in `connect/state.rs`), `locker.rs` (the process that takes locks on other nodes),
//! `names.rs` (the name table and name-clash resolution), `locks.rs` (the lock table) and
//! `registrar.rs` (registering from Rust under the `global` lock). Must not touch connections:
//! it sends messages, calls and monitors like any process.
//!
//! # What is covered
//!
//! - **Connect protocol.** On every nodeup (and on an `init_connect` that comes first) the node
//!   sends `init_connect` naming its locker and answers `init_connect_ack`, `cancel_connect`,
//!   `lock_set`, `exchange`, `resolved`, `new_nodes` and `in_sync` as `global.erl` does. Its
//!   locker takes part in locking both ways: it starts the lock `{global, [Lockers]}` for a
//!   pending connect after `global`'s locker delay (on the boss node, this node and the peer,
//!   then every known node), and when the peer's locker starts first it locks this side
//!   (`lock_nodes_safely`) before saying yes. So Erlang nodes put this node in their `synced`
//!   list and `global:sync()` returns, and two Rust nodes sync with each other too. Nodes
//!   learnt from a peer (its known list, `new_nodes`) are connected to and told `in_sync`, and
//!   this node forwards `new_nodes` to the nodes it knew, so Erlang nodes that only meet
//!   through this node still sync with each other. [`Global::sync`] is `global:sync()`.
//! - **Names.** `global:register_name/2,3`, `re_register_name`, `unregister_name` made on an
//!   Erlang node reach this node (`{register, ...}` / `{unregister, ...}` calls under the
//!   registrar's lock) and are visible through [`Global::whereis_name`]. [`Global::register_name`]
//!   and [`Global::unregister_name`] do what `global:register_name/2` does: take the lock
//!   `{global, Registrar}` on the boss node and every known node, check the name is free and the
//!   pid has no other name (`global_multi_name_action` defaults), call every known node, release
//!   the lock. A registered process that exits is unregistered everywhere (every node monitors
//!   it); a node that goes down takes its names with it.
//! - **Locks.** The lock table answers `set_lock` / `del_lock` from other nodes exactly as
//!   `global` does (one requester id per resource, several holder pids, holders monitored), so
//!   `global:set_lock/1,2`, `global:trans/2` and the registrars of other nodes see this node as
//!   a lock participant. There is no Rust API for `set_lock`/`trans` yet.
//! - **Name clashes** (the same name registered on both sides of a new connection): resolved as
//!   `global` resolves them. The node with the smaller name resolves: when that is an Erlang
//!   node, it runs the registrant's method (by default `random_exit_name`: the pid on the node
//!   with the smaller name keeps the name, the other is killed); when that is this node, a name
//!   whose pid is on an Erlang node is resolved by calling `global:resolve_it/4` there (its own
//!   method), and a name registered from Rust uses `random_exit_name`'s rule (the pid on the
//!   smaller node keeps the name, the other process gets an exit signal `kill`). Names
//!   registered from Rust carry `fun global:random_exit_name/3` as their method; a Rust
//!   process that loses a clash is killed, as an Erlang one would be.
//!
//! # What is not covered
//!
//! - `lost_connection` (prevent_overlapping_partitions) is logged and ignored: this node never
//!   disconnects another to prevent overlapping partitions; `remove_connection` (a peer asking
//!   us to drop it) is honoured.
//! - No Rust API for `set_lock` / `trans`, custom resolve methods, `register_name_external`
//!   (such names are kept as plain names) or global groups.
//! - The Erlang locker's `{do_trace, ...}` / `get_state` debugging messages are not answered.

mod connect;
mod locker;
mod locks;
mod names;
mod protocol;
mod registrar;
mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ergo_etf::{Atom, IntoTerm, Pid, Term};

use crate::node::{CallError, SpawnError};
use crate::node::{Node, SpawnOptions};

/// The name `global`'s server is registered under on every node.
pub(crate) const SERVER: &str = "global_name_server";

/// What the server publishes for readers; written by the server process only.
#[derive(Default)]
pub(crate) struct Shared {
    /// Name -> pid, every registered name in the cluster as this node knows it.
    names: RwLock<BTreeMap<Term, Pid>>,
    /// Nodes this node's `global` knows (has synced with, or learnt of from a synced node).
    known: RwLock<BTreeSet<Atom>>,
    /// Nodes whose connect protocol finished (or that told us `in_sync`).
    synced: RwLock<BTreeSet<Atom>>,
    /// Woken on every change of the above.
    changed: tokio::sync::Notify,
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}

impl Shared {
    pub(crate) fn set_names(&self, names: BTreeMap<Term, Pid>) {
        *self.names.write().unwrap_or_else(|p| p.into_inner()) = names;
        self.changed.notify_waiters();
    }

    pub(crate) fn set_nodes(&self, known: BTreeSet<Atom>, synced: BTreeSet<Atom>) {
        *self.known.write().unwrap_or_else(|p| p.into_inner()) = known;
        *self.synced.write().unwrap_or_else(|p| p.into_inner()) = synced;
        self.changed.notify_waiters();
    }

    pub(crate) fn known(&self) -> BTreeSet<Atom> {
        read(&self.known)
    }

    pub(crate) fn lookup(&self, name: &Term) -> Option<Pid> {
        self.names
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    pub(crate) fn has_pid(&self, pid: &Pid) -> bool {
        self.names
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|p| p == pid)
    }
}

/// Why a `global` operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GlobalError {
    /// The node runs no `global_name_server` (not distributed, or hidden).
    #[error("global is not running on this node (not distributed, or hidden)")]
    NotRunning,
    /// `register_name` answered `no`: the name is taken, or the pid already has a name.
    #[error("the name is registered already, or the pid has another name")]
    Taken,
    /// No process is registered under the name (`global:send/2`'s `badarg`).
    #[error("no process is registered as {0}")]
    NotRegistered(String),
    /// The cluster-wide `global` lock could not be taken in time.
    #[error("the global lock could not be taken within {0:?}")]
    LockTimeout(Duration),
    /// The registrar process could not start.
    #[error("the registrar did not start: {0}")]
    Spawn(#[from] SpawnError),
    /// The global server did not answer.
    #[error("the global server did not answer: {0}")]
    Server(#[from] CallError),
}

/// This node's `global`: the cluster-wide name table and registration. Cheap to clone.
#[derive(Clone)]
pub struct Global {
    node: Node,
    server: Pid,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Global {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Global({})", self.node.name())
    }
}

impl Node {
    /// This node's `global` (started with distribution on published nodes).
    pub async fn global(&self) -> Result<Global, GlobalError> {
        Global::of(self).await
    }
}

impl Global {
    /// The `global` of `node`; `NotRunning` on a local-only or hidden node, or once its server
    /// has ended.
    pub async fn of(node: &Node) -> Result<Global, GlobalError> {
        let running = node
            .extensions()
            .get::<Running>()
            .filter(|running| node.is_alive(&running.server))
            .ok_or(GlobalError::NotRunning)?;
        Ok(Global {
            node: node.clone(),
            server: running.server.clone(),
            shared: Arc::clone(&running.shared),
        })
    }

    /// `global:whereis_name(Name)`: the pid registered as `name` anywhere in the cluster.
    pub fn whereis_name(&self, name: impl IntoTerm) -> Option<Pid> {
        let pid = self.shared.lookup(&name.into_term())?;
        if self.node.is_local(&pid) && !self.node.is_alive(&pid) {
            return None;
        }
        Some(pid)
    }

    /// `global:registered_names()`.
    pub fn registered_names(&self) -> Vec<Term> {
        read(&self.shared.names).into_keys().collect()
    }

    /// `global:send(Name, Msg)`: sends `message` to the process registered as `name`.
    pub fn send(
        &self,
        name: impl IntoTerm,
        message: impl IntoTerm + Send + 'static,
    ) -> Result<Pid, GlobalError> {
        let name = name.into_term();
        let pid = self
            .whereis_name(name.clone())
            .ok_or_else(|| GlobalError::NotRegistered(name.to_string()))?;
        let _ = self.node.send(pid.clone(), message);
        Ok(pid)
    }

    /// `global:register_name(Name, Pid)`: registers `pid` (of any node) as `name` on every node
    /// this node knows, under the cluster-wide lock. `Taken` when `global` answers `no`.
    pub async fn register_name(&self, name: impl IntoTerm, pid: &Pid) -> Result<(), GlobalError> {
        registrar::run(self, registrar::Op::Register(name.into_term(), pid.clone())).await
    }

    /// `global:re_register_name(Name, Pid)`: registers `pid` as `name` even if it is taken.
    pub async fn re_register_name(
        &self,
        name: impl IntoTerm,
        pid: &Pid,
    ) -> Result<(), GlobalError> {
        registrar::run(
            self,
            registrar::Op::ReRegister(name.into_term(), pid.clone()),
        )
        .await
    }

    /// `global:unregister_name(Name)`, on every known node.
    pub async fn unregister_name(&self, name: impl IntoTerm) -> Result<(), GlobalError> {
        registrar::run(self, registrar::Op::Unregister(name.into_term())).await
    }

    /// The nodes `global` has synced with (`global`'s `synced` list), sorted.
    pub fn synced_nodes(&self) -> Vec<Atom> {
        read(&self.shared.synced).into_iter().collect()
    }

    /// The nodes `global` knows, sorted.
    pub fn known_nodes(&self) -> Vec<Atom> {
        self.shared.known().into_iter().collect()
    }

    /// `global:sync()`: waits until `global` has synced with every connected visible node.
    /// `false` if that did not happen within `timeout`.
    pub async fn sync(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let synced = read(&self.shared.synced);
            if self.node.nodes().iter().all(|n| synced.contains(n)) {
                return true;
            }
            // Nodes come and go without a change here: look again at least every 50 ms.
            let wake = deadline.min(tokio::time::Instant::now() + Duration::from_millis(50));
            if tokio::time::timeout_at(wake, changed).await.is_err()
                && tokio::time::Instant::now() >= deadline
            {
                return false;
            }
        }
    }
}

/// Starts `global_name_server` on a published node (from `net::attach`).
/// The node's running `global`: its server and the view it shares (an extension of the node).
struct Running {
    server: Pid,
    shared: Arc<Shared>,
}

pub(crate) async fn start(node: &Node) -> Result<Pid, SpawnError> {
    let shared = Arc::new(Shared::default());
    let server = node
        .start_server::<server::Server>(
            Arc::clone(&shared),
            SpawnOptions {
                trap_exit: true,
                ..SpawnOptions::named(SERVER)
            },
        )
        .await?;
    node.extensions().insert(Arc::new(Running {
        server: server.clone(),
        shared,
    }));
    Ok(server)
}
