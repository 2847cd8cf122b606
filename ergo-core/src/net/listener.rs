//! Getting a node onto the network before it exists: bind the distribution listener, register
//! with EPMD (serving EPMD when nothing does) to learn the creation; and, once the node
//! exists, the accept loop that hands each incoming socket to the handshake and then to the
//! connection manager. Owns the listening socket; must not route messages.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::manager::NetManager;
use super::tls::Tls;
use super::transport;
use super::{DistOptions, NetError};
use crate::epmd::routes::split_node_name;
use crate::epmd::{EpmdError, EpmdKeeper, NodeEntry};

/// The socket and registration made before the node is built.
pub(crate) struct Bound {
    pub listener: TcpListener,
    pub port: u16,
    pub keeper: Option<EpmdKeeper>,
    /// The creation EPMD gave, when registered.
    pub creation: Option<u32>,
    /// The TLS configuration, when the node uses TLS.
    pub tls: Option<Tls>,
}

/// How long the first EPMD registration may take (serving EPMD ourselves included).
const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the listener and registers `name` (`short@host`) with EPMD if asked.
pub(crate) async fn bind(name: &str, options: &DistOptions) -> Result<Bound, NetError> {
    let (short, host) =
        split_node_name(name).map_err(|_| NetError::InvalidNode(name.to_string()))?;
    let tls = match &options.tls {
        Some(tls) => Some(Tls::new(tls, host)?),
        None => None,
    };
    let address = SocketAddr::new(options.listen_address, options.listen_port);
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| NetError::Listen { address, source })?;
    let port = listener
        .local_addr()
        .map_err(|source| NetError::Listen { address, source })?
        .port();
    let (keeper, creation) = if options.register_with_epmd {
        let mut entry = NodeEntry::new(short, port, options.hidden);
        entry.extra = transport::extra(tls.is_some());
        let mut keeper = EpmdKeeper::start(options.epmd_port, entry);
        match keeper.wait_registered(REGISTER_TIMEOUT).await {
            Ok(creation) => (Some(keeper), Some(creation)),
            Err(EpmdError::Refused(_)) => {
                return Err(NetError::NameInUse {
                    name: short.to_string(),
                })
            }
            Err(err) => return Err(NetError::Epmd(err)),
        }
    } else {
        (None, None)
    };
    tracing::info!(node = name, port, "distribution listening");
    Ok(Bound {
        listener,
        port,
        keeper,
        creation,
        tls,
    })
}

/// Accepts connections until the node stops (the task is aborted).
pub(crate) async fn accept_loop(manager: Arc<NetManager>, listener: TcpListener) {
    let mut backoff = Duration::from_millis(10);
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(accepted) => {
                backoff = Duration::from_millis(10);
                accepted
            }
            Err(err) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let manager = Arc::clone(&manager);
        tokio::spawn(async move {
            match transport::accept(&manager.endpoint(), stream).await {
                Ok(connection) => manager.install(connection),
                Err(err) => {
                    manager.handshake_failed(&err);
                    // One line per refused connection, rate-limited per peer address.
                    if let Some(repeated) = manager.refused_incoming.occur(&addr.ip()) {
                        tracing::warn!(%addr, %err, repeated, "incoming connection refused");
                    }
                }
            }
        });
    }
}
