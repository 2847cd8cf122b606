//! ergo: Erlang/OTP's design patterns and its distribution protocol, in Rust.
//!
//! The root holds what an application names every day: the term types and conversions, the
//! macros, the node and what a process sees of it, gen_server, supervisor and application, and
//! the services (`Global`, `PgScope`, events). Each layer is also reachable whole under its own
//! name: [`etf`] (the term layer, `ergo-etf`) and [`runtime`] (`ergo-core`: the node, the
//! behaviours, and with the `dist` feature the distribution protocol, EPMD and the network).
//!
//! Cargo features: `dist` (default: Erlang distribution, EPMD, RPC, remote spawn), `tls`
//! (default: distribution over TLS 1.3 and end-to-end encrypted proxy routes), `compression`
//! (default: compressed terms and compressed distribution messages), `logging` (default:
//! [`logging::init`], a `tracing` subscriber for programs), `cron` (default: [`cron`], scheduled
//! jobs on `croner`, `chrono` and `chrono-tz`), `testing` (off: `ergo::testing`, the test
//! kit). Without default features ergo is a
//! local-only runtime that compiles none of the network, crypto or compression crates.
#![deny(missing_docs)]
#![deny(unreachable_pub)]

// Lets `#[derive(Term)]`'s `::ergo::` paths resolve inside this crate too.
extern crate self as ergo;

/// `#[derive(Term)]`: `IntoTerm`/`FromTerm` for user structs and enums (see `ergo_macros`).
pub use ergo_macros::Term;

/// `#[gen_server]`: implements `GenServer` from an impl block of async callbacks.
pub use ergo_macros::gen_server;

/// `#[gen_stage]`: implements `GenStage` (Elixir's GenStage) from an impl block of async
/// callbacks with typed events.
pub use ergo_macros::gen_stage;

/// `#[supervisor]`: implements `Supervisor` from flags and a `children! { .. }` list.
pub use ergo_macros::supervisor;

/// `#[gen_saga]` and `#[saga_worker]`: implement `GenSaga` and `SagaWorker` from impl blocks of
/// async callbacks.
pub use ergo_macros::{gen_saga, saga_worker};

/// `#[application]`: implements `Application` from name, version, env, dependencies and root.
pub use ergo_macros::application;

/// `#[gen_raft]` (feature `raft`): implements `GenRaft` from an impl block of callbacks
/// (`init`, the raft callbacks and the gen_server ones), started with `Node::start_raft`.
#[cfg(feature = "raft")]
pub use ergo_macros::gen_raft;

/// The term layer, whole: codec entry points, text (Erlang syntax), the type registry.
pub use ergo_etf as etf;

/// The runtime, whole: node, processes, behaviours, services and (feature `dist`) the network.
pub use ergo_core as runtime;

// Terms: the model, the conversions and the codec's two entry points.
pub use ergo_etf::{
    from_bytes, from_proplist, to_bytes, Atom, AtomText, Binary, BitBinary, Charlist, ConvertError,
    DecodeError, EncodeError, Export, FromFields, FromTerm, Fun, IntoTerm, Map, Pid, Port,
    Reference, Term,
};

// Used by `#[derive(Term)]`'s generated code through `::ergo::`.
#[doc(hidden)]
pub use ergo_etf::{missing_field, registry, take_field};

// The node and what a process sees of it.
pub use ergo_core::{
    CallError, Context, Dest, Envelope, Node, NodeError, NodeOptions, Payload, ProcessInfo,
    SendError, SpawnError, SpawnOptions, TimerHandle,
};

/// gen_server (OTP's gen_server behaviour): the callback trait, what callbacks return, and the
/// handle to answer a call later.
pub use ergo_core::{CallOutcome, GenServer, Init, Reply, ReplyTo, Status};

/// Direct requests: plain Rust values to a local process with a typed answer (`Node::direct`,
/// a gen_server's `handle_direct`).
pub use ergo_core::process::{DirectEnvelope, DirectReplyTo, DirectRequest};

/// What `Envelope::Exit` and `Envelope::Down` carry (boxed: both are rare).
pub use ergo_core::process::{DownSignal, ExitSignal};

