//! The ergo runtime: nodes, processes, behaviours and the Erlang distribution.
#![deny(missing_docs)]
#![deny(unreachable_pub)]

#[cfg(feature = "dist")]
pub mod dist;
#[cfg(feature = "dist")]
pub mod epmd;

#[cfg(feature = "cron")]
pub mod cron;
pub mod event;
pub(crate) mod fast_hash;
pub mod gen;
#[cfg(feature = "dist")]
pub mod global;
pub mod inspect;
#[cfg(feature = "dist")]
pub mod net;
pub mod node;
#[cfg(feature = "observer")]
pub mod observer;
pub mod pg;
pub mod process;
#[cfg(feature = "servers")]
pub mod servers;

pub use gen::application::{
    Application, ApplicationError, ApplicationSpec, Applications, StartType,
};
#[allow(deprecated)]
pub use gen::server::From;
pub use gen::server::{CallOutcome, GenServer, Init, Reply, Status};
pub use gen::supervisor::{
    AutoShutdown, ChildKind, ChildSpec, ChildStart, Restart, Shutdown, Strategy, Supervisor,
    SupervisorError, SupervisorRef, SupervisorSpec,
};
#[cfg(feature = "dist")]
pub use global::{Global, GlobalError};
#[cfg(feature = "dist")]
pub use net::{
    DistOptions, Exception, NetError, ProxyOptions, ProxyRoute, RemoteSpawnError,
    RemoteSpawnOptions, RemoteSpawned, RpcArgs, RpcError,
};
pub use node::{
    CallError, ConnectFailure, ConnectFuture, Context, Dest, Distribution, Effect, EffectObserver,
    InspectProcess, MonitorTarget, Node, NodeError, NodeOptions, NodeStats, NotDistributed,
    ObserverOptions, ProcessInfo, ProcessStatus, RemoteSignal, SendError, SpawnError, SpawnOptions,
    TimerHandle,
};
pub use pg::PgScope;
pub use process::{Envelope, Payload, ReplyTo};
