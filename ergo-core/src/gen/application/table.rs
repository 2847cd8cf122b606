//! The per-node table of applications: what is loaded (spec and live env), what runs (name,
//! master pid, start type, in start order), and the log of terminations. One table per node, an
//! extension of the node (dropped with it). Must not start or stop anything.

use std::sync::{Arc, Mutex, MutexGuard};

use ergo_etf::{Atom, Pid, Term};

use super::{ApplicationSpec, StartType};
use crate::node::Node;

/// A loaded application: its spec and its current env.
pub(super) struct Loaded {
    pub spec: ApplicationSpec,
    pub env: Vec<(Atom, Term)>,
}

/// A running application.
pub(super) struct Running {
    pub name: Atom,
    pub master: Pid,
    pub root: Option<Pid>,
    pub start_type: StartType,
}

/// One termination of a running application.
#[derive(Debug, Clone, PartialEq)]
pub struct Exit {
    /// The application.
    pub name: Atom,
    /// Why it ended: `stopped` for an explicit stop, else its root's exit reason.
    pub reason: Term,
    /// How it had been started.
    pub start_type: StartType,
}

#[derive(Default)]
pub(super) struct State {
    pub loaded: Vec<Loaded>,
    pub running: Vec<Running>,
    pub exits: Vec<Exit>,
}

/// The table of one node.
#[derive(Default)]
pub(super) struct AppTable {
    state: Mutex<State>,
    /// Serialises start and stop operations (OTP's controller handles one at a time).
    pub ops: tokio::sync::Mutex<()>,
    /// Woken on every termination.
    pub exited: tokio::sync::Notify,
}

impl AppTable {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records that `name` is no longer running.
    pub(super) fn record_exit(&self, name: &Atom, reason: Term) -> Option<StartType> {
        let start_type = {
            let mut st = self.state();
            let pos = st.running.iter().position(|r| &r.name == name)?;
            let running = st.running.remove(pos);
            st.exits.push(Exit {
                name: name.clone(),
                reason,
                start_type: running.start_type,
            });
            running.start_type
        };
        self.exited.notify_waiters();
        Some(start_type)
    }
}

/// The application table of `node`, created on first use.
pub(super) fn table(node: &Node) -> Arc<AppTable> {
    node.extensions().get_or_insert_with(AppTable::default)
}
