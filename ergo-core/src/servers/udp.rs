//! The UDP server: one process owns the socket, hands each datagram (with its sender's
//! address) to the next handler that has room, and sends the datagrams handlers give it. A
//! datagram no handler can queue is dropped, counted and logged (UDP has no flow control to
//! push back with), as is one over the maximum size. Must not interpret the datagrams.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use ergo_etf::{Pid, Term};
use tokio::net::UdpSocket;

use super::deliver::{try_deliver, Undelivered};
use super::{ServerError, UdpCommand, UdpEvent};
use crate::node::{Context, Node, SpawnOptions};
use crate::process::Envelope;

/// How a UDP server listens.
#[derive(Clone, Debug)]
pub struct UdpServerOptions {
    /// The address to bind (default all IPv4 interfaces): honoured as given.
    pub host: IpAddr,
    /// The port (0: any free port).
    pub port: u16,
    /// The handlers, in turn; a datagram goes to the next one with room in its mailbox.
    pub handlers: Vec<Pid>,
    /// The largest datagram taken (default 65,507, the most IPv4 carries); a longer one is
    /// dropped, counted and logged.
    pub max_datagram: usize,
    /// Link the server process to this pid (its owner).
    pub link: Option<Pid>,
}

impl UdpServerOptions {
    /// A server on `port` of all interfaces, served by `handlers`.
    pub fn new(port: u16, handlers: Vec<Pid>) -> UdpServerOptions {
        UdpServerOptions {
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port,
            handlers,
            max_datagram: 65_507,
            link: None,
        }
    }
}

/// A UDP server's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UdpStats {
    /// Datagrams received.
    pub received: u64,
    /// Datagrams handed to a handler.
    pub delivered: u64,
    /// Datagrams dropped because no handler could queue them (or none lives).
    pub dropped_busy: u64,
    /// Datagrams dropped for being over `max_datagram`.
    pub dropped_oversized: u64,
    /// Datagrams sent for handlers.
    pub sent: u64,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    delivered: AtomicU64,
    dropped_busy: AtomicU64,
    dropped_oversized: AtomicU64,
    sent: AtomicU64,
}

/// A running UDP server.
#[derive(Clone)]
pub struct UdpServer {
    pid: Pid,
    local_addr: SocketAddr,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for UdpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UdpServer({})", self.local_addr)
    }
}

impl UdpServer {
    /// The server's process (where [`UdpCommand`]s go; exit it to stop the server).
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The counters so far.
    pub fn stats(&self) -> UdpStats {
        let c = &self.counters;
        UdpStats {
            received: c.received.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            dropped_busy: c.dropped_busy.load(Ordering::Relaxed),
            dropped_oversized: c.dropped_oversized.load(Ordering::Relaxed),
            sent: c.sent.load(Ordering::Relaxed),
        }
    }

    /// Stops the server and closes its socket.
    pub fn stop(&self, node: &Node) {
        node.send_exit(&self.pid, Term::atom("shutdown"));
    }
}

impl Node {
    /// Starts a UDP server bound to `options.host:options.port`.
    pub async fn start_udp_server(
        &self,
        options: UdpServerOptions,
    ) -> Result<UdpServer, ServerError> {
        if options.handlers.is_empty() {
            return Err(ServerError::InvalidOptions(
                "at least one handler is needed".into(),
            ));
        }
        if options.max_datagram == 0 {
            return Err(ServerError::InvalidOptions(
                "max_datagram must be at least 1".into(),
            ));
        }
        let address = SocketAddr::new(options.host, options.port);
        let socket = UdpSocket::bind(address)
            .await
            .map_err(|source| ServerError::Bind { address, source })?;
        let local_addr = socket
            .local_addr()
            .map_err(|source| ServerError::Bind { address, source })?;
        let counters = Arc::new(Counters::default());
        let shared = Arc::clone(&counters);
        let spawn = SpawnOptions {
            link: options.link.clone(),
            ..SpawnOptions::default()
        };
        let pid = self.spawn_behaviour("udp_server", spawn, move |ctx| {
            serve(ctx, socket, options.handlers, options.max_datagram, shared)
        })?;
        tracing::info!(%local_addr, "UDP server listening");
        Ok(UdpServer {
            pid,
            local_addr,
            counters,
        })
    }
}

async fn serve(
    mut ctx: Context,
    socket: UdpSocket,
    handlers: Vec<Pid>,
    max: usize,
    counters: Arc<Counters>,
) -> Term {
    let node = ctx.node().clone();
    let me = ctx.pid().clone();
    // One byte more than the maximum, to see a datagram that is too long.
    let mut buf = vec![0u8; max + 1];
    let mut next = 0usize;
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((len, peer)) => {
                    counters.received.fetch_add(1, Ordering::Relaxed);
                    if len > max {
                        let n = counters.dropped_oversized.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::warn!(%peer, max, dropped = n, "UDP datagram over the maximum: dropped");
                        continue;
                    }
                    let data = Bytes::copy_from_slice(&buf[..len]);
                    let mut delivered = false;
                    for k in 0..handlers.len() {
                        let handler = &handlers[(next + k) % handlers.len()];
                        let event = UdpEvent { server: me.clone(), peer, data: data.clone() };
                        match try_deliver(&node, handler, event) {
                            Ok(()) => {
                                next = (next + k + 1) % handlers.len();
                                delivered = true;
                                break;
                            }
                            Err(Undelivered::Full | Undelivered::Gone) => {}
                        }
                    }
                    if delivered {
                        counters.delivered.fetch_add(1, Ordering::Relaxed);
                    } else {
                        let n = counters.dropped_busy.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::warn!(%peer, dropped = n, "UDP datagram dropped: no handler could queue it");
                    }
                }
                Err(error) => {
                    // ICMP errors of earlier sends surface here on some systems: not fatal.
                    tracing::debug!(%error, "UDP receive failed");
                }
            },
            envelope = ctx.recv() => match envelope {
                Err(reason) => return reason,
                Ok(Envelope::Message(message)) => match message.take::<UdpCommand>() {
                    Ok(UdpCommand { to, data }) => match socket.send_to(&data, to).await {
                        Ok(_) => {
                            counters.sent.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => tracing::warn!(%to, %error, "UDP send failed"),
                    },
                    Err(bad) => tracing::warn!(message = %bad.term, "UDP server: not a command, dropped"),
                },
                Ok(other) => tracing::warn!(message = ?other, "UDP server: unexpected message dropped"),
            },
        }
    }
}
