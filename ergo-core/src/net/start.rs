//! Starting a distributed node: the cookie, the listener and EPMD registration, then the node
//! itself with the creation EPMD gave, its network manager installed as the node's
//! distribution, and the node processes peers expect (`net_kernel`, `rex`, `global`). Owns the
//! order of that start; the work is the listener's, the manager's and each service's.

use std::sync::Arc;

use super::listener::{self, Bound};
use super::manager::{ManagerParts, NetManager};
use super::{net_kernel, rex, DistOptions, NetError};
use crate::dist::LocalNode;
use crate::node::{Distribution, Node, NodeOptions, SpawnOptions};

impl Node {
    /// Starts a node named `name@host` on the network: binds its distribution listener and
    /// registers with EPMD (taking the creation EPMD gives), serving EPMD itself when nothing
    /// does; then starts the node processes Erlang peers expect (`net_kernel`, `rex` and, for a
    /// published node, `global`). A local node is [`Node::start`].
    pub async fn start_distributed(
        name: &str,
        mut options: NodeOptions,
        dist: DistOptions,
    ) -> Result<Node, NetError> {
        Node::check_name(name)?;
        if cfg!(not(feature = "compression")) && dist.compression.is_some() {
            return Err(NetError::FeatureDisabled {
                feature: "compression",
                what: "compression of distribution messages",
            });
        }
        let cookie = cookie(&options.cookie)?;
        let bound = listener::bind(name, &dist).await?;
        options.creation = options.creation.or(bound.creation);
        options.cookie = cookie.clone();
        let node = Node::build(name, options)?;
        attach(&node, bound, dist, cookie).await?;
        Ok(node)
    }
}

/// The cookie to use: the one given, else `~/.erlang.cookie` as `erl` reads it.
fn cookie(given: &str) -> Result<String, NetError> {
    if !given.is_empty() {
        return Ok(given.to_string());
    }
    let path = std::env::var_os("HOME")
        .map(|home| std::path::Path::new(&home).join(".erlang.cookie"))
        .ok_or(NetError::NoCookie)?;
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        _ => Err(NetError::NoCookie),
    }
}

/// Puts a freshly built node on the network: the manager becomes its router, the listener
/// starts accepting, and `net_kernel` is registered.
async fn attach(
    node: &Node,
    bound: Bound,
    options: DistOptions,
    cookie: String,
) -> Result<(), NetError> {
    let hidden = options.hidden;
    let local = LocalNode::new(node.name().as_str(), node.creation(), hidden);
    let manager = NetManager::new(
        node,
        ManagerParts {
            local,
            cookie,
            options,
            port: bound.port,
            keeper: bound.keeper,
            tls: bound.tls,
        },
    );
    if !node.extensions().insert(Arc::clone(&manager))
        || !node.set_distribution(Arc::clone(&manager) as Arc<dyn Distribution>)
    {
        return Err(NetError::AlreadyDistributed);
    }
    let accept = tokio::spawn(listener::accept_loop(Arc::clone(&manager), bound.listener));
    manager.keep_task(accept.abort_handle());
    node.start_server::<net_kernel::NetKernel>((), SpawnOptions::named("net_kernel"))
        .await
        .map_err(|source| NetError::Service {
            service: "net_kernel",
            source,
        })?;
    rex::start(node).map_err(|source| NetError::Service {
        service: "rex",
        source,
    })?;
    // A published node takes part in `global` (a hidden one is not asked to).
    if !hidden {
        crate::global::start(node)
            .await
            .map_err(|source| NetError::Service {
                service: "global",
                source,
            })?;
    }
    Ok(())
}
