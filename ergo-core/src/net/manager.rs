//! The connection manager: one entry per peer node, pending (being dialed, holding what was
//! sent meanwhile) or up (a live connection and the task applying its incoming traffic). It is
//! the node's `Distribution` (connecting on first send, as Erlang does) and the acceptor's
//! `ConnectionArbiter` (simultaneous connects), and it turns a lost or failed connection into
//! `noconnection` for links, monitors and calls, and `{nodedown, Node}` for node watchers.
//!
//! Owns the peer table and the tasks per connection; must not encode frames (dist/) nor decide
//! what a message means to a process (the node does).

use super::log_throttle::LogThrottle;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use bytes::Bytes;
use ergo_etf::{Atom, Pid, Term};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::incoming::{self, Peer};
use super::outgoing::{destination, translate, Outbound, Untranslatable};
use super::proxy::{self, FromLink, Hop, Proxy};
use super::{ConnectError, DistOptions, NetError};
use crate::dist::handshake::{
    decide_incoming, AcceptStatus, ConnectionArbiter, ExistingConnection,
};
use crate::dist::{Compression, Traffic};
use crate::dist::{
    ConnectionError, DistConnection, DistFlags, DistMessage, DistSender, HandshakeError,
    IncomingHandler, LocalNode,
};
use crate::epmd::routes::split_node_name;
use crate::epmd::{EpmdKeeper, Resolver};
use crate::fast_hash::FxHashMap;
use crate::node::SendError;
use crate::node::{ConnectFuture, Dest, Distribution, Node, RemoteSignal, WeakNode};

/// The outcome of a connection attempt, for those waiting on it.
type Outcome = Option<Result<(), Arc<ConnectError>>>;

enum PeerState {
    /// Being dialed; what is sent meanwhile waits here, in order.
    Pending {
        id: u64,
        queue: Vec<Outbound>,
        done: watch::Sender<Outcome>,
        /// An incoming connection from the node was accepted and is finishing its handshake.
        incoming: bool,
    },
    /// Connected.
    Up(Link),
}

struct Link {
    id: u64,
    sender: DistSender,
    flags: DistFlags,
    /// Whether it runs through a proxy route (a tunnel via another node).
    proxy: bool,
}

impl Link {
    fn close(&self) {
        self.sender.close();
    }
}

/// Applies a connection's incoming traffic to the node, on the connection's reader task.
struct Dispatcher {
    manager: Arc<NetManager>,
    node: Node,
    peer: Atom,
    id: u64,
    sender: DistSender,
}

impl IncomingHandler for Dispatcher {
    fn message(&mut self, message: DistMessage) {
        let from = Peer {
            name: &self.peer,
            sender: &self.sender,
        };
        incoming::apply(&self.node, &from, message);
    }

    fn ended(&mut self, reason: ConnectionError) {
        self.manager.connection_ended(&self.peer, self.id, &reason);
    }

    fn proxy(&mut self, frame: Bytes) -> Result<(), ConnectionError> {
        let from = FromLink {
            peer: &self.peer,
            link: self.id,
            sender: &self.sender,
        };
        proxy::on_frame(&self.manager, &from, frame)
    }
}

impl Drop for Dispatcher {
    /// However the connection ended (by itself, closed, replaced, the node stopping), the proxy
    /// tunnels over it end with it, and its traffic counts in the node's totals.
    fn drop(&mut self) {
        let traffic = self.sender.traffic();
        {
            let mut closed = lock(&self.manager.closed_traffic);
            *closed = *closed + traffic;
        }
        self.manager.proxy.sessions.link_down(&self.peer, self.id);
    }
}

/// A process told about nodes going up and down.
struct NodeWatch {
    pid: Pid,
    /// `Some(node)`: `monitor_node/2` (one `{nodedown, Node}`, then gone); `None`: every
    /// `{nodeup, N}` and `{nodedown, N}` until removed (`net_kernel:monitor_nodes/1`).
    node: Option<Atom>,
    /// `net_kernel:monitor_nodes(true, [nodedown_reason])`: `{nodeup, N, []}` and
    /// `{nodedown, N, [{nodedown_reason, Reason}]}` instead.
    with_reason: bool,
}

