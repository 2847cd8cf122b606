//! A node, the local runtime: the process table, registered names, aliases, pid and reference
//! making, spawning, sending, what a process's code sees of it (`context.rs`), the per-node
//! state of the layers above (`extensions.rs`, exit hooks in `table.rs`), and the seam to the
//! distribution layer (`distribution.rs`, a trait object the network layer installs). Links,
//! monitors and exits live in `signals.rs`, calls in `call.rs`, timers in `timer.rs`,
//! introspection in `info.rs`, the runtime's errors in `error.rs`. Must not touch sockets, the
//! DIST protocol or EPMD, and must not name any layer above it (`gen/`, the services, `net/`).

/// A node method that acts on behalf of any pid (forging links, exits, monitors and incoming
/// distribution traffic): `pub(crate)`, for the runtime itself, and `pub` only with the
/// `forge-signals` feature, for tests that play a remote node. Applications act through `Context`.
macro_rules! testing_pub {
    ($(#[$meta:meta])* fn $($rest:tt)*) => {
        #[cfg(feature = "forge-signals")]
        $(#[$meta])*
        pub fn $($rest)*
        #[cfg(not(feature = "forge-signals"))]
        $(#[$meta])*
        #[allow(dead_code)]
        pub(crate) fn $($rest)*
    };
}

mod call;
mod call_times;
mod cluster;
mod context;
mod deadlines;
mod dest;
mod distribution;
mod effects;
pub(crate) mod error;
mod extensions;
mod info;
mod observer_options;
mod ref_numbers;
mod signals;
mod spawn;
mod table;
mod timer;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use ergo_etf::{Atom, Pid, RefIds, Reference, Term};

pub use call_times::{CallDurations, CALL_BUCKETS_US, CALL_SAMPLE};
pub use context::{Context, Recv};
pub use dest::Dest;
pub use distribution::{ConnectFailure, ConnectFuture, Distribution, MonitorTarget, RemoteSignal};
pub use effects::{Effect, EffectObserver};
pub use error::{CallError, NodeError, NotDistributed, SendError, SpawnError};
pub use info::{resident_memory, InspectProcess, NodeStats, ProcessInfo, ProcessStatus};
pub use observer_options::ObserverOptions;
pub use spawn::SpawnOptions;
pub use timer::TimerHandle;

use crate::process::{Envelope, Payload, ReplyRoute, ReplySlot};
pub(crate) use extensions::Extensions;

#[cfg(feature = "dist")]
pub(crate) use table::Monitoring;
pub(crate) use table::{ExitHook, ProcessEntry, ProcessTable};

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
    /// Serve the observer (web UI and `/metrics`) at this address (feature `observer`; off by
    /// default). Made with `ObserverOptions::new(addr)`.
    pub observer: Option<ObserverOptions>,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            cookie: String::new(),
            creation: None,
            catch_panics: true,
            default_call_timeout: Duration::from_secs(5),
            observer: None,
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
    /// The routes of replies back to this node ([`NodeRoute`]), one per shard of callers.
    routes: Box<[Arc<dyn ReplyRoute>]>,
    pub(in crate::node) name: Atom,
    pub(in crate::node) creation: u32,
    pub(in crate::node) options: NodeOptions,
    pub(in crate::node) table: ProcessTable,
    pub(in crate::node) names: Mutex<crate::fast_hash::FxHashMap<Atom, Pid>>,
    pub(in crate::node) aliases: Mutex<crate::fast_hash::FxHashMap<Reference, AliasTarget>>,
    pub(in crate::node) next_pid: AtomicU64,
    pub(in crate::node) ref_numbers: ref_numbers::RefNumbers,
    /// The distribution layer, once the node is on the network.
    pub(in crate::node) distribution: OnceLock<Arc<dyn Distribution>>,
    /// A test kit's observer of one process's effects (`effects.rs`).
    pub(in crate::node) observer: OnceLock<Arc<dyn EffectObserver>>,
    /// The per-node state of the layers above.
    pub(in crate::node) extensions: Extensions,
    /// The deadlines of the calls in flight, and whether their ticker runs.
    pub(in crate::node) deadlines: deadlines::CallDeadlines,
    pub(in crate::node) ticker_started: std::sync::Once,
    pub(in crate::node) stopped: AtomicBool,
    /// Why the node stopped, once it has (what [`Node::wait`] waits for).
    pub(in crate::node) stop_reason: tokio::sync::watch::Sender<Option<Term>>,
    pub(in crate::node) runtime: tokio::runtime::Handle,
    /// The `From` pid of calls made from outside any process.
    pub(in crate::node) outside_pid: Pid,
    /// Set once any process has its own compression setting (until then none is looked up).
    #[cfg_attr(not(feature = "dist"), allow(dead_code))]
    pub(in crate::node) process_compression_used: Arc<AtomicBool>,
    /// When the node started (its uptime).
    pub(in crate::node) started_at: std::time::Instant,
    /// Envelopes taken by processes that have ended (the live ones count in their entries).
    pub(in crate::node) handled_by_exited: AtomicU64,
    /// Calls handled by gen_servers that have ended.
    pub(in crate::node) calls_by_exited: AtomicU64,
    /// The sampled durations of calls handled.
    pub(in crate::node) call_times: call_times::CallTimes,
}

impl Drop for NodeInner {
    fn drop(&mut self) {
        self.deadlines.wake_ticker();
        if let Some(distribution) = self.distribution.get() {
            distribution.shutdown();
        }
    }
}

/// How many [`NodeRoute`]s a node keeps.
const ROUTES: usize = 16;

/// A reply's way back to this node, which every call's slot holds: the node's name and creation
/// for the tag reference, and a weak handle for aliases and replies sent as messages. A node
/// keeps [`ROUTES`] of them, each its own allocation, and a call takes its caller's: the
/// reference count each call moves is then rarely on a cache line another worker uses. (Slots
/// used to hold the node itself: its count, next to fields every call reads, moved between the
/// workers twice a call.)
struct NodeRoute {
    name: Atom,
    creation: u32,
    node: Weak<NodeInner>,
}

impl ReplyRoute for NodeRoute {
    fn tag_reference(&self, tag_number: u64) -> Reference {
        reference(&self.name, self.creation, tag_number)
    }

    fn register_reply_alias(&self, alias: Reference, slot: Arc<ReplySlot>) {
        // A node that has gone has no aliases to register.
        let Some(inner) = self.node.upgrade() else {
            return;
        };
        // A remote call registered the alias already, with the server's node: keep that entry.
        lock(&inner.aliases)
            .entry(alias)
            .or_insert(AliasTarget::Reply { slot, node: None });
    }

    fn send_reply(&self, caller: &Pid, alias: Option<Reference>, message: Term) -> bool {
        let Some(inner) = self.node.upgrade() else {
            return false;
        };
        let to = match alias {
            Some(alias) => Dest::Alias(alias),
            None => Dest::Pid(caller.clone()),
        };
        Node { inner }
            .send_envelope(None, &to, Envelope::Message(Payload::Term(message)))
            .is_ok()
    }
}

/// A reference of node `name`'s incarnation `creation` for number `n` (three id words, as OTP).
fn reference(name: &Atom, creation: u32, n: u64) -> Reference {
    Reference {
        node: name.clone(),
        creation,
        ids: RefIds::from([n as u32 & 0x3_FFFF, (n >> 18) as u32, (n >> 50) as u32]),
    }
}

/// A running node. Cheap to clone; all clones are the same node.
#[derive(Clone)]
pub struct Node {
    pub(in crate::node) inner: Arc<NodeInner>,
}

/// A node handle that does not keep the node alive (for what the node itself holds, such as
/// its distribution).
#[derive(Clone)]
#[cfg_attr(not(any(feature = "dist", feature = "observer")), allow(dead_code))]
pub(crate) struct WeakNode(Weak<NodeInner>);

#[cfg_attr(not(any(feature = "dist", feature = "observer")), allow(dead_code))]
impl WeakNode {
    /// The node, while it lives.
    pub(crate) fn upgrade(&self) -> Option<Node> {
        self.0.upgrade().map(|inner| Node { inner })
    }
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

/// Whether `ERGO_NORECOVER` asks not to catch panics in processes.
fn norecover() -> bool {
    norecover_value(std::env::var_os("ERGO_NORECOVER"))
}

/// `ERGO_NORECOVER`'s value read as a switch: set, and neither empty nor `0`.
fn norecover_value(value: Option<std::ffi::OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Node {
    /// Starts a local node named `name@host` on the current tokio runtime. To put a node on the
    /// network, start it with `Node::start_distributed` (the `dist` feature).
    pub async fn start(name: &str, options: NodeOptions) -> Result<Node, NodeError> {
        Node::start_sync(name, options)
    }

    /// Like [`Node::start`], for code that is not async (still needs a tokio runtime context).
    pub fn start_sync(name: &str, options: NodeOptions) -> Result<Node, NodeError> {
        Node::build(name, options)
    }

    /// Checks that `name` is `name@host` and a valid atom.
    pub(crate) fn check_name(name: &str) -> Result<Atom, NodeError> {
        let valid = matches!(name.split_once('@'), Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('@'));
        Atom::try_new(name)
            .filter(|_| valid)
            .ok_or_else(|| NodeError::InvalidName(name.to_string()))
    }

    /// Builds the node (the layer that starts a distributed node calls this once it knows the
    /// creation EPMD gave).
    pub(crate) fn build(name: &str, mut options: NodeOptions) -> Result<Node, NodeError> {
        let atom = Node::check_name(name)?;
        if norecover() {
            tracing::warn!(
                node = name,
                "ERGO_NORECOVER is set: panics in processes are not caught"
            );
            options.catch_panics = false;
        }
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
        let inner = Arc::new_cyclic(|me| NodeInner {
            routes: (0..ROUTES)
                .map(|_| {
                    Arc::new(NodeRoute {
                        name: atom.clone(),
                        creation,
                        node: me.clone(),
                    }) as Arc<dyn ReplyRoute>
                })
                .collect(),
            name: atom,
            creation,
            options,
            table: ProcessTable::new(),
            names: Mutex::new(crate::fast_hash::FxHashMap::default()),
            aliases: Mutex::new(crate::fast_hash::FxHashMap::default()),
            next_pid: AtomicU64::new(1),
            ref_numbers: ref_numbers::RefNumbers::new(),
            distribution: OnceLock::new(),
            observer: OnceLock::new(),
            extensions: Extensions::default(),
            deadlines: deadlines::CallDeadlines::new(),
            ticker_started: std::sync::Once::new(),
            stopped: AtomicBool::new(false),
            stop_reason: tokio::sync::watch::Sender::new(None),
            runtime,
            outside_pid,
            process_compression_used: Arc::new(AtomicBool::new(false)),
            started_at: std::time::Instant::now(),
            handled_by_exited: AtomicU64::new(0),
            calls_by_exited: AtomicU64::new(0),
            call_times: call_times::CallTimes::default(),
        });
        tracing::debug!(node = %inner.name, creation, "node started");
        let node = Node { inner };
        if let Some(observer) = &node.inner.options.observer {
            observer.start(&node)?;
        }
        Ok(node)
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
        self.inner.ref_numbers.next()
    }

    /// The reference for a number from [`Node::next_ref_number`].
    pub(crate) fn ref_from_number(&self, n: u64) -> Reference {
        reference(&self.inner.name, self.inner.creation, n)
    }

    /// A handle that does not keep the node alive.
    #[cfg_attr(not(any(feature = "dist", feature = "observer")), allow(dead_code))]
    pub(crate) fn downgrade(&self) -> WeakNode {
        WeakNode(Arc::downgrade(&self.inner))
    }

    /// The tokio runtime the node runs on.
    #[cfg_attr(not(any(feature = "dist", feature = "observer")), allow(dead_code))]
    pub(crate) fn runtime(&self) -> &tokio::runtime::Handle {
        &self.inner.runtime
    }

    /// Set once any process has its own compression setting (until then none is looked up).
    #[cfg_attr(not(feature = "dist"), allow(dead_code))]
    pub(crate) fn process_compression_used(&self) -> &Arc<AtomicBool> {
        &self.inner.process_compression_used
    }

    /// The node as the route of its calls' replies.
    pub(crate) fn reply_route(&self) -> Arc<dyn ReplyRoute> {
        self.call_route(0)
    }

    /// The route of the replies of calls whose caller has `key` (a pid's number): callers
    /// spread over the node's routes.
    pub(crate) fn call_route(&self, key: u64) -> Arc<dyn ReplyRoute> {
        Arc::clone(&self.inner.routes[key as usize % self.inner.routes.len()])
    }

    testing_pub! {
        /// Installs the distribution layer (once: false when one is installed already).
        fn set_distribution(&self, distribution: Arc<dyn Distribution>) -> bool {
            self.inner.distribution.set(distribution).is_ok()
        }
    }

    /// The distribution layer, when the node is on the network.
    pub(crate) fn distribution(&self) -> Option<&Arc<dyn Distribution>> {
        self.inner.distribution.get()
    }

    /// The per-node state of the layers above the node.
    pub(crate) fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    /// Registers a call's deadline (the ticker starts with the first call); dropping the guard
    /// unregisters it.
    pub(crate) fn arm_deadline(
        &self,
        caller: &Pid,
        slot: &Arc<ReplySlot>,
        timeout: Duration,
    ) -> deadlines::Armed<'_> {
        self.inner.ticker_started.call_once(|| {
            let node = Arc::downgrade(&self.inner);
            self.inner.runtime.spawn(deadlines::tick(node));
        });
        let key = u64::from(caller.id) ^ (u64::from(caller.serial) << 32);
        self.inner.deadlines.arm(key, slot, timeout)
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

    /// Stops the node normally (`init:stop/0`): see [`Node::stop_with`].
    pub fn stop(&self) {
        self.stop_with(Term::atom("normal"));
    }

    /// Stops the node with `reason`: every process gets an untrappable `kill` exit signal,
    /// spawning fails, a distributed node closes its connections (peers see `nodedown`) and
    /// leaves EPMD, and [`Node::wait`] resolves with `reason`. The first stop's reason is kept.
    pub fn stop_with(&self, reason: Term) {
        if self.inner.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        if !reason.is_atom("normal") {
            tracing::error!(node = %self.inner.name, %reason, "node stopping");
        } else {
            tracing::info!(node = %self.inner.name, "node stopping");
        }
        if let Some(distribution) = self.distribution() {
            distribution.shutdown();
        }
        let outside = self.inner.outside_pid.clone();
        for entry in self.inner.table.all() {
            self.exit(&outside, &entry.pid, Term::atom("kill"));
        }
        self.inner.stop_reason.send_replace(Some(reason));
    }

    /// Waits until the node stops (by [`Node::stop`], [`Node::stop_with`], or on its own, as when
    /// a permanent application ends) and returns why: `normal`, or the reason it was given. A
    /// program whose node runs until it stops ends `main` with this, so a node that stops is a
    /// process that exits:
    ///
    /// ```no_run
    /// # async fn demo(node: ergo_core::Node) -> Result<(), Box<dyn std::error::Error>> {
    /// let reason = node.wait().await;
    /// if !reason.is_atom("normal") {
    ///     return Err(format!("node stopped: {reason}").into());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self) -> Term {
        let mut reason = self.inner.stop_reason.subscribe();
        let stopped = reason.wait_for(Option::is_some).await;
        match stopped.as_deref() {
            Ok(Some(reason)) => reason.clone(),
            // The sender lives in the node itself, so it outlives every waiter.
            _ => Term::atom("normal"),
        }
    }

    /// A receiver that sees the node stop (its reason), and errs once the node is dropped;
    /// holding it does not keep the node alive.
    #[cfg_attr(not(feature = "observer"), allow(dead_code))]
    pub(crate) fn stop_signal(&self) -> tokio::sync::watch::Receiver<Option<Term>> {
        self.inner.stop_reason.subscribe()
    }

    /// True after [`Node::stop`].
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::norecover_value;

    #[test]
    fn norecover_is_on_when_set_to_anything_but_empty_or_zero() {
        assert!(!norecover_value(None));
        assert!(!norecover_value(Some("".into())));
        assert!(!norecover_value(Some("0".into())));
        assert!(norecover_value(Some("1".into())));
        assert!(norecover_value(Some("yes".into())));
    }
}
