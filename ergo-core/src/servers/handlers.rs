//! Who handles a TCP server's connections: a fixed set of handler processes each connection is
//! pinned to in turn (skipping dead handlers and, while another has room, full ones), or a new
//! process per connection. Owns `Handlers` and the choice; must not touch sockets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ergo_etf::Pid;

use crate::node::{Node, SpawnError};

/// Makes the handler process of one connection (linked to the connection process, which it
/// outlives only if it traps exits).
pub type SpawnHandler = Arc<dyn Fn(&Node) -> Result<Pid, SpawnError> + Send + Sync>;

/// The processes that get a TCP server's connection events.
#[derive(Clone)]
pub enum Handlers {
    /// These processes, each new connection pinned to the next one in turn.
    RoundRobin(Vec<Pid>),
    /// A new process per connection, made by this function.
    PerConnection(SpawnHandler),
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handlers::RoundRobin(pids) => write!(f, "RoundRobin({} handlers)", pids.len()),
            Handlers::PerConnection(_) => f.write_str("PerConnection(..)"),
        }
    }
}

impl Handlers {
    /// A new process per connection, made by `spawn`.
    pub fn per_connection(
        spawn: impl Fn(&Node) -> Result<Pid, SpawnError> + Send + Sync + 'static,
    ) -> Handlers {
        Handlers::PerConnection(Arc::new(spawn))
    }
}

/// The round-robin position over a server's handlers.
pub(crate) struct Picker {
    handlers: Handlers,
    next: AtomicUsize,
}

/// The handler a connection got.
pub(crate) struct Picked {
    pub(crate) pid: Pid,
    /// True when it was made for this connection (and is linked to it).
    pub(crate) own: bool,
}

impl Picker {
    pub(crate) fn new(handlers: Handlers) -> Result<Picker, String> {
        if let Handlers::RoundRobin(pids) = &handlers {
            if pids.is_empty() {
                return Err("at least one handler is needed".into());
            }
        }
        Ok(Picker {
            handlers,
            next: AtomicUsize::new(0),
        })
    }

    /// The next live handler with room in its mailbox; if all live ones are full, the next
    /// live one (the connection then waits for room); `None` when none lives.
    pub(crate) fn pick(&self, node: &Node) -> Result<Picked, String> {
        let pids = match &self.handlers {
            Handlers::PerConnection(spawn) => {
                return spawn(node)
                    .map(|pid| Picked { pid, own: true })
                    .map_err(|e| e.to_string())
            }
            Handlers::RoundRobin(pids) => pids,
        };
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut live = None;
        for k in 0..pids.len() {
            let pid = &pids[(start + k) % pids.len()];
            if !node.is_local(pid) {
                return Ok(Picked {
                    pid: pid.clone(),
                    own: false,
                });
            }
            let Some(entry) = node.entry(pid) else {
                continue;
            };
            if !entry.mailbox.is_full() {
                return Ok(Picked {
                    pid: pid.clone(),
                    own: false,
                });
            }
            live.get_or_insert_with(|| pid.clone());
        }
        live.map(|pid| Picked { pid, own: false })
            .ok_or_else(|| "no handler process is alive".to_string())
    }
}
