//! Errors of the node's distribution: starting it, and connecting to other nodes. Owns only the
//! error enums.

use std::sync::Arc;

use crate::dist::HandshakeError;
use crate::epmd::EpmdError;
use crate::node::{NotDistributed, SpawnError};

/// Why one attempt to connect to a node failed (shared by everything that waited on it).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Resolving, dialing or handshaking failed.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// This node stopped while the connection was being made.
    #[error("this node stopped while connecting")]
    NodeStopped,
    /// The node was connecting to us at the same time and its connection won, but never
    /// finished its handshake.
    #[error("simultaneous connect: the peer's side never came")]
    SimultaneousNeverCame,
    /// The node's incoming connection, which this attempt waited on, failed its handshake.
    #[error("the incoming handshake failed")]
    IncomingFailed,
    /// The node's incoming connection, which this attempt waited on, did not finish its
    /// handshake within the setup time.
    #[error("the incoming handshake did not finish")]
    IncomingUnfinished,
    /// A test cut the link to this node (`Node::cut_link`, feature `forge-signals`).
    #[error("the link to this node is cut")]
    Cut,
}

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
    #[error("cannot connect to {node}")]
    Connect {
        /// The peer.
        node: String,
        /// What went wrong (handshake, resolution, cookie...).
        #[source]
        source: Arc<ConnectError>,
    },
    /// The name is not a node name (`name@host`).
    #[error("invalid node name {0:?}")]
    InvalidNode(String),
    /// The node itself could not be made (an invalid name, no tokio runtime).
    #[error("node could not start: {0}")]
    Node(#[from] crate::node::NodeError),
    /// The node was started without distribution.
    #[error(transparent)]
    NotDistributed(#[from] NotDistributed),
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
    #[error("TLS: {context}")]
    Tls {
        /// What was being done (which file, which step).
        context: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A module or function name is not an atom (too long).
    #[error("{what} {text:?} is not an atom")]
    NotAnAtom {
        /// What the text names (`module`, `function`).
        what: &'static str,
        /// The text.
        text: String,
    },
    /// One of the node processes peers expect (`net_kernel`, `rex`, `global`) did not start.
    #[error("{service} did not start")]
    Service {
        /// The registered name of the process.
        service: &'static str,
        /// Why.
        #[source]
        source: SpawnError,
    },
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
    /// The node is on the network already (its distribution was installed twice).
    #[error("the node is on the network already")]
    AlreadyDistributed,
}
