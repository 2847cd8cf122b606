//! How bytes reach a peer: plain TCP or TLS 1.3 over it, for dialed and accepted sockets, and
//! the EPMD marker that lets ergo-rs nodes refuse a transport mismatch at once (a TLS client
//! talking to a plain listener would otherwise wait for the handshake timeout).
//!
//! Owns dialing, accepting and the marker; the handshake and the connection are `dist/`'s and
//! run unchanged over either stream.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::tls::Tls;
use crate::dist::handshake::{self, ConnectionArbiter, HandshakeOptions, LengthPrefix, LocalNode};
use crate::dist::{ConnectionOptions, DistConnection, HandshakeError};
use crate::epmd::routes::split_node_name;
use crate::epmd::{NodeEntry, Resolver};

/// The EPMD `extra` field of an ergo-rs node using TLS.
pub(crate) const EXTRA_TLS: &[u8] = b"ergo:tls";
/// The EPMD `extra` field of an ergo-rs node using plain TCP.
pub(crate) const EXTRA_TCP: &[u8] = b"ergo:tcp";

/// The `extra` field this node registers.
pub(crate) fn extra(tls: bool) -> Vec<u8> {
    if tls { EXTRA_TLS } else { EXTRA_TCP }.to_vec()
}

/// Refuses a peer whose EPMD entry says it uses the other transport. Entries without our marker
/// (Erlang nodes, static routes) are tried as configured.
fn check(entry: Option<&NodeEntry>, tls: bool, node: &str) -> Result<(), HandshakeError> {
    match entry.map(|e| e.extra.as_slice()) {
        Some(EXTRA_TLS) if !tls => Err(HandshakeError::Transport(format!(
            "{node} uses TLS distribution and this node does not"
        ))),
        Some(EXTRA_TCP) if tls => Err(HandshakeError::Transport(format!(
            "{node} uses plain TCP distribution and this node uses TLS"
        ))),
        _ => Ok(()),
    }
}

/// Everything a dial or an accept needs.
pub(crate) struct Endpoint<'a> {
    pub local: &'a LocalNode,
    pub cookie: &'a str,
    pub arbiter: &'a dyn ConnectionArbiter,
    pub tls: Option<&'a Tls>,
    pub handshake: &'a HandshakeOptions,
    pub connection: &'a ConnectionOptions,
}

/// The handshake settings under TLS: Erlang's `inet_tls_dist` frames handshake messages with a
/// 4-byte length.
fn under_tls(options: &HandshakeOptions) -> HandshakeOptions {
    HandshakeOptions {
        length_prefix: LengthPrefix::Four,
        ..options.clone()
    }
}

fn tls_error(err: std::io::Error) -> HandshakeError {
    HandshakeError::Tls(err.to_string())
}

/// Handshakes as the dialing side over `stream` and starts the connection.
pub(crate) async fn initiate<S>(
    at: &Endpoint<'_>,
    stream: S,
    node: &str,
    options: &HandshakeOptions,
) -> Result<DistConnection, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cookie = at.arbiter.cookie_for(node);
    let cookie = cookie.as_deref().unwrap_or(at.cookie);
    let done =
        handshake::initiate_with(stream, at.local, node, cookie, options, at.arbiter).await?;
    Ok(DistConnection::start(done, at.connection))
}

/// Handshakes as the accepting side over `stream` and starts the connection.
async fn answer<S>(
    at: &Endpoint<'_>,
    stream: S,
    options: &HandshakeOptions,
) -> Result<DistConnection, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let done = handshake::accept(stream, at.local, at.cookie, at.arbiter, options).await?;
    Ok(DistConnection::start(done, at.connection))
}

/// Resolves `node`, dials it, wraps the socket in TLS if configured, handshakes and starts the
/// connection.
pub(crate) async fn dial(
    at: &Endpoint<'_>,
    resolver: &Resolver,
    node: &str,
) -> Result<DistConnection, HandshakeError> {
    let (addr, entry) = resolver.resolve_entry(node).await?;
    check(entry.as_ref(), at.tls.is_some(), node)?;
    let setup = at.handshake.setup_timeout;
    let tcp = tokio::time::timeout(setup, TcpStream::connect(addr))
        .await
        .map_err(|_| HandshakeError::Timeout)??;
    let _ = tcp.set_nodelay(true);
    let Some(tls) = at.tls else {
        return initiate(at, tcp, node, at.handshake).await;
    };
    let (_, host) = split_node_name(node)?;
    let stream = tokio::time::timeout(setup, tls.connect(host, tcp))
        .await
        .map_err(|_| HandshakeError::Timeout)?
        .map_err(tls_error)?;
    initiate(at, stream, node, &under_tls(at.handshake)).await
}

/// Handshakes an accepted socket (under TLS if configured) and starts the connection.
pub(crate) async fn accept(
    at: &Endpoint<'_>,
    tcp: TcpStream,
) -> Result<DistConnection, HandshakeError> {
    let _ = tcp.set_nodelay(true);
    let Some(tls) = at.tls else {
        return answer(at, tcp, at.handshake).await;
    };
    let stream = tokio::time::timeout(at.handshake.setup_timeout, tls.accept(tcp))
        .await
        .map_err(|_| HandshakeError::Timeout)?
        .map_err(tls_error)?;
    answer(at, stream, &under_tls(at.handshake)).await
}
