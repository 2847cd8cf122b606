//! Proxy routes: reaching a node through one or more transit nodes, for nodes that cannot
//! reach each other directly, with the tunnel encrypted end to end if asked.
//!
//! How it works: node A has a route "C via B". To connect to C, A connects to B (an ordinary
//! connection between ergo-rs nodes, which negotiated the private
//! [`DistFlags::ERGO_PROXY`](crate::dist::DistFlags::ERGO_PROXY) flag) and sends a connect
//! request for C in a proxy frame (`dist::proxy_frame`). B, if it allows transit
//! ([`ProxyOptions::transit`]), connects to C (or to its own next hop for C, up to
//! [`ProxyOptions::max_hops`] transit nodes) and passes the request on; C answers. From then on
//! the tunnel is a byte stream between A and C, and A and C run the ordinary handshake over it:
//! the cookie is checked end to end, and the tunnel is an ordinary connection in both
//! connection managers, so messages, links, monitors, calls, remote spawn and node monitoring
//! work unchanged. Transit nodes only pass frames on.
//!
//! When a hop fails, each transit node that sees it sends a disconnect both ways; the ends'
//! connections fail with [`ConnectionError::ProxyDown`](crate::dist::ConnectionError::ProxyDown)
//! naming the hop, and links, monitors and calls across get `noconnection` (watchers get
//! `{nodedown, C}`), as for any lost connection. The tunnelled connection's own ticks also
//! catch a silent path.
//!
//! Encrypted tunnels ([`ProxyRoute::encrypted`]): X25519 ephemeral keys and AES-256-GCM
//! with keys derived from the key agreement and the cookie (see `crypto.rs` for the
//! construction), so a transit node can neither read nor alter what it relays.
//!
//! Owns the proxy options, the route table and the tunnels; files: `crypto.rs` (encryption),
//! `sessions.rs` (the session table and relaying), `stream.rs` (a tunnel end as a byte
//! stream), `tunnel.rs` (opening, accepting and relaying tunnels), `api.rs` (the node's route
//! API). Must not change how a connection works: a tunnel is one more kind of stream.

mod api;
mod crypto;
mod sessions;
mod stream;
mod tunnel;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use ergo_etf::Atom;
use ring::rand::SystemRandom;

use crate::fast_hash::FxHashMap;
pub(crate) use sessions::{Hop, Sessions};
pub(crate) use tunnel::{on_frame, open, FromLink};

/// How this node takes part in proxy routes (see [`crate::net::DistOptions::proxy`]).
#[derive(Clone, Debug)]
pub struct ProxyOptions {
    /// Relay tunnels between other nodes (default false: a transit node must allow it).
    pub transit: bool,
    /// Accept tunnels that end at this node (default true; the tunnelled handshake checks the
    /// cookie as a direct connection does).
    pub accept: bool,
    /// The most transit nodes a tunnel through this node may have passed (default 8).
    pub max_hops: u8,
    /// Routes at start: node name -> how to reach it.
    pub routes: Vec<(String, ProxyRoute)>,
}

impl Default for ProxyOptions {
    fn default() -> ProxyOptions {
        ProxyOptions {
            transit: false,
            accept: true,
            max_hops: 8,
            routes: Vec::new(),
        }
    }
}

/// A route to a node through a transit node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRoute {
    /// The first transit node. It may have a route of its own for the target (more hops).
    pub via: String,
    /// Encrypt the tunnel end to end (the transit nodes cannot read it).
    pub encrypted: bool,
}

impl ProxyRoute {
    /// A route through `via`, not encrypted.
    pub fn via(node: impl Into<String>) -> ProxyRoute {
        ProxyRoute {
            via: node.into(),
            encrypted: false,
        }
    }

    /// The same route, encrypted end to end.
    pub fn encrypted(self) -> ProxyRoute {
        ProxyRoute {
            encrypted: true,
            ..self
        }
    }
}

/// A node's proxy state: its options, routes and tunnels.
pub(crate) struct Proxy {
    pub transit: bool,
    pub accept: bool,
    pub max_hops: u8,
    routes: RwLock<FxHashMap<Atom, ProxyRoute>>,
    pub sessions: Arc<Sessions>,
    pub rng: SystemRandom,
    /// Set by the relay layer: connect to nodes only through proxy routes (never dial).
    refuse_direct: AtomicBool,
    /// Set by a relay: which tunnels it agrees to relay.
    transit_check: RwLock<Option<TransitCheck>>,
}

/// A relay's rule for the tunnels it relays: given the connection's peer, the name the opener
/// claims and the target, `Ok` or why not.
pub(crate) type TransitCheck = Arc<dyn Fn(&Atom, &str, &Atom) -> Result<(), String> + Send + Sync>;

impl Proxy {
    pub(crate) fn new(me: Atom, options: &ProxyOptions) -> Proxy {
        let proxy = Proxy {
            transit: options.transit,
            accept: options.accept,
            max_hops: options.max_hops,
            routes: RwLock::new(FxHashMap::default()),
            sessions: Arc::new(Sessions::new(me)),
            rng: SystemRandom::new(),
            refuse_direct: AtomicBool::new(false),
            transit_check: RwLock::new(None),
        };
        for (node, route) in &options.routes {
            match Atom::try_new(node) {
                Some(node) => {
                    proxy.set_route(node, Some(route.clone()));
                }
                None => tracing::warn!(%node, "proxy route to an invalid node name ignored"),
            }
        }
        proxy
    }

    /// The route to `node`, if it has one.
    pub(crate) fn route(&self, node: &Atom) -> Option<ProxyRoute> {
        let routes = self.routes.read().unwrap_or_else(|p| p.into_inner());
        if routes.is_empty() {
            return None;
        }
        routes.get(node).cloned()
    }

    /// Sets (`Some`) or removes (`None`) the route to `node`; the previous one.
    pub(crate) fn set_route(&self, node: Atom, route: Option<ProxyRoute>) -> Option<ProxyRoute> {
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        match route {
            Some(route) => routes.insert(node, route),
            None => routes.remove(&node),
        }
    }

    /// Connect to nodes only through proxy routes from now on (`on`): a node without a route
    /// is not dialed (the relay layer's choice for relays, and its test hook for members).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn set_refuse_direct(&self, on: bool) {
        self.refuse_direct.store(on, Ordering::Release);
    }

    /// Whether direct connections are refused (see [`Proxy::set_refuse_direct`]).
    pub(crate) fn refuses_direct(&self) -> bool {
        self.refuse_direct.load(Ordering::Acquire)
    }

    /// Sets the rule a relay puts on the tunnels it relays.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn set_transit_check(&self, check: TransitCheck) {
        *self
            .transit_check
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(check);
    }

    /// Whether this node relays a tunnel from `peer` (claiming to be `opener`) to `to`.
    pub(crate) fn check_transit(&self, peer: &Atom, opener: &str, to: &Atom) -> Result<(), String> {
        let check = self.transit_check.read().unwrap_or_else(|p| p.into_inner());
        match check.as_ref() {
            Some(check) => check(peer, opener, to),
            None => Ok(()),
        }
    }

    /// Every route, sorted by node.
    pub(crate) fn routes(&self) -> Vec<(Atom, ProxyRoute)> {
        let routes = self.routes.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = routes.iter().map(|(n, r)| (n.clone(), r.clone())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}
