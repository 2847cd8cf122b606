//! Spawning on another node (`spawn_request/5` from our side): the SPAWN_REQUEST a local process
//! sends, the requests waiting for their SPAWN_REPLY, and what the reply sets up locally (the
//! link, and the monitor whose reference is the request id, so the process later receives
//! `{'DOWN', ReqId, process, Pid, Reason}` as an Erlang caller does). A reply that finds its
//! process gone undoes the link and monitor on the peer; a lost connection fails the waiting
//! requests with `noconnection`.
//!
//! Owns the pending-request table and the `spawn_request` API; must not manage connections.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ergo_etf::{Atom, Pid, Reference, Term};
use tokio::sync::oneshot;

use super::{NetError, NetManager};
use crate::dist::{ControlMessage, DistFlags, SpawnRequestFields};
use crate::node::Context;
use crate::node::{MonitorTarget, Node, RemoteSignal};

const FLAG_LINK: u8 = 1;
const FLAG_MONITOR: u8 = 2;

/// The options of a [`Node::spawn_request`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoteSpawnOptions {
    /// How long to wait for the peer's reply (connecting included); `None` takes the node's
    /// default call timeout.
    pub timeout: Option<Duration>,
    /// Link the requesting process and the new one (`link`).
    pub link: bool,
    /// Monitor the new process from the requesting one (`monitor`); the monitor reference is
    /// [`RemoteSpawned::monitor`].
    pub monitor: bool,
}

/// A process started on another node.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteSpawned {
    /// Its pid.
    pub pid: Pid,
    /// The monitor's reference (the request id), when `monitor` was asked for: the requesting
    /// process receives `{'DOWN', Ref, process, Pid, Reason}` with it.
    pub monitor: Option<Reference>,
}

/// Why a remote spawn failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteSpawnError {
    /// The peer refused: `badarg`, `system_limit`, `notsup`... (its SPAWN_REPLY error).
    #[error("the peer refused the spawn: {0}")]
    Refused(Term),
    /// The peer does not support SPAWN_REQUEST (it did not negotiate the SPAWN flag).
    #[error("{0} does not support spawn_request")]
    NotSupported(String),
    /// The connection went down before the reply.
    #[error("no connection to {0}")]
    NoConnection(String),
    /// No reply in time.
    #[error("no spawn reply from {0} in time")]
    Timeout(String),
    /// The requesting process is not a live local process.
    #[error("the requesting process is not alive")]
    NoProcess,
    /// Connecting failed, or the node is not distributed.
    #[error(transparent)]
    Net(#[from] NetError),
}

struct Pending {
    from: Pid,
    node: Atom,
    /// `None` once the requester stopped waiting (timed out): the reply, when it comes, undoes
    /// the link and monitor (`spawn_request_abandon/1`).
    done: Option<oneshot::Sender<Result<Pid, RemoteSpawnError>>>,
}

/// Spawn requests waiting for their SPAWN_REPLY, by request id.
#[derive(Default)]
pub(crate) struct PendingSpawns {
    waiting: Mutex<HashMap<Reference, Pending>>,
}

impl PendingSpawns {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Reference, Pending>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connection to `node` is gone: its requests fail with `noconnection`.
    pub(crate) fn node_down(&self, node: &Atom) {
        let gone: Vec<Pending> = {
            let mut waiting = self.lock();
            let ids: Vec<Reference> = waiting
                .iter()
                .filter(|(_, p)| &p.node == node)
                .map(|(r, _)| r.clone())
                .collect();
            ids.iter().filter_map(|r| waiting.remove(r)).collect()
        };
        for p in gone.into_iter().filter_map(|p| p.done) {
            let _ = p.send(Err(RemoteSpawnError::NoConnection(node.to_string())));
        }
    }
}

/// Applies a SPAWN_REPLY from `peer`: sets up the link and monitor it reports on the requesting
/// process (or undoes them on the peer when that process is gone), and wakes the request.
pub(crate) fn reply(node: &Node, peer: &Atom, req_id: Reference, flags: u8, result: Term) {
    let pending = node
        .net_manager()
        .and_then(|net| net.pending_spawns.lock().remove(&req_id));
    let pid = match result {
        Term::Pid(pid) => pid,
        reason => {
            match pending.and_then(|p| p.done) {
                Some(done) => {
                    let _ = done.send(Err(RemoteSpawnError::Refused(reason)));
                }
                None => tracing::debug!(%peer, %reason, "spawn refused after its request ended"),
            }
            return;
        }
    };
    let Some(Pending { from, done, .. }) = pending else {
        // Casts (`rpc_cast`) do not wait for their reply.
        tracing::debug!(%peer, "spawn reply for no request");
        return;
    };
    let entry = done.as_ref().and_then(|_| node.entry_arc(&from));
    let installed = match &entry {
        Some(entry) => {
            let mut st = entry.state();
            if st.alive {
                if flags & FLAG_LINK != 0 && !st.links.contains(&pid) {
                    st.links.push(pid.clone());
                }
                if flags & FLAG_MONITOR != 0 {
                    st.monitoring.push(crate::node::Monitoring {
                        reference: req_id.clone(),
                        target: MonitorTarget::Pid(pid.clone()),
                        who: Term::Pid(pid.clone()),
                    });
                }
            }
            st.alive
        }
        None => false,
    };
    if !installed {
        // Nobody to hold the link or monitor: undo them on the peer, as an abandoned request.
        let me = from;
        if flags & FLAG_MONITOR != 0 {
            let _ = route(
                node,
                RemoteSignal::Demonitor {
                    from: me.clone(),
                    target: MonitorTarget::Pid(pid.clone()),
                    reference: req_id.clone(),
                },
            );
        }
        if flags & FLAG_LINK != 0 {
            let _ = route(
                node,
                RemoteSignal::Exit {
                    from: me,
                    to: pid.clone(),
                    reason: Term::atom("abandoned"),
                    via_link: true,
                },
            );
        }
    }
    if let Some(done) = done {
        let _ = done.send(Ok(pid));
    }
}

