//! The node's proxy route API: add, remove and list routes at run time. Owns these `Node`
//! methods only; routes are used by the connection manager when it connects.

use ergo_etf::Atom;

use super::ProxyRoute;
use crate::net::NetError;
use crate::node::Node;

fn node_atom(name: &str) -> Result<Atom, NetError> {
    match crate::epmd::routes::split_node_name(name) {
        Ok(_) => Atom::try_new(name).ok_or_else(|| NetError::InvalidNode(name.to_string())),
        Err(_) => Err(NetError::InvalidNode(name.to_string())),
    }
}

impl Node {
    /// Reaches `node` through `route.via` from now on (the next connection to it; one that is
    /// up stays as it is). The transit node must be an ergo-rs node that allows transit.
    /// Returns the route it replaces.
    pub fn add_proxy_route(
        &self,
        node: &str,
        route: ProxyRoute,
    ) -> Result<Option<ProxyRoute>, NetError> {
        let net = self.net()?;
        let target = node_atom(node)?;
        let via = node_atom(&route.via)?;
        if via == target || target == *self.name() || via == *self.name() {
            return Err(NetError::InvalidRoute(format!(
                "{node} via {}: a route needs three different nodes",
                route.via
            )));
        }
        // A chain of routes that leads back to the target would wait on itself.
        let mut hop = via;
        for _ in 0..=u8::MAX {
            match net.proxy.route(&hop) {
                Some(next) if next.via == node => {
                    return Err(NetError::InvalidRoute(format!(
                        "{node} via {}: the route to {hop} goes through {node}",
                        route.via
                    )))
                }
                Some(next) => hop = node_atom(&next.via)?,
                None => break,
            }
        }
        Ok(net.proxy.set_route(target, Some(route)))
    }

    /// Removes the route to `node`; the removed route, if there was one.
    pub fn remove_proxy_route(&self, node: &str) -> Result<Option<ProxyRoute>, NetError> {
        let net = self.net()?;
        Ok(net.proxy.set_route(node_atom(node)?, None))
    }

    /// The proxy routes, sorted by node.
    pub fn proxy_routes(&self) -> Vec<(Atom, ProxyRoute)> {
        self.net_manager()
            .map(|n| n.proxy.routes())
            .unwrap_or_default()
    }

    /// How many proxy tunnels pass through or end at this node.
    pub fn proxy_tunnels(&self) -> usize {
        self.net_manager()
            .map(|n| n.proxy.sessions.len())
            .unwrap_or(0)
    }
}