/// Why a connection went, as `net_kernel`'s `nodedown_reason` says it (plus ergo-rs's
/// `{proxy_down, Why}` for a tunnel whose hop failed).
fn nodedown_reason(err: &ConnectionError) -> Term {
    match err {
        ConnectionError::TickTimeout(_) => Term::atom("net_tick_timeout"),
        ConnectionError::ProxyDown(why) => Term::tuple(vec![
            Term::atom("proxy_down"),
            Term::binary(why.as_bytes().to_vec()),
        ]),
        ConnectionError::WriterGone => Term::atom("send_net_tick_failed"),
        _ => Term::atom("connection_closed"),
    }
}

/// The node's distribution: listener, EPMD registration and connections.
pub(crate) struct NetManager {
    me: Weak<NetManager>,
    node: WeakNode,
    node_name: Atom,
    outside: Pid,
    local: LocalNode,
    cookie: String,
    /// Cookies for particular nodes (`erlang:set_cookie/2`).
    cookies: RwLock<FxHashMap<Atom, String>>,
    resolver: Resolver,
    pub(crate) options: DistOptions,
    pub(crate) port: u16,
    tls: Option<super::tls::Tls>,
    runtime: tokio::runtime::Handle,
    peers: RwLock<FxHashMap<Atom, PeerState>>,
    next_id: AtomicU64,
    next_unlink_id: AtomicU64,
    watchers: Mutex<Vec<NodeWatch>>,
    background: Mutex<Vec<AbortHandle>>,
    keeper: Mutex<Option<EpmdKeeper>>,
    stopped: AtomicBool,
    /// The node's flag: set once any process has its own compression setting.
    process_compression_used: Arc<AtomicBool>,
    /// Functions provided to other nodes' rpc/erpc.
    pub(crate) rpc: super::rpc::RpcRegistry,
    /// Rust processes other nodes may spawn.
    pub(crate) spawnables: super::spawn_serve::Spawnables,
    /// Our spawn requests waiting for their SPAWN_REPLY.
    pub(crate) pending_spawns: super::spawn_request::PendingSpawns,
    /// Proxy routes and the tunnels through or ending at this node.
    pub(crate) proxy: Proxy,
    /// Refused incoming connections (bad handshakes, garbage), logged rate-limited per address.
    pub(crate) refused_incoming: LogThrottle<std::net::IpAddr>,
    /// Failed connection attempts, logged rate-limited per node.
    connect_failures: LogThrottle<Atom>,
    /// The traffic of connections that have ended.
    closed_traffic: Mutex<Traffic>,
    /// Failed handshakes (both directions) by kind.
    handshake_failures: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    /// Nodes a test cut this node off from (`Node::cut_link`, feature `forge-signals`): no connection
    /// to or from them until healed. Always empty in applications.
    cut: RwLock<std::collections::HashSet<Atom>>,
}

/// One connected peer as the inspect API sees it.
pub(crate) struct PeerSnapshot {
    pub name: Atom,
    pub flags: DistFlags,
    pub proxy: bool,
    pub tls: bool,
    pub traffic: Traffic,
    pub atom_cache_entries: usize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What `NetManager::new` needs besides the node.
pub(crate) struct ManagerParts {
    pub local: LocalNode,
    pub cookie: String,
    pub options: DistOptions,
    pub port: u16,
    pub keeper: Option<EpmdKeeper>,
    pub tls: Option<super::tls::Tls>,
}

impl NetManager {
    pub(crate) fn new(node: &Node, parts: ManagerParts) -> Arc<NetManager> {
        let resolver = Resolver::new(parts.options.epmd_port);
        for (name, addr) in &parts.options.static_routes {
            resolver.add_static_route(name, *addr);
        }
        let proxy = Proxy::new(node.name().clone(), &parts.options.proxy);
        Arc::new_cyclic(|me| NetManager {
            me: me.clone(),
            node: node.downgrade(),
            node_name: node.name().clone(),
            outside: node.outside_pid().clone(),
            local: parts.local,
            cookie: parts.cookie,
            cookies: RwLock::new(FxHashMap::default()),
            resolver,
            options: parts.options,
            port: parts.port,
            tls: parts.tls,
            runtime: node.runtime().clone(),
            peers: RwLock::new(FxHashMap::default()),
            next_id: AtomicU64::new(1),
            next_unlink_id: AtomicU64::new(1),
            watchers: Mutex::new(Vec::new()),
            refused_incoming: LogThrottle::new(),
            closed_traffic: Mutex::new(Traffic::default()),
            handshake_failures: Mutex::new(std::collections::BTreeMap::new()),
            connect_failures: LogThrottle::new(),
            cut: RwLock::new(std::collections::HashSet::new()),
            background: Mutex::new(Vec::new()),
            keeper: Mutex::new(parts.keeper),
            stopped: AtomicBool::new(false),
            process_compression_used: Arc::clone(node.process_compression_used()),
            rpc: Default::default(),
            spawnables: Default::default(),
            pending_spawns: Default::default(),
            proxy,
        })
    }

