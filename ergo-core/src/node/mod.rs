//! A node: the process table, registered names, aliases, pid and reference making, spawning,
//! sending, and the seam to the distribution layer. Links, monitors and exits live in
//! `signals.rs`, calls in `call.rs`, timers in `timer.rs`, introspection in `info.rs`. Must not
//! touch sockets or the DIST protocol (`dist/`, `epmd/` own those).

mod call;
mod dest;
mod info;
mod router;
mod signals;
mod spawn;
mod table;
mod timer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use ergo_etf::{Atom, Pid, RefIds, Reference};

pub use dest::Dest;
pub use info::ProcessInfo;
pub use router::{MonitorTarget, RemoteRouter, RemoteSignal};
pub use spawn::SpawnOptions;
pub use timer::TimerHandle;

use crate::error::NodeError;
use crate::process::ReplySlot;
pub(crate) use table::{Monitoring, ProcessEntry, ProcessTable};

/// How a node is configured.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// The distribution cookie (used by the dist layer).
    pub cookie: String,
    /// The node incarnation; `None` picks a random nonzero value.
    pub creation: Option<u32>,
    /// Catch panics in process code and turn them into exit reasons (default true). Turn off to
    /// let panics reach the tokio runtime while debugging (links and monitors still fire).
    pub catch_panics: bool,
    /// Timeout of calls that do not give one (default 5 s).
    pub default_call_timeout: Duration,
    /// Distribution: `None` (the default) keeps the node local; `Some` puts it on the network
    /// (listener, EPMD registration, connections to other nodes). Start such a node with the
    /// async [`Node::start`].
    pub distribution: Option<crate::net::DistOptions>,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            cookie: String::new(),
            creation: None,
            catch_panics: true,
            default_call_timeout: Duration::from_secs(5),
            distribution: None,
        }
    }
}

/// Where an alias delivers.
pub(crate) enum AliasTarget {
    /// The reply slot of a call whose request left as a term; `node` is the server's node when
    /// that is another node (the call fails with `noconnection` when it goes down).
    Reply {
        /// Where the reply lands.
        slot: Arc<ReplySlot>,
        /// The remote node serving the call, if any.
        node: Option<Atom>,
    },
    /// A process's own alias (`erlang:alias/0`).
    Process(Pid),
}

pub(crate) struct NodeInner {
    pub name: Atom,
    pub creation: u32,
    pub options: NodeOptions,
    pub table: ProcessTable,
    pub names: Mutex<crate::fast_hash::FxHashMap<Atom, Pid>>,
    pub aliases: Mutex<crate::fast_hash::FxHashMap<Reference, AliasTarget>>,
    pub events: Mutex<HashMap<Atom, crate::event::EventEntry>>,
    pub next_pid: AtomicU64,
    pub next_ref: AtomicU64,
    pub router: RwLock<Option<Arc<dyn RemoteRouter>>>,
    pub stopped: AtomicBool,
    pub runtime: tokio::runtime::Handle,
    /// The `From` pid of calls made from outside any process.
    pub outside_pid: Pid,
    /// The distribution, when the node is on the network.
    pub net: std::sync::OnceLock<Arc<crate::net::NetManager>>,
    /// Set once any process has its own compression setting (until then none is looked up).
    pub process_compression_used: Arc<AtomicBool>,
}

impl Drop for NodeInner {
    fn drop(&mut self) {
        if let Some(net) = self.net.get() {
            net.shutdown();
        }
    }
}

/// A running node. Cheap to clone; all clones are the same node.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<NodeInner>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({})", self.inner.name)
    }
}

fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as u32
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Node {
    /// Starts a node named `name@host` on the current tokio runtime. With
    /// [`NodeOptions::distribution`] set, it also binds its listener and registers with EPMD
    /// (taking the creation EPMD gives), serving EPMD itself when nothing does.
    pub async fn start(name: &str, mut options: NodeOptions) -> Result<Node, NodeError> {
        let Some(dist) = options.distribution.clone() else {
            return Node::start_sync(name, options);
        };
        Node::check_name(name)?;
        let cookie = crate::net::cookie(&options.cookie)?;
        let bound = crate::net::bind(name, &dist).await?;
        options.creation = options.creation.or(bound.creation);
        options.cookie = cookie.clone();
        let node = Node::build(name, options)?;
        crate::net::attach(&node, bound, dist, cookie).await?;
        Ok(node)
    }

    /// Like [`Node::start`], for code that is not async (still needs a tokio runtime context);
    /// a distributed node needs the async [`Node::start`].
    pub fn start_sync(name: &str, options: NodeOptions) -> Result<Node, NodeError> {
        if options.distribution.is_some() {
            return Err(NodeError::NeedsAsync);
        }
        Node::build(name, options)
    }

    fn check_name(name: &str) -> Result<Atom, NodeError> {
        let valid = matches!(name.split_once('@'), Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('@'));
        Atom::try_new(name)
            .filter(|_| valid)
            .ok_or_else(|| NodeError::InvalidName(name.to_string()))
    }

    fn build(name: &str, options: NodeOptions) -> Result<Node, NodeError> {
        let atom = Node::check_name(name)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| NodeError::NoRuntime)?;
        let creation = match options.creation {
            Some(c) => c,
            None => random_u32().max(1),
        };
        let outside_pid = Pid {
            node: atom.clone(),
            id: 0,
            serial: 0,
            creation,
        };
        let inner = NodeInner {
            name: atom,
            creation,
            options,
            table: ProcessTable::new(),
            names: Mutex::new(crate::fast_hash::FxHashMap::default()),
            aliases: Mutex::new(crate::fast_hash::FxHashMap::default()),
            events: Mutex::new(HashMap::new()),
            next_pid: AtomicU64::new(1),
            next_ref: AtomicU64::new(1),
            router: RwLock::new(None),
            stopped: AtomicBool::new(false),
            runtime,
            outside_pid,
            net: std::sync::OnceLock::new(),
            process_compression_used: Arc::new(AtomicBool::new(false)),
        };
        tracing::debug!(node = %inner.name, creation, "node started");
        Ok(Node {
            inner: Arc::new(inner),
        })
    }

    /// The node's name.
    pub fn name(&self) -> &Atom {
        &self.inner.name
    }

    /// The node's creation.
    pub fn creation(&self) -> u32 {
        self.inner.creation
    }

    /// The node's cookie.
    pub fn cookie(&self) -> &str {
        &self.inner.options.cookie
    }

    /// The options the node started with.
    pub fn options(&self) -> &NodeOptions {
        &self.inner.options
    }

    /// The pid used as `From` for calls made from outside any process.
    pub fn outside_pid(&self) -> &Pid {
        &self.inner.outside_pid
    }

    /// True when `pid` belongs to this node incarnation.
    pub fn is_local(&self, pid: &Pid) -> bool {
        pid.node == self.inner.name && pid.creation == self.inner.creation
    }

    /// True when the node is `node` (a pid of an older incarnation is still "this node" by name).
    pub(crate) fn is_this_node(&self, node: &Atom) -> bool {
        *node == self.inner.name
    }

    /// A fresh pid.
    pub(crate) fn make_pid(&self) -> Pid {
        let n = self.inner.next_pid.fetch_add(1, Ordering::Relaxed);
        Pid {
            node: self.inner.name.clone(),
            id: n as u32,
            serial: (n >> 32) as u32,
            creation: self.inner.creation,
        }
    }

    /// A fresh reference (three id words, like OTP).
    pub fn make_ref(&self) -> Reference {
        self.ref_from_number(self.next_ref_number())
    }

    /// A fresh reference number (cheap: the `Reference` is built only when needed).
    pub(crate) fn next_ref_number(&self) -> u64 {
        self.inner.next_ref.fetch_add(1, Ordering::Relaxed)
    }

    /// The reference for a number from [`Node::next_ref_number`].
    pub(crate) fn ref_from_number(&self, n: u64) -> Reference {
        Reference {
            node: self.inner.name.clone(),
            creation: self.inner.creation,
            ids: RefIds::from([n as u32 & 0x3_FFFF, (n >> 18) as u32, (n >> 50) as u32]),
        }
    }

    /// Installs the distribution layer's router.
    pub fn set_router(&self, router: Arc<dyn RemoteRouter>) {
        *self.inner.router.write().unwrap_or_else(|p| p.into_inner()) = Some(router);
    }

    /// Removes the router; remote sends fail with `NoRoute` afterwards.
    pub fn clear_router(&self) {
        *self.inner.router.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub(crate) fn router(&self) -> Option<Arc<dyn RemoteRouter>> {
        self.inner
            .router
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn entry(&self, pid: &Pid) -> Option<Arc<ProcessEntry>> {
        if !self.is_local(pid) {
            return None;
        }
        self.inner.table.get(pid)
    }

    /// True when `pid` is a live local process.
    pub fn is_alive(&self, pid: &Pid) -> bool {
        self.entry(pid).is_some_and(|e| e.state().alive)
    }

    /// Stops the node: every process gets an untrappable `kill` exit signal, spawning fails, and
    /// a distributed node closes its connections (peers see `nodedown`) and leaves EPMD.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        if let Some(net) = self.inner.net.get() {
            net.shutdown();
        }
        let outside = self.inner.outside_pid.clone();
        for entry in self.inner.table.all() {
            self.exit(&outside, &entry.pid, ergo_etf::Term::atom("kill"));
        }
    }

    /// True after [`Node::stop`].
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }
}
