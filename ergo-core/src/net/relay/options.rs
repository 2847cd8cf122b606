//! What a relay and a relay member are configured with. Owns only the option values; must not
//! open sockets.

use std::net::SocketAddr;
use std::time::Duration;

use crate::net::{TlsOptions, TlsVerify};

/// A cluster a relay serves: its name (the host part of its members' node names) and the
/// secret members prove they hold.
#[derive(Clone)]
pub struct RelayCluster {
    /// The cluster's name.
    pub name: String,
    /// The shared secret (never sent; see the admission protocol).
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for RelayCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayCluster")
            .field("name", &self.name)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// How a relay runs ([`crate::Node::start_relay`]).
#[derive(Clone, Debug)]
pub struct RelayOptions {
    /// Where members connect (TLS).
    pub listen: SocketAddr,
    /// The relay's certificate (members verify it against their CA, or skip verification).
    /// Its `verify` is not used: members are authenticated by their cluster secret.
    pub tls: TlsOptions,
    /// The clusters it serves.
    pub clusters: Vec<RelayCluster>,
    /// The longest a member may take between TCP accept and the end of its admission.
    pub admission_timeout: Duration,
}

impl RelayOptions {
    /// A relay on `listen` with `tls`'s certificate, serving `clusters`.
    pub fn new(listen: SocketAddr, tls: TlsOptions, clusters: Vec<RelayCluster>) -> RelayOptions {
        RelayOptions {
            listen,
            tls,
            clusters,
            admission_timeout: Duration::from_secs(10),
        }
    }
}

/// How a member joins its cluster through relays ([`crate::Node::join_relays`]).
#[derive(Clone)]
pub struct RelayMemberOptions {
    /// The relays' addresses, `host:port` (the host is the name checked in the relay's
    /// certificate). The member keeps a connection to each.
    pub relays: Vec<String>,
    /// The cluster secret.
    pub secret: Vec<u8>,
    /// How the relays' certificates are checked: [`TlsVerify::Ca`], or
    /// [`TlsVerify::InsecureSkipVerify`] (encryption without authenticating the relay; the
    /// tunnels stay end-to-end encrypted and cookie-checked either way).
    pub verify: TlsVerify,
    /// The first wait before reconnecting to a relay; doubles up to `backoff_max`.
    pub backoff_min: Duration,
    /// The longest wait between reconnects.
    pub backoff_max: Duration,
    /// Connect to each member that joins (the member of the two with the smaller name
    /// connects, so two never dial each other at once). Off: connections are made on first
    /// use, as in Erlang.
    pub connect_members: bool,
    /// Test hook: refuse every connection not made through a proxy route, so that the relay is
    /// the only way to other members (what separate networks would enforce).
    pub refuse_direct: bool,
}

impl std::fmt::Debug for RelayMemberOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayMemberOptions")
            .field("relays", &self.relays)
            .field("secret", &"<hidden>")
            .field("verify", &self.verify)
            .field("backoff_min", &self.backoff_min)
            .field("backoff_max", &self.backoff_max)
            .field("connect_members", &self.connect_members)
            .field("refuse_direct", &self.refuse_direct)
            .finish()
    }
}

impl RelayMemberOptions {
    /// Membership through `relays` with `secret`, relays' certificates checked as `verify`.
    pub fn new(relays: Vec<String>, secret: impl Into<Vec<u8>>, verify: TlsVerify) -> Self {
        RelayMemberOptions {
            relays,
            secret: secret.into(),
            verify,
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            connect_members: true,
            refuse_direct: false,
        }
    }
}
