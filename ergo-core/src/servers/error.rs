//! Why a server could not start. Owns `ServerError`; must not run anything.

/// Why a TCP, UDP or web server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The host and port asked for.
        address: std::net::SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The options contradict each other or a value is out of range.
    #[error("invalid server options: {0}")]
    InvalidOptions(String),
    /// TLS was asked for, and the configuration could not be built (or the build has no `tls`).
    #[error("TLS: {0}")]
    Tls(String),
    /// The server's process could not be spawned.
    #[error("server process: {0}")]
    Spawn(#[from] crate::node::SpawnError),
}
