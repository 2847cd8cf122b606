//! The embedded EPMD server: serves ALIVE2, PORT_PLEASE2 and NAMES for any node (ours or a real
//! Erlang node) when nothing else listens on the EPMD port.
//!
//! Owns the listening socket and the table of registered names; a registration lives as long
//! as its ALIVE2 socket. It must not register our own node (see `keeper`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::protocol::{self, NodeEntry};
use super::EpmdError;

/// The largest request the server reads (a u16 length cannot say more anyway).
const MAX_REQUEST: usize = u16::MAX as usize;

#[derive(Default)]
struct Registry {
    nodes: HashMap<String, (NodeEntry, u64)>,
    next_creation: u32,
    next_id: u64,
}

/// A running embedded EPMD; dropping it stops serving (registrations are lost, as when a real
/// EPMD dies).
pub struct EpmdServer {
    local_addr: SocketAddr,
    registry: Arc<Mutex<Registry>>,
    accept_task: JoinHandle<()>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for EpmdServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpmdServer")
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

impl Drop for EpmdServer {
    fn drop(&mut self) {
        self.accept_task.abort();
        // Close every registration socket, as a dying EPMD does.
        let _ = self.shutdown.send(true);
    }
}

impl EpmdServer {
    /// Binds `addr` (e.g. `0.0.0.0:4369`) and starts serving; fails if the port is taken.
    pub async fn bind(addr: SocketAddr) -> Result<EpmdServer, EpmdError> {
        let listener = TcpListener::bind(addr).await.map_err(EpmdError::Bind)?;
        let local_addr = listener.local_addr().map_err(EpmdError::Bind)?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(1);
        let registry = Arc::new(Mutex::new(Registry {
            next_creation: (seed % 0x7fff_0000).max(1),
            ..Registry::default()
        }));
        let reg = registry.clone();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept_task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        let reg = reg.clone();
                        let stop = shutdown_rx.clone();
                        tokio::spawn(async move {
                            if let Err(err) = serve_one(stream, reg, stop).await {
                                tracing::debug!(%peer, %err, "EPMD request failed");
                            }
                        });
                    }
                    Err(err) => {
                        tracing::warn!(%err, "EPMD accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
        tracing::info!(%local_addr, "serving EPMD");
        Ok(EpmdServer {
            local_addr,
            registry,
            accept_task,
            shutdown,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The names registered right now.
    pub fn registered(&self) -> Vec<(String, u16)> {
        match self.registry.lock() {
            Ok(reg) => reg
                .nodes
                .values()
                .map(|(e, _)| (e.name.clone(), e.port))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

async fn serve_one(
    mut stream: TcpStream,
    registry: Arc<Mutex<Registry>>,
    stop: watch::Receiver<bool>,
) -> Result<(), EpmdError> {
    let mut len = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut len))
        .await
        .map_err(|_| EpmdError::Timeout)?
        .map_err(EpmdError::Io)?;
    let len = usize::from(u16::from_be_bytes(len)).min(MAX_REQUEST);
    let mut body = vec![0u8; len];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut body))
        .await
        .map_err(|_| EpmdError::Timeout)?
        .map_err(EpmdError::Io)?;
    match body.first().copied() {
        Some(protocol::ALIVE2_REQ) => serve_alive2(stream, &body, registry, stop).await,
        Some(protocol::PORT_PLEASE2_REQ) => {
            let name = String::from_utf8_lossy(body.get(1..).unwrap_or_default()).to_string();
            let found = registry
                .lock()
                .ok()
                .and_then(|reg| reg.nodes.get(&name).map(|(e, _)| e.clone()));
            let reply = match found {
                Some(entry) => protocol::encode_port2_resp(&entry)?,
                None => vec![protocol::PORT2_RESP, 1],
            };
            stream.write_all(&reply).await.map_err(EpmdError::Io)
        }
        Some(protocol::NAMES_REQ) => {
            let port = u32::from(stream.local_addr().map(|a| a.port()).unwrap_or(0));
            let mut entries: Vec<(String, u16)> = match registry.lock() {
                Ok(reg) => reg
                    .nodes
                    .values()
                    .map(|(e, _)| (e.name.clone(), e.port))
                    .collect(),
                Err(_) => Vec::new(),
            };
            entries.sort();
            let mut reply = port.to_be_bytes().to_vec();
            reply.extend_from_slice(protocol::encode_names_lines(&entries).as_bytes());
            stream.write_all(&reply).await.map_err(EpmdError::Io)
        }
        Some(other) => Err(protocol::EpmdProtocolError::UnexpectedTag(other).into()),
        None => Err(protocol::EpmdProtocolError::Truncated.into()),
    }
}

async fn serve_alive2(
    mut stream: TcpStream,
    body: &[u8],
    registry: Arc<Mutex<Registry>>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), EpmdError> {
    let entry = protocol::parse_alive2_req(body)?;
    let name = entry.name.clone();
    let registered = {
        let mut reg = registry.lock().map_err(|_| EpmdError::Closed)?;
        if reg.nodes.contains_key(&name) {
            None
        } else {
            reg.next_id += 1;
            let id = reg.next_id;
            reg.next_creation = reg.next_creation.wrapping_add(1).max(1);
            let creation = reg.next_creation;
            reg.nodes.insert(name.clone(), (entry, id));
            Some((id, creation))
        }
    };
    let Some((id, creation)) = registered else {
        tracing::info!(%name, "EPMD: name already registered");
        return stream
            .write_all(&protocol::encode_alive2_x_resp(1, 0))
            .await
            .map_err(EpmdError::Io);
    };
    tracing::debug!(%name, creation, "EPMD: registered");
    let wrote = stream
        .write_all(&protocol::encode_alive2_x_resp(0, creation))
        .await;
    if wrote.is_ok() {
        // The registration lives until the node closes its socket.
        let mut buf = [0u8; 256];
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                },
                _ = stop.changed() => break,
            }
        }
    }
    if let Ok(mut reg) = registry.lock() {
        if reg.nodes.get(&name).map(|(_, i)| *i) == Some(id) {
            reg.nodes.remove(&name);
        }
    }
    tracing::debug!(%name, "EPMD: unregistered");
    wrote.map_err(EpmdError::Io)
}
