//! The network as the inspect API shows it: the listener, each connected peer with its
//! negotiated flags, transport and traffic counters, and handshake failures by reason. Reads
//! the connection manager's counters; must not open, close or write to connections.

use ergo_etf::Atom;

use crate::node::Node;

/// The node on the network.
#[derive(Clone, Debug)]
pub struct NetworkReport {
    /// The port it listens on.
    pub port: u16,
    /// Whether its connections use TLS.
    pub tls: bool,
    /// Its connected peers, by name.
    pub peers: Vec<PeerReport>,
    /// Messages received, all connections (closed ones included).
    pub messages_in: u64,
    /// Messages sent, all connections.
    pub messages_out: u64,
    /// Bytes received, all connections.
    pub bytes_in: u64,
    /// Bytes sent, all connections.
    pub bytes_out: u64,
    /// Failed handshakes (incoming and outgoing), by reason, sorted by reason.
    pub handshake_failures: Vec<(String, u64)>,
}

/// One connected peer.
#[derive(Clone, Debug)]
pub struct PeerReport {
    /// Its node name.
    pub name: Atom,
    /// The negotiated distribution flags, by name.
    pub flags: Vec<String>,
    /// Whether the peer is a hidden node.
    pub hidden: bool,
    /// Whether the connection goes through a proxy route (a tunnel via another node).
    pub proxy: bool,
    /// Whether it runs over TLS.
    pub tls: bool,
    /// Whether compressed messages were negotiated (ergo-rs peers only).
    pub compression: bool,
    /// Messages received on it.
    pub messages_in: u64,
    /// Messages sent on it.
    pub messages_out: u64,
    /// Bytes received on it.
    pub bytes_in: u64,
    /// Bytes sent on it.
    pub bytes_out: u64,
    /// Entries of its outgoing atom cache in use (of 2,048).
    pub atom_cache_entries: usize,
}

#[cfg(feature = "dist")]
pub(super) fn report(node: &Node) -> Option<NetworkReport> {
    let manager = node.net_manager()?;
    let peers: Vec<PeerReport> = manager
        .peer_snapshots()
        .into_iter()
        .map(|p| PeerReport {
            flags: p.flags.names(),
            hidden: !p.flags.contains(crate::dist::DistFlags::PUBLISHED),
            compression: p.flags.contains(crate::dist::DistFlags::ERGO_COMPRESSION),
            name: p.name,
            proxy: p.proxy,
            tls: p.tls,
            messages_in: p.traffic.messages_in,
            messages_out: p.traffic.messages_out,
            bytes_in: p.traffic.bytes_in,
            bytes_out: p.traffic.bytes_out,
            atom_cache_entries: p.atom_cache_entries,
        })
        .collect();
    let totals = manager.traffic_totals();
    Some(NetworkReport {
        port: manager.port,
        tls: manager.uses_tls(),
        peers,
        messages_in: totals.messages_in,
        messages_out: totals.messages_out,
        bytes_in: totals.bytes_in,
        bytes_out: totals.bytes_out,
        handshake_failures: manager.handshake_failures(),
    })
}

#[cfg(not(feature = "dist"))]
pub(super) fn report(_node: &Node) -> Option<NetworkReport> {
    None
}
