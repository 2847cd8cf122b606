//! The node's view of its cluster: the connected nodes, connecting and disconnecting, and node
//! monitoring (`{nodeup, N}` / `{nodedown, N}`). Owns these `Node` methods; the work is the
//! installed [`Distribution`](super::Distribution)'s, and a local node answers as a node that
//! is alone (no nodes; monitoring refused with [`NotDistributed`]).

use ergo_etf::{Atom, Pid};

use super::distribution::ConnectFailure;
use super::error::NotDistributed;
use super::Node;

impl Node {
    /// The visible nodes this node is connected to (`erlang:nodes/0`), sorted.
    pub fn nodes(&self) -> Vec<Atom> {
        self.distribution()
            .map(|d| d.nodes(false))
            .unwrap_or_default()
    }

    /// Every connected node, hidden ones included (`erlang:nodes(connected)`), sorted.
    pub fn connected_nodes(&self) -> Vec<Atom> {
        self.distribution()
            .map(|d| d.nodes(true))
            .unwrap_or_default()
    }

    /// Closes the connection to `node` (`erlang:disconnect_node/1`): links and monitors across
    /// it fire with `noconnection`. True if a connection was up.
    pub fn disconnect(&self, node: &str) -> bool {
        match (self.distribution(), Atom::try_new(node)) {
            (Some(d), Some(atom)) => d.disconnect(&atom),
            _ => false,
        }
    }

    /// Connects to `node` and waits until the connection is up or has failed (what the
    /// services below the network layer use; applications call `Node::connect`).
    #[cfg_attr(not(feature = "dist"), allow(dead_code))]
    pub(crate) async fn connect_node(&self, node: &Atom) -> Result<(), ConnectFailure> {
        if node == self.name() {
            return Ok(());
        }
        let distribution = self.distribution().ok_or(NotDistributed)?;
        distribution.connect(node.clone()).await
    }

    /// `erlang:monitor_node(Node, Flag)` for local process `pid`: with `on`, `pid` receives
    /// `{nodedown, Node}` once when the connection to `node` goes (at once if it cannot be
    /// made); without, an earlier monitor is removed.
    pub fn monitor_node(&self, pid: &Pid, node: &Atom, on: bool) -> Result<(), NotDistributed> {
        self.distribution()
            .ok_or(NotDistributed)?
            .watch_nodes(pid, Some(node), on, false);
        Ok(())
    }

    /// `net_kernel:monitor_nodes(Flag)` for local process `pid`: with `on`, it receives
    /// `{nodeup, N}` and `{nodedown, N}` for every node until turned off.
    pub fn monitor_nodes(&self, pid: &Pid, on: bool) -> Result<(), NotDistributed> {
        self.distribution()
            .ok_or(NotDistributed)?
            .watch_nodes(pid, None, on, false);
        Ok(())
    }

    /// `net_kernel:monitor_nodes(Flag, [nodedown_reason])` for local process `pid`: with `on`,
    /// it receives `{nodeup, N, []}` and `{nodedown, N, [{nodedown_reason, Reason}]}`, Reason
    /// being one of OTP's (`connection_closed`, `disconnect`, `net_tick_timeout`,
    /// `connection_setup_failed`, `send_net_tick_failed`) or `{proxy_down, Why}` when a hop of
    /// a proxy tunnel failed (`Why` a binary naming the hop).
    pub fn monitor_nodes_with_reason(&self, pid: &Pid, on: bool) -> Result<(), NotDistributed> {
        self.distribution()
            .ok_or(NotDistributed)?
            .watch_nodes(pid, None, on, true);
        Ok(())
    }
}
