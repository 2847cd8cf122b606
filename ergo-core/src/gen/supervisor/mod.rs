//! supervisor: OTP's supervisor behaviour. A supervisor is a process (trap_exit on, linked to
//! its children) that starts children from [`ChildSpec`]s, restarts them by strategy and restart
//! type within a restart intensity, stops them in reverse start order with their shutdown, and
//! answers the runtime API (start/terminate/restart/delete child, which/count children).
//!
//! Layout: `spec.rs` (what a supervisor and its children are), `start.rs` (how a child is
//! started), `strategy.rs` (which children a crash affects), `restart.rs` (the intensity
//! window), `shutdown.rs` (stopping one child), `inbox.rs` (selective receive), `children.rs`
//! (what a running supervisor supervises), `run.rs` (the process loop), `api.rs` (the client
//! side), `error.rs`. Must not touch the node's tables or the
//! distribution layer: it only uses the public process API (spawn, link, monitor, exit).

mod api;
mod children;
mod error;
mod inbox;
mod restart;
mod run;
mod shutdown;
mod spec;
mod start;
mod strategy;

pub use api::{ChildCounts, ChildInfo, ChildPid, ChildReport, SupervisorRef, SupervisorReport};
pub use error::SupervisorError;
pub use restart::RestartWindow;
pub use spec::{AutoShutdown, ChildKind, ChildSpec, Restart, Shutdown, SupervisorSpec};
pub use start::{ChildStart, StartContext, StartOutcome};
pub use strategy::Strategy;

/// A supervisor declared as a type: its `init` returns the flags and child specs each time the
/// supervisor starts (and restarts, when it is itself a child). `#[supervisor]` implements it.
pub trait Supervisor: Send + 'static {
    /// What `init` receives.
    type Args: Send + 'static;

    /// The supervisor's flags and children, or a reason not to start.
    fn init(args: Self::Args) -> Result<SupervisorSpec, ergo_etf::Term>;
}
