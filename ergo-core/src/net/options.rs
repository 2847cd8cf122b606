//! How a node takes part in distribution: where it listens, whether it registers with EPMD
//! (serving EPMD itself when none runs), hidden or published, static routes, and the handshake
//! and connection settings. Owns only the option values; must not open sockets.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::dist::{ConnectionOptions, HandshakeOptions};

/// Distribution settings of a node (given to [`Node::start_distributed`](crate::Node::start_distributed)).
#[derive(Clone, Debug)]
pub struct DistOptions {
    /// The address the distribution listener binds (default all interfaces, as OTP).
    pub listen_address: IpAddr,
    /// The listener port; 0 (the default) lets the system pick one, published through EPMD.
    pub listen_port: u16,
    /// Register with the EPMD on this host (default true). When nothing serves EPMD, the node
    /// serves it itself, for Erlang nodes too; a node that does not register is reachable only
    /// through static routes.
    pub register_with_epmd: bool,
    /// The EPMD port (default 4369; `ERL_EPMD_PORT` is not read implicitly).
    pub epmd_port: u16,
    /// A hidden node (`erl -hidden`): connections are not announced to the rest of the cluster.
    pub hidden: bool,
    /// Node name -> address routes that skip EPMD.
    pub static_routes: Vec<(String, SocketAddr)>,
    /// Handshake timeout and the flags required of peers.
    pub handshake: HandshakeOptions,
    /// net_ticktime, frame limits and queue sizes of each connection.
    pub connection: ConnectionOptions,
    /// Distribution over TLS 1.3 (`None`: plain TCP). Both ends must agree: a TLS node and a
    /// plain one refuse each other with a clear error (ergo-rs nodes tell TLS apart through
    /// their EPMD entry's extra field; an Erlang `inet_tls` node must be configured as such).
    pub tls: Option<super::TlsOptions>,
    /// Compression of large messages to other ergo-rs nodes (`None`, the default: off). Erlang
    /// peers never get compressed messages. Processes can choose otherwise
    /// ([`crate::Node::set_process_compression`]).
    pub compression: Option<crate::dist::Compression>,
    /// Proxy routes to other nodes, and whether this node relays tunnels for others (see
    /// [`crate::net::ProxyOptions`]).
    pub proxy: super::ProxyOptions,
}

impl Default for DistOptions {
    fn default() -> DistOptions {
        DistOptions {
            listen_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            listen_port: 0,
            register_with_epmd: true,
            epmd_port: crate::epmd::DEFAULT_EPMD_PORT,
            hidden: false,
            static_routes: Vec::new(),
            handshake: HandshakeOptions::default(),
            connection: ConnectionOptions::default(),
            tls: None,
            compression: None,
            proxy: super::ProxyOptions::default(),
        }
    }
}

impl DistOptions {
    /// A hidden node's settings.
    pub fn hidden() -> DistOptions {
        DistOptions {
            hidden: true,
            ..DistOptions::default()
        }
    }
}
