//! The node on the network: its distribution listener and EPMD registration, the connection
//! manager (one connection per peer, made on first send or on `Node::connect`), the mapping
//! between the node's messages and signals and the DIST control messages, the `net_kernel`
//! process peers expect, and node monitoring (`{nodeup, N}` / `{nodedown, N}`). RPC both ways
//! (`rpc.rs`: provided functions; `rex.rs`: the `rex` server, `rex_protocol.rs` its messages;
//! `rpc_call.rs`: calling out) and remote spawn both ways (`spawn_serve.rs`: answering
//! SPAWN_REQUEST; `spawn_request.rs`: sending it) live here too.
//!
//! Owns the wiring between `node/` and `dist/`; the protocol itself is `dist/`'s, EPMD is
//! `epmd/`'s, and what a message means to a process is the node's.
//!
//! A node is distributed when it is started with [`Node::start_distributed`](crate::Node::start_distributed) (`start.rs`):
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ergo_core::{net::DistOptions, Node, NodeOptions};
//! let options = NodeOptions { cookie: "secret".into(), ..NodeOptions::default() };
//! let node = Node::start_distributed("demo@localhost", options, DistOptions::default()).await?;
//! node.connect("other@localhost").await?;
//! # Ok(()) }
//! ```

mod api;
mod builtins;
mod compression;
mod error;
mod incoming;
mod listener;
mod log_throttle;
mod manager;
mod net_kernel;
mod options;
mod outgoing;
mod proxy;
#[cfg(feature = "tls")]
pub mod relay;
mod rex;
mod rex_protocol;
mod rpc;
mod rpc_call;
mod spawn_request;
mod spawn_serve;
mod start;
#[cfg(feature = "tls")]
mod tls;
#[cfg(not(feature = "tls"))]
#[path = "tls_disabled.rs"]
mod tls;
mod tls_options;
mod transport;

pub use compression::ProcessCompression;
pub use error::{ConnectError, NetError};
pub use options::DistOptions;
pub use proxy::{ProxyOptions, ProxyRoute};
pub use rpc::{Exception, RpcArgs};
pub use rpc_call::RpcError;
pub use spawn_request::{RemoteSpawnError, RemoteSpawnOptions, RemoteSpawned};
#[cfg(all(feature = "tls", feature = "servers"))]
pub(crate) use tls::server_config as tls_server_config;
pub use tls_options::{TlsIdentity, TlsOptions, TlsVerify};

pub(crate) use manager::NetManager;