/// gen_stage (Elixir's GenStage, wire-compatible): the callback trait, dispatchers, options and
/// the control API (`stage::subscribe`, `stage::ask`, ...); `Node::start_stage` starts one.
pub use ergo_core::gen::stage;
pub use ergo_core::gen::stage::GenStage;

/// Applications (OTP's application controller): specs, start types, `node.applications()`.
pub use ergo_core::gen::application;
pub use ergo_core::{Application, ApplicationError, ApplicationSpec, Applications, StartType};

/// Worker pools: gen_servers behind one process, requests handed to the next worker that can
/// queue them, with direct replies, load shedding, replacement of crashed workers and resizing.
pub use ergo_core::gen::pool;
pub use ergo_core::gen::pool::{PoolError, PoolOptions, PoolResize, PoolStats, PoolStatsRequest};

/// TCP and UDP servers (and, with `web`, the web server) whose traffic is served by processes.
#[cfg(feature = "servers")]
pub use ergo_core::servers;

/// Supervisors (OTP's supervisor behaviour): specs, strategies, the runtime API.
pub use ergo_core::gen::supervisor;
pub use ergo_core::{
    AutoShutdown, ChildKind, ChildSpec, ChildStart, Restart, Shutdown, Strategy, Supervisor,
    SupervisorError, SupervisorRef, SupervisorSpec,
};

/// gen_saga (the seed's distributed transactions): the `GenSaga` and `SagaWorker` callbacks,
/// the `SagaContext` they act through, options, ids and errors (`ergo::saga::*`).
pub use ergo_core::gen::saga;
pub use ergo_core::gen::saga::{GenSaga, SagaWorker};

/// Services: global names (Erlang's `global`), process groups (Erlang's `pg`) and events.
pub use ergo_core::event::{EventError, EventMessage, EventToken};
#[cfg(feature = "dist")]
pub use ergo_core::global::{Global, GlobalError};
pub use ergo_core::pg::PgScope;

/// The self-hosted relay (feature `tls`): `Node::start_relay`, `node.join_relays` and their
/// types; see docs/relay.md.
#[cfg(feature = "tls")]
pub use ergo_core::net::relay;
/// The network (feature `dist`): distribution options, proxy routes, RPC and remote spawn:
/// `Node::start_distributed`, `node.provide_rpc`, `node.rpc_call`, `node.make_spawnable`,
/// `node.spawn_request` and their types.
#[cfg(feature = "dist")]
pub use ergo_core::net::{
    DistOptions, Exception, NetError, ProxyOptions, ProxyRoute, RemoteSpawnError,
    RemoteSpawnOptions, RemoteSpawned, RpcArgs, RpcError,
};

/// Cron (feature `cron`, default): node-level scheduled jobs, `node.cron()`; see `docs/cron.md`.
#[cfg(feature = "cron")]
pub use ergo_core::cron;
/// gen_raft (feature `raft`): replicated serial-numbered appends on a Raft cluster of 3 to 11
/// voting members among the online peers, on the openraft engine over the distribution; see
/// docs/raft.md.
#[cfg(feature = "raft")]
pub use ergo_core::gen::raft;
#[cfg(feature = "raft")]
pub use ergo_core::gen::raft::{
    GenRaft, GenRaftError, RaftContext, RaftMember, RaftOptions, RaftStart,
};
/// Looking into a running node: the inspect API (`node.inspector()`: summary, processes, one
/// process in detail, supervision trees, applications, network, names, events, pg groups) and,
/// with the feature `observer`, the observer's web UI and metrics (`NodeOptions::observer`).
pub use ergo_core::inspect;
/// The observer (feature `observer`): `ObserverOptions::new(addr)`, `observer::url(&node)`,
/// the log layer and the metrics text.
#[cfg(feature = "observer")]
pub use ergo_core::observer;
pub use ergo_core::{InspectProcess, NodeStats, ObserverOptions, ProcessStatus};

#[cfg(feature = "logging")]
pub mod logging;

#[cfg(feature = "testing")]
pub mod testing;

/// Items the macros' generated code needs; not part of the public API.
#[doc(hidden)]
#[path = "macro_support.rs"]
pub mod __private;
