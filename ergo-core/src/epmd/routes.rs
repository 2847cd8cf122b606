//! Resolving a node name (`name@host`) to a distribution address: static routes first, then
//! PORT_PLEASE2 at the host's EPMD.
//!
//! Owns the route table; it must not register anything or open distribution connections.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use super::{EpmdClient, EpmdError, NodeEntry};

/// Resolves node names; cheap to clone (the route table is shared).
#[derive(Clone, Debug)]
pub struct Resolver {
    epmd_port: u16,
    routes: Arc<RwLock<HashMap<String, SocketAddr>>>,
}

/// Splits `name@host` into its parts.
pub fn split_node_name(node: &str) -> Result<(&str, &str), EpmdError> {
    match node.split_once('@') {
        Some((name, host)) if !name.is_empty() && !host.is_empty() && !host.contains('@') => {
            Ok((name, host))
        }
        _ => Err(EpmdError::BadNodeName(node.to_string())),
    }
}

impl Resolver {
    /// A resolver asking EPMD on `epmd_port` of each node's host.
    pub fn new(epmd_port: u16) -> Resolver {
        Resolver {
            epmd_port,
            routes: Arc::default(),
        }
    }

    /// Routes `node` to `addr` without asking EPMD.
    pub fn add_static_route(&self, node: &str, addr: SocketAddr) {
        if let Ok(mut routes) = self.routes.write() {
            routes.insert(node.to_string(), addr);
        }
    }

    /// Removes a static route; true if there was one.
    pub fn remove_static_route(&self, node: &str) -> bool {
        self.routes
            .write()
            .map(|mut r| r.remove(node).is_some())
            .unwrap_or(false)
    }

    /// The address of `node`'s distribution listener.
    pub async fn resolve(&self, node: &str) -> Result<SocketAddr, EpmdError> {
        self.resolve_entry(node).await.map(|(addr, _)| addr)
    }

    /// The address of `node`'s distribution listener, and its EPMD entry (`None` for a static
    /// route).
    pub async fn resolve_entry(
        &self,
        node: &str,
    ) -> Result<(SocketAddr, Option<NodeEntry>), EpmdError> {
        if let Some(addr) = self.routes.read().ok().and_then(|r| r.get(node).copied()) {
            tracing::debug!(%node, %addr, "static route");
            return Ok((addr, None));
        }
        let (name, host) = split_node_name(node)?;
        let entry = EpmdClient::new(host, self.epmd_port)
            .port_please(name)
            .await?
            .ok_or_else(|| EpmdError::NotRegistered(node.to_string()))?;
        let mut addrs = tokio::net::lookup_host((host, entry.port))
            .await
            .map_err(|_| EpmdError::Resolve(host.to_string()))?;
        let addr = addrs
            .next()
            .ok_or_else(|| EpmdError::Resolve(host.to_string()))?;
        Ok((addr, Some(entry)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_split() {
        assert_eq!(split_node_name("a@b").unwrap(), ("a", "b"));
        assert!(split_node_name("ab").is_err());
        assert!(split_node_name("@b").is_err());
        assert!(split_node_name("a@").is_err());
    }

    #[tokio::test]
    async fn static_route_skips_epmd() {
        // Port 1 has no EPMD: only the static route can answer.
        let r = Resolver::new(1);
        let addr: SocketAddr = "127.0.0.1:5555".parse().unwrap();
        r.add_static_route("x@nowhere.invalid", addr);
        assert_eq!(r.resolve("x@nowhere.invalid").await.unwrap(), addr);
        assert!(r.remove_static_route("x@nowhere.invalid"));
        assert!(r.resolve("x@nowhere.invalid").await.is_err());
    }
}
