//! Keeping a node registered for its whole life: register with EPMD; when the registration
//! socket closes, register again, and if nothing listens on the EPMD port any more, serve EPMD
//! ourselves (embedded server) and register with that.
//!
//! Owns the retry loop and the embedded server it may start; it must not touch distribution.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{EpmdClient, EpmdError, EpmdServer, NodeEntry};

/// Where the keeper stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeeperState {
    /// Not registered yet (or lost and retrying).
    Unregistered,
    /// Registered with this creation; `serving` says whether our embedded EPMD serves the port.
    Registered {
        /// The creation EPMD assigned.
        creation: u32,
        /// Whether this keeper's embedded EPMD is the one serving the port.
        serving: bool,
    },
    /// EPMD refused the first registration with this result code (the name is in use); the
    /// keeper has stopped.
    Refused(u8),
}

/// Keeps one node registered; dropping it unregisters (and stops an embedded EPMD it started).
pub struct EpmdKeeper {
    state: watch::Receiver<KeeperState>,
    task: JoinHandle<()>,
}

impl Drop for EpmdKeeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EpmdKeeper {
    /// Starts keeping `entry` registered with the local EPMD on `epmd_port`.
    pub fn start(epmd_port: u16, entry: NodeEntry) -> EpmdKeeper {
        let (tx, rx) = watch::channel(KeeperState::Unregistered);
        let task = tokio::spawn(keep(epmd_port, entry, tx));
        EpmdKeeper { state: rx, task }
    }

    /// The current state.
    pub fn state(&self) -> KeeperState {
        self.state.borrow().clone()
    }

    /// Waits until registered (or `timeout` passes) and returns the creation.
    pub async fn wait_registered(&mut self, timeout: Duration) -> Result<u32, EpmdError> {
        let wait = self
            .state
            .wait_for(|s| matches!(s, KeeperState::Registered { .. } | KeeperState::Refused(_)));
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(state)) => match &*state {
                KeeperState::Registered { creation, .. } => Ok(*creation),
                KeeperState::Refused(code) => Err(EpmdError::Refused(*code)),
                KeeperState::Unregistered => Err(EpmdError::Closed),
            },
            Ok(Err(_)) => Err(EpmdError::Closed),
            Err(_) => Err(EpmdError::Timeout),
        }
    }

    /// Waits for the next state change (or `timeout`).
    pub async fn changed(&mut self, timeout: Duration) -> Result<KeeperState, EpmdError> {
        match tokio::time::timeout(timeout, self.state.changed()).await {
            Ok(Ok(())) => Ok(self.state()),
            Ok(Err(_)) => Err(EpmdError::Closed),
            Err(_) => Err(EpmdError::Timeout),
        }
    }
}

async fn keep(epmd_port: u16, entry: NodeEntry, state: watch::Sender<KeeperState>) {
    let client = EpmdClient::local(epmd_port);
    let mut server: Option<EpmdServer> = None;
    let mut backoff = Duration::from_millis(50);
    let mut registered_once = false;
    loop {
        match client.register(&entry).await {
            Ok(mut registration) => {
                registered_once = true;
                backoff = Duration::from_millis(50);
                let _ = state.send(KeeperState::Registered {
                    creation: registration.creation(),
                    serving: server.is_some(),
                });
                registration.closed().await;
                tracing::warn!(name = %entry.name, "EPMD registration lost; re-registering");
                let _ = state.send(KeeperState::Unregistered);
            }
            Err(EpmdError::Connect(err)) if server.is_none() => {
                let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, epmd_port));
                match EpmdServer::bind(addr).await {
                    Ok(s) => {
                        tracing::info!(
                            port = epmd_port,
                            "nothing served EPMD; serving it ourselves"
                        );
                        server = Some(s);
                        continue;
                    }
                    Err(bind_err) => {
                        tracing::debug!(%err, %bind_err, "EPMD neither reachable nor bindable");
                    }
                }
            }
            Err(EpmdError::Refused(code)) if !registered_once => {
                let _ = state.send(KeeperState::Refused(code));
                return;
            }
            Err(err) => tracing::warn!(name = %entry.name, %err, "EPMD registration failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}
