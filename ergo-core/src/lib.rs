//! The ergo runtime: nodes, processes, behaviours and the Erlang distribution.
#![deny(missing_docs)]

pub mod dist;
pub mod epmd;

pub mod error;
pub mod event;
pub mod gen;
pub mod node;
pub mod process;

pub use error::{CallError, NodeError, SendError, SpawnError};
pub use gen::server::{CallOutcome, From, GenServer, Init, Reply, Status};
pub use node::{Dest, Node, NodeOptions, ProcessInfo, RemoteRouter, RemoteSignal, SpawnOptions, TimerHandle};
pub use process::{Context, Envelope, Payload};

pub use ergo_etf as etf;
