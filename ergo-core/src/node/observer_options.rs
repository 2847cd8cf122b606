//! Where the node serves its observer (web UI and metrics), as a node option. The node only
//! holds the option and, once built, calls the start function the option carries: the observer
//! itself lives above the network layer (feature `observer`), whose constructor of this option
//! fills that function in, so the node names nothing above it. Must not serve anything.

use std::net::SocketAddr;

use super::{Node, NodeError};

/// Starts the observer of a freshly built node.
pub(crate) type ObserverStart = fn(&Node, &ObserverOptions) -> Result<(), String>;

/// The observer's address and access token. Made with `ObserverOptions::new` (feature
/// `observer`): without the feature there is no way to ask for an observer.
#[derive(Clone)]
pub struct ObserverOptions {
    /// The address to listen on (default port 9911). A loopback address lets local pages be
    /// read without the token; any other address requires the token for every request.
    pub addr: SocketAddr,
    /// The token that state-changing actions (send, exit, kill) and non-local readers must give;
    /// `None` makes a random one at start (printed in the observer's URL, see
    /// `observer::url`).
    pub token: Option<String>,
    #[cfg_attr(not(feature = "observer"), allow(dead_code))]
    pub(crate) start: ObserverStart,
}

impl std::fmt::Debug for ObserverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObserverOptions")
            .field("addr", &self.addr)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl ObserverOptions {
    pub(super) fn start(&self, node: &Node) -> Result<(), NodeError> {
        (self.start)(node, self).map_err(NodeError::Observer)
    }
}
