//! The TCP server: options, the acceptor process (it owns the listener, spawns one connection
//! process per accepted socket, linked to itself, and stops them all when it stops), and the
//! connection process (TLS handshake, framing, events to its handler with back-pressure, the
//! handler's writes, idle timeout). Must not interpret the frames.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ergo_etf::{Pid, Term};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{FramedRead, FramedWrite};

use super::deliver::{deliver, Undelivered};
use super::framing::{FrameCodec, FrameError, Framing};
use super::handlers::{Handlers, Picker};
use super::stream::Acceptor;
use super::{ServerError, TcpCommand, TcpEvent};
use crate::node::{Context, Node, SpawnOptions};
use crate::process::{Envelope, ExitSignal};

/// How a TCP server listens and frames.
#[derive(Clone, Debug)]
pub struct TcpServerOptions {
    /// The address to listen on (default all IPv4 interfaces, `0.0.0.0`): honoured as given.
    pub host: IpAddr,
    /// The port (0: any free port, see [`TcpServer::local_addr`]).
    pub port: u16,
    /// How the byte stream is cut into frames (default lines).
    pub framing: Framing,
    /// The largest frame read or written (default 64 KiB); a longer one read closes the
    /// connection with `{frame_error, Text}`, logged.
    pub max_frame: usize,
    /// Who gets the connections' events.
    pub handlers: Handlers,
    /// TCP keepalive: idle time before the first probe (default off).
    pub keepalive: Option<Duration>,
    /// Close a connection after this long with nothing read or written (default never).
    pub idle_timeout: Option<Duration>,
    /// TLS on every connection, with distribution's certificate options (default none).
    #[cfg(feature = "tls")]
    pub tls: Option<crate::net::TlsOptions>,
    /// Link the server process to this pid (its owner): the server stops when it exits.
    pub link: Option<Pid>,
}

impl TcpServerOptions {
    /// A line server on `port` of all interfaces, served by `handlers`.
    pub fn new(port: u16, handlers: Handlers) -> TcpServerOptions {
        TcpServerOptions {
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port,
            framing: Framing::Lines,
            max_frame: 64 * 1024,
            handlers,
            keepalive: None,
            idle_timeout: None,
            #[cfg(feature = "tls")]
            tls: None,
            link: None,
        }
    }
}

/// A running TCP server.
#[derive(Clone, Debug)]
pub struct TcpServer {
    pid: Pid,
    local_addr: SocketAddr,
}

impl TcpServer {
    /// The server's process (exit it to stop the server and close every connection).
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// The address it listens on (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server: the listener closes, and every connection with it.
    pub fn stop(&self, node: &Node) {
        node.send_exit(&self.pid, Term::atom("shutdown"));
    }
}

/// What every connection of one server shares.
struct Shared {
    picker: Picker,
    acceptor: Acceptor,
    framing: Framing,
    max_frame: usize,
    keepalive: Option<Duration>,
    idle_timeout: Option<Duration>,
}

fn tls_host(host: IpAddr) -> String {
    if host.is_unspecified() || host.is_loopback() {
        "localhost".into()
    } else {
        host.to_string()
    }
}

impl Node {
    /// Starts a TCP server: binds `options.host:options.port` (an error if it cannot), then
    /// serves each connection in a process of its own whose events go to `options.handlers`.
    pub async fn start_tcp_server(
        &self,
        options: TcpServerOptions,
    ) -> Result<TcpServer, ServerError> {
        FrameCodec::new(options.framing, options.max_frame).map_err(ServerError::InvalidOptions)?;
        let picker = Picker::new(options.handlers.clone()).map_err(ServerError::InvalidOptions)?;
        #[cfg(feature = "tls")]
        let acceptor = Acceptor::new(options.tls.as_ref(), &tls_host(options.host), &[])?;
        #[cfg(not(feature = "tls"))]
        let acceptor = {
            let _ = tls_host;
            Acceptor::Plain
        };
        let address = SocketAddr::new(options.host, options.port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| ServerError::Bind { address, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { address, source })?;
        let shared = Arc::new(Shared {
            picker,
            acceptor,
            framing: options.framing,
            max_frame: options.max_frame,
            keepalive: options.keepalive,
            idle_timeout: options.idle_timeout,
        });
        let parent = options.link.clone();
        let spawn = SpawnOptions {
            trap_exit: true,
            link: options.link,
            ..SpawnOptions::default()
        };
        let pid = self.spawn_behaviour("tcp_server", spawn, move |ctx| {
            accept_loop(ctx, listener, shared, parent)
        })?;
        tracing::info!(%local_addr, "TCP server listening");
        Ok(TcpServer { pid, local_addr })
    }
}

async fn accept_loop(
    mut ctx: Context,
    listener: TcpListener,
    shared: Arc<Shared>,
    parent: Option<Pid>,
) -> Term {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let shared = Arc::clone(&shared);
                    let spawn = SpawnOptions {
                        link: Some(ctx.pid().clone()),
                        ..SpawnOptions::default()
                    };
                    if let Err(error) = ctx.node().spawn_behaviour("tcp_connection", spawn, move |ctx| {
                        connection(ctx, tcp, peer, shared)
                    }) {
                        tracing::error!(%error, %peer, "TCP connection process not spawned");
                    }
                }
                Err(error) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!(%error, "TCP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            envelope = ctx.recv() => match envelope {
                Err(reason) => return reason,
                Ok(Envelope::Exit(exit)) => {
                    let ExitSignal { from, reason, .. } = *exit;
                    if parent.as_ref() == Some(&from) || from == *ctx.pid() || reason.is_atom("shutdown") {
                        return reason;
                    }
                    // A connection ended; it logged why.
                }
                Ok(other) => tracing::warn!(message = ?other, "TCP server: unexpected message dropped"),
            },
        }
    }
}