    pub(crate) fn node(&self) -> Option<Node> {
        self.node.upgrade()
    }

    fn read(&self) -> RwLockReadGuard<'_, FxHashMap<Atom, PeerState>> {
        self.peers.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, FxHashMap<Atom, PeerState>> {
        self.peers.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a test cut this node off from `node`.
    fn is_cut(&self, node: &Atom) -> bool {
        self.cut
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(node)
    }

    /// Cuts this node off from `node` (`on`), closing the connection and refusing new ones
    /// both ways, or heals the link (`!on`). For tests (`Node::cut_link`).
    #[cfg_attr(not(feature = "forge-signals"), allow(dead_code))]
    pub(crate) fn set_cut(&self, node: &Atom, on: bool) {
        {
            let mut cut = self.cut.write().unwrap_or_else(|p| p.into_inner());
            if on {
                cut.insert(node.clone());
            } else {
                cut.remove(node);
            }
        }
        if on {
            self.disconnect(node, "link cut by a test");
        }
    }

    /// Keeps a background task (the listener) to stop with the node.
    pub(crate) fn keep_task(&self, handle: AbortHandle) {
        lock(&self.background).push(handle);
    }

    /// What dialing and accepting need.
    pub(crate) fn endpoint(&self) -> super::transport::Endpoint<'_> {
        super::transport::Endpoint {
            local: &self.local,
            cookie: &self.cookie,
            arbiter: self,
            tls: self.tls.as_ref(),
            handshake: &self.options.handshake,
            connection: &self.options.connection,
        }
    }

    /// The static routes and EPMD lookups used to reach nodes.
    pub(crate) fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// This node's name.
    pub(crate) fn name(&self) -> &Atom {
        &self.node_name
    }

    /// The cookie used with `node`: its own (`set_cookie`) or the node's.
    pub(crate) fn cookie_with(&self, node: &str) -> String {
        self.cookie_for(node).unwrap_or_else(|| self.cookie.clone())
    }

    /// Sets the cookie used with `node` instead of the node's.
    pub(crate) fn set_cookie(&self, node: Atom, cookie: String) {
        let mut cookies = self.cookies.write().unwrap_or_else(|p| p.into_inner());
        cookies.insert(node, cookie);
    }

    /// Runs `task` on the node's runtime.
    pub(crate) fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// Connects to `node` unless connected, and waits until the connection is up or has failed
    /// (within the handshake's setup timeout twice: resolution, then the handshake).
    pub(crate) async fn wait_connected(&self, node: &Atom) -> Result<(), NetError> {
        if *node == self.node_name {
            return Ok(());
        }
        let mut outcome = self
            .start_connect(node)
            .ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        let limit = self.options.handshake.setup_timeout * 2;
        let done = tokio::time::timeout(limit, outcome.wait_for(|o| o.is_some())).await;
        match done {
            Err(_) => Err(NetError::Timeout(node.to_string())),
            Ok(Err(_)) => Err(NetError::Stopped),
            Ok(Ok(result)) => match &*result {
                Some(Ok(())) => Ok(()),
                Some(Err(reason)) => Err(NetError::Connect {
                    node: node.to_string(),
                    source: Arc::clone(reason),
                }),
                None => Err(NetError::Stopped),
            },
        }
    }

