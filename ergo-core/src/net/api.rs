//! The node's distribution API: connect, disconnect, the connected nodes, node monitoring, and
//! where the node listens. Owns these `Node` methods only; the work is the manager's.

use std::sync::Arc;

use ergo_etf::{Atom, Pid};

use super::{NetError, NetManager};
use crate::node::Node;

impl Node {
    pub(crate) fn net(&self) -> Result<&Arc<NetManager>, NetError> {
        self.inner.net.get().ok_or(NetError::NotDistributed)
    }

    /// True when the node was started with distribution.
    pub fn is_distributed(&self) -> bool {
        self.inner.net.get().is_some()
    }

    /// The port of the distribution listener.
    pub fn dist_port(&self) -> Option<u16> {
        self.inner.net.get().map(|n| n.port)
    }

    /// Connects to `node` (`net_kernel:connect_node/1`) and waits until the connection is up or
    /// has failed (within the handshake's setup timeout plus resolution time). Connecting is
    /// also automatic on the first message or signal to a node.
    pub async fn connect(&self, node: &str) -> Result<(), NetError> {
        let net = self.net()?;
        let atom = Atom::try_new(node).ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        if atom == *self.name() {
            return Ok(());
        }
        net.wait_connected(&atom).await
    }

    /// Closes the connection to `node` (`erlang:disconnect_node/1`): links and monitors across
    /// it fire with `noconnection`. True if a connection was up.
    pub fn disconnect(&self, node: &str) -> bool {
        match (self.inner.net.get(), Atom::try_new(node)) {
            (Some(net), Some(atom)) => net.disconnect(&atom, "disconnect requested"),
            _ => false,
        }
    }

    /// The visible nodes this node is connected to (`erlang:nodes/0`), sorted.
    pub fn nodes(&self) -> Vec<Atom> {
        self.inner
            .net
            .get()
            .map(|n| n.connected(false))
            .unwrap_or_default()
    }

    /// Every connected node, hidden ones included (`erlang:nodes(connected)`), sorted.
    pub fn connected_nodes(&self) -> Vec<Atom> {
        self.inner
            .net
            .get()
            .map(|n| n.connected(true))
            .unwrap_or_default()
    }

    /// `erlang:monitor_node(Node, Flag)` for local process `pid`: with `on`, `pid` receives
    /// `{nodedown, Node}` once when the connection to `node` goes (at once if it cannot be
    /// made); without, an earlier monitor is removed.
    pub fn monitor_node(&self, pid: &Pid, node: &str, on: bool) -> Result<(), NetError> {
        let net = self.net()?;
        let atom = Atom::try_new(node).ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        net.watch(pid, Some(&atom), on, false);
        Ok(())
    }

    /// `net_kernel:monitor_nodes(Flag)` for local process `pid`: with `on`, it receives
    /// `{nodeup, N}` and `{nodedown, N}` for every node until turned off.
    pub fn monitor_nodes(&self, pid: &Pid, on: bool) -> Result<(), NetError> {
        self.net()?.watch(pid, None, on, false);
        Ok(())
    }

    /// `net_kernel:monitor_nodes(Flag, [nodedown_reason])` for local process `pid`: with `on`,
    /// it receives `{nodeup, N, []}` and `{nodedown, N, [{nodedown_reason, Reason}]}`, Reason
    /// being one of OTP's (`connection_closed`, `disconnect`, `net_tick_timeout`,
    /// `connection_setup_failed`, `send_net_tick_failed`) or `{proxy_down, Why}` when a hop of
    /// a proxy tunnel failed (`Why` a binary naming the hop).
    pub fn monitor_nodes_with_reason(&self, pid: &Pid, on: bool) -> Result<(), NetError> {
        self.net()?.watch(pid, None, on, true);
        Ok(())
    }

    /// `erlang:set_cookie(Node, Cookie)`: use `cookie` with `node` instead of this node's own
    /// cookie, for connections made from now on, both ways (and for proxy tunnels to it).
    pub fn set_cookie(&self, node: &str, cookie: &str) -> Result<(), NetError> {
        let net = self.net()?;
        let atom = Atom::try_new(node).ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        net.set_cookie(atom, cookie.to_string());
        Ok(())
    }

    /// Adds a static route: `node` is reached at `addr` without asking EPMD.
    pub fn add_static_route(&self, node: &str, addr: std::net::SocketAddr) -> Result<(), NetError> {
        self.net()?.resolver().add_static_route(node, addr);
        Ok(())
    }
}
