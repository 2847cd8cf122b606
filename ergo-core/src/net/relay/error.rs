//! The relay layer's errors (starting a relay, joining relays). Owns these types only.

/// Why a relay could not start or a node could not join relays.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The network layer failed (starting the relay's node, TLS configuration, ...).
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// The relay's listener could not bind.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A member's node name must be `name@cluster`.
    #[error("a relay member's node name must be name@cluster: {0}")]
    MemberName(String),
    /// A relay address is not `host:port`.
    #[error("relay address {0:?} is not host:port")]
    Address(String),
    /// No relay address, no cluster, or an empty secret.
    #[error("invalid relay configuration: {0}")]
    Config(String),
    /// The node joined relays already.
    #[error("this node is a relay member already")]
    AlreadyMember,
    /// The membership process could not start.
    #[error("the relay membership process did not start: {0}")]
    Process(String),
}
