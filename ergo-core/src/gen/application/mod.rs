//! application: OTP's applications on a node. An [`ApplicationSpec`] names an application, its
//! description, version, environment, the applications it depends on and its root supervisor;
//! [`Applications`] (from `node.applications()`) loads, unloads, starts and stops them and
//! applies the start type (permanent, transient, temporary) when one terminates by itself.
//!
//! Layout: `spec.rs` (the spec and start types), `table.rs` (the per-node table of loaded and
//! running applications and their env), `master.rs` (the process that owns a running
//! application's root supervisor), `controller.rs` (the API: load/start/stop/...), `error.rs`.
//! Must not touch node internals beyond finding the node's table; processes are used through
//! the public API only.

mod controller;
mod error;
mod master;
mod spec;
mod table;

pub use controller::{AppExit, AppInfo, Applications, RunningApplication};
pub use error::ApplicationError;
pub use spec::{ApplicationSpec, StartType};

/// An application declared as a type; `#[application]` implements it.
pub trait Application {
    /// The application's spec.
    fn spec() -> ApplicationSpec;
}