fn reason_text(tag: &str, text: impl ToString) -> Term {
    Term::tuple(vec![
        Term::atom(tag),
        Term::binary(text.to_string().into_bytes()),
    ])
}

async fn connection(
    mut ctx: Context,
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
) -> Term {
    let node = ctx.node().clone();
    let me = ctx.pid().clone();
    let stream = match shared.acceptor.accept(tcp, shared.keepalive).await {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%peer, %error, "TCP connection refused (TLS handshake or socket option)");
            return Term::atom("normal");
        }
    };
    let handler = match shared.picker.pick(&node) {
        Ok(picked) => {
            if picked.own {
                ctx.link(&picked.pid);
            }
            picked.pid
        }
        Err(error) => {
            tracing::error!(%peer, %error, "TCP connection closed: no handler");
            return Term::atom("normal");
        }
    };
    let (codec_in, codec_out) = match (
        FrameCodec::new(shared.framing, shared.max_frame),
        FrameCodec::new(shared.framing, shared.max_frame),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Term::atom("normal"), // checked at start
    };
    let (read, write) = tokio::io::split(stream);
    let mut reader = FramedRead::new(read, codec_in);
    let mut writer = FramedWrite::new(write, codec_out);
    if deliver(
        &node,
        &handler,
        TcpEvent::Connected {
            conn: me.clone(),
            peer,
        },
    )
    .await
    .is_err()
    {
        tracing::warn!(%peer, "TCP connection closed: its handler is gone");
        return Term::atom("normal");
    }
    let mut last = Instant::now();
    let far = Duration::from_secs(365 * 24 * 3600);
    let reason = loop {
        let idle_at = tokio::time::Instant::from_std(last + shared.idle_timeout.unwrap_or(far));
        tokio::select! {
            envelope = ctx.recv() => match envelope {
                Err(reason) => return reason,
                Ok(Envelope::Message(message)) => match message.take::<TcpCommand>() {
                    Ok(TcpCommand::Write(data)) => {
                        last = Instant::now();
                        if let Some(reason) = write_frame(&mut writer, data, &peer).await {
                            break reason;
                        }
                    }
                    Ok(TcpCommand::Close) => break Term::atom("closed_by_handler"),
                    Err(bad) => tracing::warn!(%peer, message = %bad.term, "TCP connection: not a command, dropped"),
                },
                Ok(other) => tracing::warn!(%peer, message = ?other, "TCP connection: unexpected message dropped"),
            },
            frame = reader.next() => match frame {
                Some(Ok(data)) => {
                    last = Instant::now();
                    match deliver(&node, &handler, TcpEvent::Data { conn: me.clone(), data }).await {
                        Ok(()) => {}
                        Err(Undelivered::Gone | Undelivered::Full) => break Term::atom("handler_down"),
                    }
                }
                None => break Term::atom("closed"),
                Some(Err(error)) => {
                    let reason = match &error {
                        FrameError::Io(_) => reason_text("socket_error", &error),
                        _ => reason_text("frame_error", &error),
                    };
                    tracing::warn!(%peer, %error, "TCP connection closed");
                    break reason;
                }
            },
            _ = tokio::time::sleep_until(idle_at), if shared.idle_timeout.is_some() => {
                tracing::debug!(%peer, "TCP connection idle: closed");
                break Term::atom("idle_timeout");
            }
        }
    };
    let _ = writer.close().await;
    let _ = deliver(&node, &handler, TcpEvent::Disconnected { conn: me, reason }).await;
    Term::atom("normal")
}

/// Writes one frame; `Some(reason)` when the connection must close.
async fn write_frame<W>(
    writer: &mut FramedWrite<W, FrameCodec>,
    data: Bytes,
    peer: &SocketAddr,
) -> Option<Term>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    match writer.send(data).await {
        Ok(()) => None,
        Err(error @ (FrameError::WrongLength { .. } | FrameError::TooLarge { .. })) => {
            // The handler's mistake: the frame is not written, the connection stays.
            tracing::error!(%peer, %error, "TCP connection: frame not written");
            None
        }
        Err(error) => {
            tracing::warn!(%peer, %error, "TCP connection: write failed");
            Some(reason_text("socket_error", &error))
        }
    }
}
