//! ergo: Erlang/OTP's design patterns and its distribution protocol, in Rust.
//!
//! This facade re-exports the term layer ([`ergo_etf`]), the runtime ([`ergo_core`]) and the
//! macros ([`ergo_macros`]); user code and macro-generated code name everything through `ergo::`.
#![deny(missing_docs)]

// Lets `#[derive(Term)]`'s `::ergo::` paths resolve inside this crate too.
extern crate self as ergo;

pub use ergo_etf::*;

/// `#[derive(Term)]`: `IntoTerm`/`FromTerm` for user structs and enums (see `ergo_macros`).
pub use ergo_macros::Term;

/// `#[gen_server]`: implements `GenServer` from an impl block of async callbacks.
pub use ergo_macros::gen_server;

/// `#[supervisor]`: implements `Supervisor` from flags and a `children! { .. }` list.
pub use ergo_macros::supervisor;

/// `#[application]`: implements `Application` from name, version, env, dependencies and root.
pub use ergo_macros::application;

/// The term layer, by its own name.
pub use ergo_etf as etf;

/// The runtime, by its own name.
pub use ergo_core as core;

/// The runtime's main items (the gen_server reply handle is `ergo::core::From`, not re-exported
/// here so it does not shadow `std::convert::From`).
pub use ergo_core::{
    CallError, CallOutcome, Context, Dest, DistOptions, Envelope, GenServer, Init, NetError, Node,
    NodeError, NodeOptions, Payload, ProcessInfo, ProxyOptions, ProxyRoute, Reply, SendError,
    SpawnError, SpawnOptions, Status, TimerHandle,
};

/// Remote procedure calls and remote spawn: `node.provide_rpc`, `node.rpc_call`,
/// `node.make_spawnable`, `node.spawn_request` and their types.
pub use ergo_core::{
    Exception, RemoteSpawnError, RemoteSpawnOptions, RemoteSpawned, RpcArgs, RpcError,
};

/// Applications (OTP's application controller): specs, start types, `node.applications()`.
pub use ergo_core::gen::application;
pub use ergo_core::{Application, ApplicationError, ApplicationSpec, Applications, StartType};

/// Supervisors (OTP's supervisor behaviour): specs, strategies, the runtime API.
pub use ergo_core::gen::supervisor;
pub use ergo_core::{
    AutoShutdown, ChildKind, ChildSpec, ChildStart, Restart, Shutdown, Strategy, Supervisor,
    SupervisorError, SupervisorRef, SupervisorSpec,
};

/// Items the macros' generated code needs; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
}
