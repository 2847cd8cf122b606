//! The seam to the distribution layer: where the node sends messages and signals whose
//! destination is on another node. The network layer (`net/`) implements [`Distribution`] and
//! installs it once with `Node::set_distribution`; incoming traffic comes back through
//! `Node::deliver` and `Node::deliver_signal`. Owns only these types; must not know about
//! sockets, the DIST protocol or ETF encoding.

use std::future::Future;
use std::pin::Pin;

use ergo_etf::{Atom, Pid, Reference, Term};

use super::error::SendError;
use super::Dest;

/// A signal between processes on different nodes, in the shape the DIST control messages need.
#[derive(Clone, Debug, PartialEq)]
pub enum RemoteSignal {
    /// `from` links to `to`.
    Link {
        /// The linking process.
        from: Pid,
        /// The linked process.
        to: Pid,
    },
    /// `from` removes its link to `to`.
    Unlink {
        /// The unlinking process.
        from: Pid,
        /// The other end.
        to: Pid,
    },
    /// An exit signal.
    Exit {
        /// The exiting (or `exit/2`-calling) process.
        from: Pid,
        /// The receiver.
        to: Pid,
        /// The reason.
        reason: Term,
        /// True for a broken link (DIST EXIT), false for `exit/2` (DIST EXIT2).
        via_link: bool,
    },
    /// `from` starts monitoring `target` (a pid, or a name on `node`).
    Monitor {
        /// The watcher.
        from: Pid,
        /// The watched pid, or a registered name.
        target: MonitorTarget,
        /// The monitor reference.
        reference: Reference,
    },
    /// `from` stops the monitor `reference`.
    Demonitor {
        /// The watcher.
        from: Pid,
        /// The watched target.
        target: MonitorTarget,
        /// The monitor reference.
        reference: Reference,
    },
    /// A monitored process went down: deliver `{'DOWN', Ref, process, Who, Reason}` to `to`.
    Down {
        /// The process that went down (pid or `{Name, Node}`), as the watcher named it.
        who: Term,
        /// The watcher.
        to: Pid,
        /// The monitor reference.
        reference: Reference,
        /// The exit reason.
        reason: Term,
    },
}

/// What a monitor watches.
#[derive(Clone, Debug, PartialEq)]
pub enum MonitorTarget {
    /// A process by pid.
    Pid(Pid),
    /// A registered name on a node.
    Name {
        /// The registered name.
        name: Atom,
        /// The node it is registered on.
        node: Atom,
    },
}

/// Implemented by the distribution layer: carries messages and signals to other nodes. Methods
/// must not block (queue and return); ordering per (sender, receiver) pair must be kept. A node
/// has at most one, installed when it goes on the network.
pub trait Distribution: Send + Sync + 'static {
    /// Sends `message` to a destination on another node. `from` is the sending pid when known.
    fn send(&self, from: Option<&Pid>, to: &Dest, message: Term) -> Result<(), SendError>;
    /// Sends a signal to another node.
    fn signal(&self, signal: RemoteSignal) -> Result<(), SendError>;
    /// Connects to `node` unless connected, resolving when the connection is up or has failed.
    fn connect(&self, node: Atom) -> ConnectFuture;
    /// The connected nodes, sorted; hidden ones too when `include_hidden`.
    fn nodes(&self, include_hidden: bool) -> Vec<Atom>;
    /// Closes the connection to `node` (links and monitors across it fire); true if one was up.
    fn disconnect(&self, node: &Atom) -> bool;
    /// Adds or removes a node watch for the local process `watcher`: on `node` alone
    /// (`monitor_node/2`) or on every node (`None`, `net_kernel:monitor_nodes/1,2`), with the
    /// reason in the `nodedown` message when `with_reason`.
    fn watch_nodes(&self, watcher: &Pid, node: Option<&Atom>, on: bool, with_reason: bool);
    /// The node is stopping (or its last handle went): close every connection and leave EPMD.
    /// Called at most a few times; must be idempotent. The default does nothing.
    fn shutdown(&self) {}
}

/// Why a connection could not be made, as the distribution layer reports it (its own error
/// type, kept whole as the source).
pub type ConnectFailure = Box<dyn std::error::Error + Send + Sync>;

/// The future of [`Distribution::connect`].
pub type ConnectFuture = Pin<Box<dyn Future<Output = Result<(), ConnectFailure>> + Send>>;