    /// The live connection to `node` (connecting first if needed), as a tunnel's hop.
    pub(crate) async fn link_to(&self, node: &Atom) -> Result<(Hop, DistFlags), String> {
        self.wait_connected(node).await.map_err(|e| e.to_string())?;
        match self.read().get(node) {
            Some(PeerState::Up(link)) => Ok((
                Hop {
                    peer: node.clone(),
                    link: link.id,
                    sender: link.sender.clone(),
                },
                link.flags,
            )),
            _ => Err(format!("the connection to {node} went down")),
        }
    }

    /// Queues `item` for its node: on the live connection, behind a pending connect, or
    /// starting one.
    fn enqueue(&self, item: Outbound) -> Result<(), SendError> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(SendError::NodeStopped);
        }
        let Some(node) = destination(&item).cloned() else {
            return Err(SendError::NoRoute("(a local name)".into()));
        };
        if node == self.node_name {
            return Err(SendError::NoRoute(node.to_string()));
        }
        if let Some(PeerState::Up(link)) = self.read().get(&node) {
            return self.send_on(link, &node, item);
        }
        let mut peers = self.write();
        match peers.get_mut(&node) {
            Some(PeerState::Up(link)) => self.send_on(link, &node, item),
            Some(PeerState::Pending { queue, .. }) => {
                queue.push(item);
                Ok(())
            }
            None => {
                if split_node_name(node.as_str()).is_err() {
                    return Err(SendError::NoRoute(node.to_string()));
                }
                let id = self.start_pending(&mut peers, &node);
                if let Some(PeerState::Pending { queue, .. }) = peers.get_mut(&node) {
                    queue.push(item);
                }
                drop(peers);
                self.spawn_connect(node, id);
                Ok(())
            }
        }
    }

    fn start_pending(&self, peers: &mut FxHashMap<Atom, PeerState>, node: &Atom) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (done, _) = watch::channel(None);
        peers.insert(
            node.clone(),
            PeerState::Pending {
                id,
                queue: Vec::new(),
                done,
                incoming: false,
            },
        );
        id
    }

    /// Records that an incoming connection from `node` is finishing its handshake (on top of our
    /// own pending attempt, if any); returns the pending entry's id.
    fn mark_incoming(&self, peers: &mut FxHashMap<Atom, PeerState>, node: &Atom) -> u64 {
        if !matches!(peers.get(node), Some(PeerState::Pending { .. })) {
            self.start_pending(peers, node);
        }
        match peers.get_mut(node) {
            Some(PeerState::Pending { id, incoming, .. }) => {
                *incoming = true;
                *id
            }
            _ => 0,
        }
    }

    /// If the accepted handshake dies, nothing installs: give up after the setup time.
    fn expire_incoming(&self, node: Atom, id: u64) {
        let Some(me) = self.me.upgrade() else { return };
        let wait = self.options.handshake.setup_timeout;
        self.runtime.spawn(async move {
            tokio::time::sleep(wait).await;
            me.fail_pending(&node, id, ConnectError::IncomingUnfinished);
        });
    }

    fn send_on(&self, link: &Link, node: &Atom, item: Outbound) -> Result<(), SendError> {
        let unlink_id = || self.next_unlink_id.fetch_add(1, Ordering::Relaxed);
        let compression = match &item {
            Outbound::Message { from, .. } if link.flags.contains(DistFlags::ERGO_COMPRESSION) => {
                self.compression_for(from.as_ref())
            }
            _ => None,
        };
        match translate(item, link.flags, &self.outside, unlink_id) {
            Ok((control, payload)) => link
                .sender
                .queue_with(control, payload, compression.as_ref())
                .map_err(|_| SendError::NotConnected(node.to_string())),
            Err(Untranslatable::NoAliases) => Err(SendError::Unsupported {
                node: node.to_string(),
                what: "process aliases",
            }),
            Err(Untranslatable::NotRemote) => Err(SendError::NoRoute(node.to_string())),
        }
    }

    /// The compression of a message from `from`: the node's setting unless some process chose
    /// its own (checked without touching the node while none has, as on the hot path).
    fn compression_for(&self, from: Option<&Pid>) -> Option<Compression> {
        if !self.process_compression_used.load(Ordering::Relaxed) {
            return self.options.compression;
        }
        self.node()
            .and_then(|n| n.compression_for(from, self.options.compression))
    }

    fn spawn_connect(&self, node: Atom, id: u64) {
        let Some(me) = self.me.upgrade() else { return };
        self.runtime
            .spawn(async move { me.connect_task(node, id).await });
    }

    async fn connect_task(self: Arc<Self>, node: Atom, id: u64) {
        if self.is_cut(&node) {
            self.fail_pending(&node, id, ConnectError::Cut);
            return;
        }
        let route = self.proxy.route(&node);
        let via_proxy = route.is_some();
        let result = match route {
            Some(route) => proxy::open(&self, &node, &route).await,
            None if self.proxy.refuses_direct() => Err(HandshakeError::Proxy(format!(
                "no route to {node}, and this node makes no direct connections"
            ))),
            None => super::transport::dial(&self.endpoint(), &self.resolver, node.as_str()).await,
        };
        match result {
            Ok(connection) => self.install_via(connection, via_proxy),
            Err(HandshakeError::SimultaneousLost) => {
                // The peer's own connection to us won; it arrives through the listener and
                // takes over this pending entry. Give it the setup time, then give up.
                tokio::time::sleep(self.options.handshake.setup_timeout).await;
                self.fail_pending(&node, id, ConnectError::SimultaneousNeverCame);
            }
            // The other direction's connection is up: this attempt was not needed.
            Err(HandshakeError::AlreadyConnected) => {}
            Err(err) => {
                self.handshake_failed(&err);
                self.fail_pending(&node, id, ConnectError::Handshake(err))
            }
        }
    }

    /// A connection attempt failed: what waited for it is dropped (and said so), and links,
    /// monitors and calls towards the node get `noconnection`.
    fn fail_pending(&self, node: &Atom, id: u64, reason: ConnectError) {
        let removed = {
            let mut peers = self.write();
            match peers.get(node) {
                Some(PeerState::Pending { id: p, .. }) if *p == id => peers.remove(node),
                _ => return,
            }
        };
        let Some(PeerState::Pending { queue, done, .. }) = removed else {
            return;
        };
        if !queue.is_empty() {
            // What was dropped is always said.
            tracing::warn!(peer = %node, %reason, dropped = queue.len(), "cannot connect; dropping what was sent to it");
        } else if let Some(repeated) = self.connect_failures.occur(node) {
            tracing::warn!(peer = %node, %reason, repeated, "cannot connect");
        }
        let _ = done.send(Some(Err(Arc::new(reason))));
        self.node_down(node, Term::atom("connection_setup_failed"));
    }

    /// Makes a handshaken connection the peer's live one.
    pub(crate) fn install(&self, connection: DistConnection) {
        self.install_via(connection, false)
    }

    /// [`NetManager::install`], saying whether the connection is a tunnel through a proxy
    /// route.
    pub(crate) fn install_via(&self, connection: DistConnection, proxy: bool) {
        let Some(peer) = Atom::try_new(&connection.peer_name) else {
            tracing::warn!(peer = %connection.peer_name, "peer name is not an atom; closing");
            return;
        };
        let flags = connection.flags;
        let sender = connection.sender();
        let (Some(node), Some(manager)) = (self.node(), self.me.upgrade()) else {
            sender.close();
            return;
        };
        if self.stopped.load(Ordering::Acquire) {
            sender.close();
            return;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let link = Link {
            id,
            sender: sender.clone(),
            flags,
            proxy,
        };
        let (replaced, waiting) = {
            let mut peers = self.write();
            let (queue, replaced, waiting) = match peers.remove(&peer) {
                Some(PeerState::Pending { queue, done, .. }) => (queue, false, Some(done)),
                Some(PeerState::Up(old)) => {
                    old.close();
                    (Vec::new(), true, None)
                }
                None => (Vec::new(), false, None),
            };
            for item in queue {
                if let Err(err) = self.send_on(&link, &peer, item) {
                    tracing::warn!(%peer, %err, "message queued during connect not sent");
                }
            }
            peers.insert(peer.clone(), PeerState::Up(link));
            (replaced, waiting)
        };
        if replaced {
            node.deliver_node_down(&peer);
        }
        // Reading starts only now that the link is in the table, so its end always finds it.
        connection.handle_with(Dispatcher {
            manager,
            node,
            peer: peer.clone(),
            id,
            sender,
        });
        tracing::info!(%peer, hidden = !flags.contains(DistFlags::PUBLISHED), "connected");
        self.notify(&peer, None);
        // Last, so that whoever waited in `Node::connect` sees the nodeup already sent.
        if let Some(done) = waiting {
            let _ = done.send(Some(Ok(())));
        }
    }

    /// Counts a failed handshake by its kind.
    pub(crate) fn handshake_failed(&self, err: &HandshakeError) {
        *lock(&self.handshake_failures)
            .entry(err.kind())
            .or_insert(0) += 1;
    }

    /// Failed handshakes by kind, sorted by kind.
    pub(crate) fn handshake_failures(&self) -> Vec<(String, u64)> {
        lock(&self.handshake_failures)
            .iter()
            .map(|(kind, n)| ((*kind).to_string(), *n))
            .collect()
    }

    /// Whether connections run over TLS.
    pub(crate) fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The connected peers, sorted by name.
    pub(crate) fn peer_snapshots(&self) -> Vec<PeerSnapshot> {
        let tls = self.tls.is_some();
        let mut out: Vec<PeerSnapshot> = self
            .read()
            .iter()
            .filter_map(|(name, state)| match state {
                PeerState::Up(link) => Some(PeerSnapshot {
                    name: name.clone(),
                    flags: link.flags,
                    proxy: link.proxy,
                    // A tunnel is encrypted end to end by the proxy itself, not by TLS.
                    tls: tls && !link.proxy,
                    traffic: link.sender.traffic(),
                    atom_cache_entries: link.sender.atom_cache_entries(),
                }),
                PeerState::Pending { .. } => None,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The traffic of every connection, live and ended.
    pub(crate) fn traffic_totals(&self) -> Traffic {
        let closed = *lock(&self.closed_traffic);
        self.read()
            .values()
            .filter_map(|state| match state {
                PeerState::Up(link) => Some(link.sender.traffic()),
                PeerState::Pending { .. } => None,
            })
            .fold(closed, |sum, t| sum + t)
    }

    /// The connection `id` to `peer` ended by itself (closed, tick timeout, bad input).
    fn connection_ended(&self, peer: &Atom, id: u64, reason: &ConnectionError) {
        let removed = {
            let mut peers = self.write();
            match peers.get(peer) {
                Some(PeerState::Up(link)) if link.id == id => peers.remove(peer),
                _ => None,
            }
        };
        if removed.is_some() {
            tracing::info!(%peer, %reason, "connection down");
            self.node_down(peer, nodedown_reason(reason));
        }
    }

    /// Everything towards `peer` is gone (for `reason`, a `nodedown_reason`): `noconnection` to
    /// links, monitors and calls, and `{nodedown, Peer}` to watchers.
    fn node_down(&self, peer: &Atom, reason: Term) {
        self.pending_spawns.node_down(peer);
        if let Some(node) = self.node() {
            node.deliver_node_down(peer);
        }
        self.notify(peer, Some(reason));
    }

    /// Tells the watchers `peer` came up (`down` is `None`) or went down for that reason.
    fn notify(&self, peer: &Atom, down: Option<Term>) {
        let Some(node) = self.node() else { return };
        let up = down.is_none();
        let tag = Term::atom(if up { "nodeup" } else { "nodedown" });
        let plain = Term::tuple(vec![tag.clone(), Term::Atom(peer.clone())]);
        let info = match down {
            None => Term::nil(),
            Some(reason) => Term::list(vec![Term::tuple(vec![
                Term::atom("nodedown_reason"),
                reason,
            ])]),
        };
        let with_reason = Term::tuple(vec![tag, Term::Atom(peer.clone()), info]);
        let targets: Vec<(Pid, bool)> = {
            let mut watchers = lock(&self.watchers);
            let targets = watchers
                .iter()
                .filter(|w| match &w.node {
                    None => true,
                    Some(n) => !up && n == peer,
                })
                .map(|w| (w.pid.clone(), w.with_reason))
                .collect();
            if !up {
                watchers.retain(|w| w.node.as_ref() != Some(peer));
            }
            targets
        };
        for (pid, reason) in targets {
            let message = if reason { &with_reason } else { &plain };
            let _ = node.send(Dest::Pid(pid), message.clone());
        }
    }

    /// Adds or removes a node watcher (see [`NodeWatch`]); a watch on a node with no
    /// connection starts connecting, and the watcher hears `nodedown` if that fails.
    pub(crate) fn watch(&self, pid: &Pid, node: Option<&Atom>, on: bool, with_reason: bool) {
        let mut watchers = lock(&self.watchers);
        if !on {
            if let Some(i) = watchers.iter().position(|w| {
                &w.pid == pid && w.node.as_ref() == node && w.with_reason == with_reason
            }) {
                watchers.remove(i);
            }
            return;
        }
        watchers.push(NodeWatch {
            pid: pid.clone(),
            node: node.cloned(),
            with_reason,
        });
        drop(watchers);
        if let Some(node) = node {
            if self.start_connect(node).is_none() {
                self.notify(node, Some(Term::atom("connection_setup_failed")));
            }
        }
    }

    /// Starts connecting to `node` unless a connection is up or pending; a receiver of the
    /// outcome (already `Ok` when up), or `None` when the name cannot be a node.
    pub(crate) fn start_connect(&self, node: &Atom) -> Option<watch::Receiver<Outcome>> {
        if split_node_name(node.as_str()).is_err() || *node == self.node_name {
            return None;
        }
        let mut peers = self.write();
        let (receiver, spawn) = match peers.get(node) {
            Some(PeerState::Up(_)) => (watch::channel(Some(Ok(()))).1, None),
            Some(PeerState::Pending { done, .. }) => (done.subscribe(), None),
            None => {
                let id = self.start_pending(&mut peers, node);
                match peers.get(node) {
                    Some(PeerState::Pending { done, .. }) => (done.subscribe(), Some(id)),
                    _ => return None,
                }
            }
        };
        drop(peers);
        if let Some(id) = spawn {
            self.spawn_connect(node.clone(), id);
        }
        Some(receiver)
    }

    /// Closes the connection to `node`; true if there was one.
    pub(crate) fn disconnect(&self, node: &Atom, why: &str) -> bool {
        let removed = {
            let mut peers = self.write();
            match peers.get(node) {
                Some(PeerState::Up(_)) => peers.remove(node),
                _ => None,
            }
        };
        let Some(PeerState::Up(link)) = removed else {
            return false;
        };
        link.close();
        tracing::info!(peer = %node, reason = why, "disconnected");
        self.node_down(node, Term::atom("disconnect"));
        true
    }

    /// The flags negotiated with `node`, when a connection to it is up.
    pub(crate) fn peer_flags(&self, node: &Atom) -> Option<DistFlags> {
        match self.read().get(node) {
            Some(PeerState::Up(link)) => Some(link.flags),
            _ => None,
        }
    }

    /// Queues a control message as is on the live connection to `node` (no connecting).
    pub(crate) fn queue_control(
        &self,
        node: &Atom,
        control: crate::dist::ControlMessage,
        payload: Option<Term>,
    ) -> Result<(), SendError> {
        match self.read().get(node) {
            Some(PeerState::Up(link)) => link
                .sender
                .queue(control, payload)
                .map_err(|_| SendError::NotConnected(node.to_string())),
            _ => Err(SendError::NotConnected(node.to_string())),
        }
    }

    /// The connected nodes; `hidden` too when asked.
    pub(crate) fn connected(&self, include_hidden: bool) -> Vec<Atom> {
        let mut nodes: Vec<Atom> = self
            .read()
            .iter()
            .filter_map(|(name, state)| match state {
                PeerState::Up(link)
                    if include_hidden || link.flags.contains(DistFlags::PUBLISHED) =>
                {
                    Some(name.clone())
                }
                _ => None,
            })
            .collect();
        nodes.sort();
        nodes
    }

    /// Stops everything: the listener, the EPMD registration, every connection.
    pub(crate) fn shutdown(&self) {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        for task in lock(&self.background).drain(..) {
            task.abort();
        }
        lock(&self.keeper).take();
        let peers: Vec<(Atom, PeerState)> = self.write().drain().collect();
        for (peer, state) in peers {
            match state {
                PeerState::Up(link) => link.close(),
                PeerState::Pending { done, queue, .. } => {
                    if !queue.is_empty() {
                        tracing::warn!(%peer, dropped = queue.len(), "node stopped while connecting; dropping what was sent");
                    }
                    let _ = done.send(Some(Err(Arc::new(ConnectError::NodeStopped))));
                }
            }
        }
        tracing::info!(node = %self.node_name, "distribution stopped");
    }
}

impl Distribution for NetManager {
    fn send(&self, from: Option<&Pid>, to: &Dest, message: Term) -> Result<(), SendError> {
        self.enqueue(Outbound::Message {
            from: from.cloned(),
            to: to.clone(),
            message,
        })
    }

    fn signal(&self, signal: RemoteSignal) -> Result<(), SendError> {
        self.enqueue(Outbound::Signal(signal))
    }

    fn connect(&self, node: Atom) -> ConnectFuture {
        let manager = self.me.upgrade();
        Box::pin(async move {
            let manager = manager.ok_or(NetError::Stopped)?;
            manager.wait_connected(&node).await?;
            Ok(())
        })
    }

    fn nodes(&self, include_hidden: bool) -> Vec<Atom> {
        self.connected(include_hidden)
    }

    fn disconnect(&self, node: &Atom) -> bool {
        NetManager::disconnect(self, node, "disconnect requested")
    }

    fn watch_nodes(&self, watcher: &Pid, node: Option<&Atom>, on: bool, with_reason: bool) {
        self.watch(watcher, node, on, with_reason);
    }

    fn shutdown(&self) {
        NetManager::shutdown(self);
    }
}

impl ConnectionArbiter for NetManager {
    fn existing(&self, node: &str) -> ExistingConnection {
        let Some(atom) = Atom::try_new(node) else {
            return ExistingConnection::None;
        };
        match self.read().get(&atom) {
            Some(PeerState::Up(_)) => ExistingConnection::Up,
            Some(PeerState::Pending { .. }) => ExistingConnection::Pending,
            None => ExistingConnection::None,
        }
    }

    fn admit(&self, local: &str, node: &str) -> AcceptStatus {
        let Some(atom) = Atom::try_new(node) else {
            return decide_incoming(local, node, ExistingConnection::None);
        };
        if self.is_cut(&atom) {
            return AcceptStatus::NotAllowed;
        }
        let mut peers = self.write();
        let existing = match peers.get(&atom) {
            Some(PeerState::Up(_)) => ExistingConnection::Up,
            Some(PeerState::Pending { .. }) => ExistingConnection::Pending,
            None => ExistingConnection::None,
        };
        let status = decide_incoming(local, node, existing);
        if matches!(status, AcceptStatus::Ok | AcceptStatus::OkSimultaneous) {
            let id = self.mark_incoming(&mut peers, &atom);
            drop(peers);
            self.expire_incoming(atom, id);
        }
        status
    }

    fn accepting(&self, node: &str) {
        let Some(atom) = Atom::try_new(node) else {
            return;
        };
        let id = self.mark_incoming(&mut self.write(), &atom);
        self.expire_incoming(atom, id);
    }

    fn replace_on_alive(&self, node: &str) -> bool {
        let Some(atom) = Atom::try_new(node) else {
            return true;
        };
        // Replace the peer's connection only if nothing of ours is up or being accepted: when
        // the other direction is winning, tearing it down would lose what it carries.
        !matches!(
            self.read().get(&atom),
            Some(PeerState::Up(_)) | Some(PeerState::Pending { incoming: true, .. })
        )
    }

    fn incoming_failed(&self, node: &str) {
        let Some(atom) = Atom::try_new(node) else {
            return;
        };
        let id = match self.read().get(&atom) {
            Some(PeerState::Pending {
                id, incoming: true, ..
            }) => *id,
            _ => return,
        };
        self.fail_pending(&atom, id, ConnectError::IncomingFailed);
    }

    fn cookie_for(&self, node: &str) -> Option<String> {
        let cookies = self.cookies.read().unwrap_or_else(|p| p.into_inner());
        if cookies.is_empty() {
            return None;
        }
        cookies.get(&Atom::try_new(node)?).cloned()
    }

    fn replace_existing(&self, node: &str) {
        if let Some(atom) = Atom::try_new(node) {
            self.disconnect(&atom, "the peer reconnected");
        }
    }
}
