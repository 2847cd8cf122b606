//! EPMD, the Erlang port mapper: a client (register, look up, list), an embedded server used
//! when nothing serves the EPMD port, a keeper that stays registered (re-registering, or taking
//! over serving when EPMD dies), and static routes that skip EPMD.
//!
//! Owns name→port resolution only; it must not touch distribution connections (see `dist`).

pub mod client;
pub mod keeper;
pub mod protocol;
pub mod routes;
pub mod server;

pub use client::{EpmdClient, EpmdRegistration, DEFAULT_EPMD_PORT};
pub use keeper::{EpmdKeeper, KeeperState};
pub use protocol::{EpmdProtocolError, NodeEntry};
pub use routes::Resolver;
pub use server::EpmdServer;

use thiserror::Error;

/// Why an EPMD operation failed.
#[derive(Debug, Error)]
pub enum EpmdError {
    /// Nothing accepted the connection to EPMD.
    #[error("cannot connect to EPMD: {0}")]
    Connect(#[source] std::io::Error),
    /// Reading or writing the EPMD socket failed.
    #[error("EPMD I/O: {0}")]
    Io(#[source] std::io::Error),
    /// The embedded server could not bind its port.
    #[error("cannot bind the EPMD port: {0}")]
    Bind(#[source] std::io::Error),
    /// EPMD answered with a malformed message.
    #[error("EPMD protocol: {0}")]
    Protocol(#[from] EpmdProtocolError),
    /// EPMD refused the registration (result code; 1 = name taken).
    #[error("EPMD refused the registration (result {0})")]
    Refused(u8),
    /// EPMD did not answer in time.
    #[error("EPMD request timed out")]
    Timeout,
    /// The connection or state was closed.
    #[error("EPMD connection closed")]
    Closed,
    /// The node name is not `name@host`.
    #[error("bad node name {0:?}")]
    BadNodeName(String),
    /// The node is not registered with its host's EPMD.
    #[error("node {0} is not registered in EPMD")]
    NotRegistered(String),
    /// The host name did not resolve.
    #[error("cannot resolve host {0}")]
    Resolve(String),
}