fn route(node: &Node, signal: RemoteSignal) -> Result<(), crate::node::SendError> {
    match node.distribution() {
        Some(distribution) => distribution.signal(signal),
        None => Ok(()),
    }
}

fn net_of(node: &Node) -> Result<std::sync::Arc<NetManager>, NetError> {
    node.net()
}

impl Node {
    /// `erlang:spawn_request(Node, Module, Function, Args, Opts)` on behalf of the local process
    /// `from`, waiting (up to `timeout`) for the peer's reply. With `link` the two processes
    /// are linked, with `monitor` `from` receives `{'DOWN', Ref, process, Pid, Reason}` when the
    /// new process ends (`Ref` = [`RemoteSpawned::monitor`]). Connects to `node` if needed.
    pub async fn spawn_request(
        &self,
        from: &Pid,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        options: RemoteSpawnOptions,
    ) -> Result<RemoteSpawned, RemoteSpawnError> {
        let timeout = options
            .timeout
            .unwrap_or(self.options().default_call_timeout);
        let deadline = tokio::time::Instant::now() + timeout;
        if !self.is_alive(from) {
            return Err(RemoteSpawnError::NoProcess);
        }
        let net = net_of(self)?;
        let invalid = || NetError::InvalidNode(node.to_string());
        let peer = Atom::try_new(node).ok_or_else(invalid)?;
        let (module, function) = match (Atom::try_new(module), Atom::try_new(function)) {
            (Some(m), Some(f)) => (m, f),
            _ => return Err(RemoteSpawnError::Refused(Term::atom("badarg"))),
        };
        match tokio::time::timeout_at(deadline, self.connect(node)).await {
            Ok(result) => result?,
            Err(_) => return Err(RemoteSpawnError::Timeout(node.to_string())),
        }
        let flags = net
            .peer_flags(&peer)
            .ok_or_else(|| RemoteSpawnError::NoConnection(node.to_string()))?;
        if !flags.contains(DistFlags::SPAWN) {
            return Err(RemoteSpawnError::NotSupported(node.to_string()));
        }
        let req_id = self.make_ref();
        let mut opts = Vec::new();
        if options.link {
            opts.push(Term::atom("link"));
        }
        if options.monitor {
            opts.push(Term::atom("monitor"));
        }
        let arity = u8::try_from(args.len())
            .map_err(|_| RemoteSpawnError::Refused(Term::atom("badarg")))?;
        let (done, wait) = oneshot::channel();
        net.pending_spawns.lock().insert(
            req_id.clone(),
            Pending {
                from: from.clone(),
                node: peer.clone(),
                done: Some(done),
            },
        );
        let request = ControlMessage::SpawnRequest(Box::new(SpawnRequestFields {
            req_id: req_id.clone(),
            from: from.clone(),
            group_leader: from.clone(),
            module,
            function,
            arity,
            opts: Term::list(opts),
        }));
        if net
            .queue_control(&peer, request, Some(Term::list(args)))
            .is_err()
        {
            net.pending_spawns.lock().remove(&req_id);
            return Err(RemoteSpawnError::NoConnection(node.to_string()));
        }
        let outcome = match tokio::time::timeout_at(deadline, wait).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(RemoteSpawnError::Net(NetError::Stopped)),
            Err(_) => {
                if let Some(p) = net.pending_spawns.lock().get_mut(&req_id) {
                    p.done = None;
                }
                Err(RemoteSpawnError::Timeout(node.to_string()))
            }
        };
        let pid = outcome?;
        Ok(RemoteSpawned {
            pid,
            monitor: options.monitor.then_some(req_id),
        })
    }
}

impl Context {
    /// [`Node::spawn_request`] on behalf of this process.
    pub async fn spawn_request(
        &self,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        options: RemoteSpawnOptions,
    ) -> Result<RemoteSpawned, RemoteSpawnError> {
        self.node()
            .spawn_request(self.pid(), node, module, function, args, options)
            .await
    }
}
