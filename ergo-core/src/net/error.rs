//! Errors of the node's distribution: starting it, and connecting to other nodes. Owns only the
//! error enum.

use crate::epmd::EpmdError;

/// Why distribution could not start, or a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The distribution listener could not bind.
    #[error("cannot listen for distribution on {address}: {source}")]
    Listen {
        /// The address asked for.
        address: std::net::SocketAddr,
        /// The bind error.
        #[source]
        source: std::io::Error,
    },
    /// EPMD refused the registration (typically: the name is in use on this host).
    #[error("EPMD refused to register {name}: the name is probably in use on this host")]
    NameInUse {
        /// The node's short name.
        name: String,
    },
    /// EPMD could not be reached, nor served by this node.
    #[error("cannot register with EPMD: {0}")]
    Epmd(#[from] EpmdError),
    /// The connection to `node` failed.
    #[error("cannot connect to {node}: {reason}")]
    Connect {
        /// The peer.
        node: String,
        /// What went wrong (handshake, resolution, cookie...).
        reason: String,
    },
    /// The name is not a node name (`name@host`).
    #[error("invalid node name {0:?}")]
    InvalidNode(String),
    /// The node itself could not be made (an invalid name, no tokio runtime).
    #[error("node could not start: {0}")]
    Node(#[from] crate::node::NodeError),
    /// The node was started without distribution.
    #[error("this node is not distributed (it was started with Node::start, not Node::start_distributed)")]
    NotDistributed,
    /// The node has been stopped.
    #[error("node is stopped")]
    Stopped,
    /// No cookie was given and `~/.erlang.cookie` could not be read.
    #[error("no cookie: set NodeOptions::cookie or write ~/.erlang.cookie")]
    NoCookie,
    /// A connection attempt did not finish in time.
    #[error("connecting to {0} timed out")]
    Timeout(String),
    /// The TLS configuration could not be built (unreadable or invalid certificate or key).
    #[error("TLS: {0}")]
    Tls(String),
    /// A proxy route that cannot be used.
    #[error("invalid proxy route: {0}")]
    InvalidRoute(String),
    /// The option needs a cargo feature this build of ergo does not have.
    #[error("{what} needs ergo's `{feature}` feature, which this build does not have")]
    FeatureDisabled {
        /// The cargo feature.
        feature: &'static str,
        /// What was asked for.
        what: &'static str,
    },
    /// A part of the distribution could not start.
    #[error("{0}")]
    Internal(String),
}
