//! The ergo runtime: nodes, processes, behaviours and the Erlang distribution.
#![deny(missing_docs)]

pub mod dist;
pub mod epmd;

pub mod error;
pub mod event;
pub(crate) mod fast_hash;
pub mod gen;
pub mod global;
pub mod net;
pub mod node;
pub mod pg;
pub mod process;

pub use error::{CallError, NodeError, SendError, SpawnError};
pub use gen::application::{
    Application, ApplicationError, ApplicationSpec, Applications, StartType,
};
pub use gen::server::{CallOutcome, From, GenServer, Init, Reply, Status};
pub use gen::supervisor::{
    AutoShutdown, ChildKind, ChildSpec, ChildStart, Restart, Shutdown, Strategy, Supervisor,
    SupervisorError, SupervisorRef, SupervisorSpec,
};
pub use global::{Global, GlobalError};
pub use net::{
    DistOptions, Exception, NetError, ProxyOptions, ProxyRoute, RemoteSpawnError,
    RemoteSpawnOptions, RemoteSpawned, RpcArgs, RpcError,
};
pub use node::{
    Dest, Node, NodeOptions, ProcessInfo, RemoteRouter, RemoteSignal, SpawnOptions, TimerHandle,
};
pub use process::{Context, Envelope, Payload};

pub use ergo_etf as etf;

/// Used by `#[gen_server]`'s generated code: logs an info message the typed `handle_info` could
/// not decode (OTP's default for unexpected messages). Not part of the public API.
#[doc(hidden)]
pub fn __private_warn_unexpected_info(message: &ergo_etf::Term) {
    tracing::warn!(%message, "unexpected info message dropped");
}
