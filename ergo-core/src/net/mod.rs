//! The node on the network: its distribution listener and EPMD registration, the connection
//! manager (one connection per peer, made on first send or on `Node::connect`), the mapping
//! between the node's messages and signals and the DIST control messages, the `net_kernel`
//! process peers expect, and node monitoring (`{nodeup, N}` / `{nodedown, N}`). RPC both ways
//! (`rpc.rs`: provided functions; `rex.rs`: the `rex` server; `rpc_call.rs`: calling out) and
//! remote spawn both ways (`spawn_serve.rs`: answering SPAWN_REQUEST; `spawn_request.rs`:
//! sending it) live here too.
//!
//! Owns the wiring between `node/` and `dist/`; the protocol itself is `dist/`'s, EPMD is
//! `epmd/`'s, and what a message means to a process is the node's.
//!
//! A node is distributed when [`crate::NodeOptions::distribution`] is set:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ergo_core::{net::DistOptions, Node, NodeOptions};
//! let node = Node::start("demo@localhost", NodeOptions {
//!     cookie: "secret".into(),
//!     distribution: Some(DistOptions::default()),
//!     ..NodeOptions::default()
//! }).await?;
//! node.connect("other@localhost").await?;
//! # Ok(()) }
//! ```

mod api;
mod compression;
mod error;
mod incoming;
mod listener;
mod manager;
mod net_kernel;
mod options;
mod outgoing;
mod proxy;
mod rex;
mod rpc;
mod rpc_call;
mod spawn_request;
mod spawn_serve;
mod tls;
mod transport;

use std::sync::Arc;

pub use compression::ProcessCompression;
pub use error::NetError;
pub use options::DistOptions;
pub use proxy::{ProxyOptions, ProxyRoute};
pub use rpc::{Exception, RpcArgs};
pub use rpc_call::RpcError;
pub use spawn_request::{RemoteSpawnError, RemoteSpawnOptions, RemoteSpawned};
pub use tls::{TlsIdentity, TlsOptions, TlsVerify};

pub(crate) use listener::{bind, Bound};
pub(crate) use manager::NetManager;

use crate::dist::LocalNode;
use crate::node::{Node, SpawnOptions};
use manager::ManagerParts;

/// The cookie to use: the one given, else `~/.erlang.cookie` as `erl` reads it.
pub(crate) fn cookie(given: &str) -> Result<String, NetError> {
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
pub(crate) async fn attach(
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
    node.set_router(Arc::clone(&manager) as Arc<dyn crate::node::RemoteRouter>);
    let _ = node.inner.net.set(Arc::clone(&manager));
    let accept = tokio::spawn(listener::accept_loop(Arc::clone(&manager), bound.listener));
    manager.keep_task(accept.abort_handle());
    node.start_server::<net_kernel::NetKernel>((), SpawnOptions::named("net_kernel"))
        .await
        .map_err(|err| NetError::Internal(format!("net_kernel did not start: {err}")))?;
    rex::start(node).map_err(|err| NetError::Internal(format!("rex did not start: {err}")))?;
    // A published node takes part in `global` (a hidden one is not asked to).
    if !hidden {
        crate::global::start(node)
            .await
            .map_err(|err| NetError::Internal(format!("global did not start: {err}")))?;
    }
    Ok(())
}
