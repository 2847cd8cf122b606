//! The EPMD client: ALIVE2 registration (kept open for the node's life), PORT_PLEASE2 and NAMES.
//!
//! Owns the client side of the EPMD socket only; it must not serve EPMD (see `server`) or decide
//! when to re-register (see `keeper`).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::protocol::{self, NodeEntry};
use super::EpmdError;

/// The default EPMD port.
pub const DEFAULT_EPMD_PORT: u16 = 4369;

/// How long one EPMD request may take before it fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A client for one EPMD (host and port).
#[derive(Clone, Debug)]
pub struct EpmdClient {
    host: String,
    port: u16,
}

/// A live registration: dropping it closes the socket, which unregisters the node.
#[derive(Debug)]
pub struct EpmdRegistration {
    stream: TcpStream,
    creation: u32,
}

impl EpmdRegistration {
    /// The creation EPMD assigned to this incarnation of the node.
    pub fn creation(&self) -> u32 {
        self.creation
    }

    /// Resolves when EPMD closes the registration socket (EPMD died or restarted).
    pub async fn closed(&mut self) {
        let mut buf = [0u8; 64];
        loop {
            match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    }
}

async fn timed<T>(
    fut: impl std::future::Future<Output = Result<T, EpmdError>>,
) -> Result<T, EpmdError> {
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .map_err(|_| EpmdError::Timeout)?
}

impl EpmdClient {
    /// A client for EPMD at `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> EpmdClient {
        EpmdClient {
            host: host.into(),
            port,
        }
    }

    /// A client for the local EPMD on `port` (127.0.0.1).
    pub fn local(port: u16) -> EpmdClient {
        EpmdClient::new("127.0.0.1", port)
    }

    /// The host this client asks.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port this client asks.
    pub fn port(&self) -> u16 {
        self.port
    }

    async fn connect(&self) -> Result<TcpStream, EpmdError> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(EpmdError::Connect)?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    /// Registers a node (ALIVE2) and keeps the socket open; returns the registration.
    pub async fn register(&self, entry: &NodeEntry) -> Result<EpmdRegistration, EpmdError> {
        timed(async {
            let mut stream = self.connect().await?;
            let req = protocol::with_length_prefix(&protocol::encode_alive2_req(entry)?)?;
            stream.write_all(&req).await.map_err(EpmdError::Io)?;
            let mut head = [0u8; 2];
            stream.read_exact(&mut head).await.map_err(EpmdError::Io)?;
            let rest_len = match head[0] {
                protocol::ALIVE2_X_RESP => 4,
                protocol::ALIVE2_RESP => 2,
                other => return Err(protocol::EpmdProtocolError::UnexpectedTag(other).into()),
            };
            let mut rest = [0u8; 4];
            let rest = rest.get_mut(..rest_len).ok_or(EpmdError::Closed)?;
            stream.read_exact(rest).await.map_err(EpmdError::Io)?;
            let mut whole = head.to_vec();
            whole.extend_from_slice(rest);
            let (result, creation) = protocol::parse_alive2_resp(&whole)?;
            if result != 0 {
                tracing::warn!(name = %entry.name, result, "EPMD refused the registration");
                return Err(EpmdError::Refused(result));
            }
            tracing::debug!(name = %entry.name, port = entry.port, creation, "registered in EPMD");
            Ok(EpmdRegistration { stream, creation })
        })
        .await
    }

    /// Looks a node's short name up (PORT_PLEASE2); `Ok(None)` if it is not registered.
    pub async fn port_please(&self, name: &str) -> Result<Option<NodeEntry>, EpmdError> {
        timed(async {
            let mut stream = self.connect().await?;
            let req = protocol::with_length_prefix(&protocol::encode_port_please2_req(name))?;
            stream.write_all(&req).await.map_err(EpmdError::Io)?;
            let mut reply = Vec::new();
            // EPMD closes the socket after the reply; cap what we accept.
            (&mut stream)
                .take(70_000)
                .read_to_end(&mut reply)
                .await
                .map_err(EpmdError::Io)?;
            Ok(protocol::parse_port2_resp(&reply)?)
        })
        .await
    }

    /// Lists the registered nodes (NAMES): `(name, port)` pairs.
    pub async fn names(&self) -> Result<Vec<(String, u16)>, EpmdError> {
        timed(async {
            let mut stream = self.connect().await?;
            stream
                .write_all(&protocol::with_length_prefix(&[protocol::NAMES_REQ])?)
                .await
                .map_err(EpmdError::Io)?;
            let mut reply = Vec::new();
            (&mut stream)
                .take(1 << 20)
                .read_to_end(&mut reply)
                .await
                .map_err(EpmdError::Io)?;
            let text = reply
                .get(4..)
                .ok_or(protocol::EpmdProtocolError::Truncated)?;
            Ok(protocol::parse_names_lines(&String::from_utf8_lossy(text)))
        })
        .await
    }

    /// Whether something accepts TCP connections on this EPMD's address.
    pub async fn is_reachable(&self) -> bool {
        matches!(
            tokio::time::timeout(
                Duration::from_secs(1),
                TcpStream::connect((self.host.as_str(), self.port))
            )
            .await,
            Ok(Ok(_))
        )
    }
}

/// Parses `host:port` into a socket address (for static routes).
pub fn parse_socket_addr(text: &str) -> Option<SocketAddr> {
    text.parse().ok()
}
