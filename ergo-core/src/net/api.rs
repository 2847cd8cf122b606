//! The node's network API: connecting (with the network's own error), per-node cookies, static
//! routes, and where the node listens. Owns these `Node` methods only; the work is the
//! manager's. The cluster view every node has (nodes, disconnect, node monitoring) is the node
//! layer's (`node/cluster.rs`), through the `Distribution` the manager implements.

use std::sync::Arc;

use ergo_etf::Atom;

use super::{NetError, NetManager};
use crate::node::Node;

impl Node {
    /// The node's network manager (an extension of the node, set when it went on the network).
    pub(crate) fn net_manager(&self) -> Option<Arc<NetManager>> {
        self.extensions().get::<NetManager>()
    }

    pub(crate) fn net(&self) -> Result<Arc<NetManager>, NetError> {
        self.net_manager()
            .ok_or(NetError::NotDistributed(crate::node::NotDistributed))
    }

    /// True when the node was started with distribution.
    pub fn is_distributed(&self) -> bool {
        self.net_manager().is_some()
    }

    /// The port of the distribution listener.
    pub fn dist_port(&self) -> Option<u16> {
        self.net_manager().map(|n| n.port)
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

    /// Partitions this node from `node` (feature `forge-signals`): closes the connection between
    /// them and refuses new ones, in both directions, until [`Node::heal_link`]. Call it on both
    /// nodes for a clean cut (each then refuses the other).
    #[cfg(feature = "forge-signals")]
    pub fn cut_link(&self, node: &str) -> Result<(), NetError> {
        let atom = Atom::try_new(node).ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        self.net()?.set_cut(&atom, true);
        Ok(())
    }

    /// Heals a link cut by [`Node::cut_link`] (feature `forge-signals`): connections to and from
    /// `node` are made again on the next send.
    #[cfg(feature = "forge-signals")]
    pub fn heal_link(&self, node: &str) -> Result<(), NetError> {
        let atom = Atom::try_new(node).ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        self.net()?.set_cut(&atom, false);
        Ok(())
    }
}
