//! A relay member: a node that joins its cluster through one or more relays
//! ([`Node::join_relays`]). For each relay a task keeps a connection (TCP out, TLS, the
//! admission protocol, the distribution handshake), reconnecting with backoff; the membership
//! process (`ergo_relay_member`) takes the relays' member lists, keeps a proxy route to every
//! other member through a relay that is up (moving it to another relay when that one goes) and
//! publishes [`RelayEvent`]s.
//!
//! Owns the member side; must not relay anything (the relay and the proxy layer do) nor
//! change how a tunnel works (routes are ordinary encrypted proxy routes).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ergo_etf::{Atom, Pid, Term};
use ring::rand::SecureRandom;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::admission::{self, Admission};
use super::{RelayError, RelayEvent, RelayMemberOptions, RELAY_EVENT};
use crate::dist::DistConnection;
use crate::epmd::routes::split_node_name;
use crate::fast_hash::FxHashMap;
use crate::net::manager::NetManager;
use crate::net::tls::Tls;
use crate::net::{ProxyRoute, TlsIdentity, TlsOptions};
use crate::node::{Context, Dest, Node, SpawnOptions};

/// The registered name of the membership process on a member.
pub const MEMBER_PROCESS: &str = "ergo_relay_member";
/// The tag of a relay's membership message: `{ergo_relay, Token, What}`.
pub(crate) const RELAY_MESSAGE: &str = "ergo_relay";
/// The tag of a connection task's report to the membership process.
const LOCAL_MESSAGE: &str = "ergo_relay_local";

/// This member's view, shared with [`RelayMembership`].
#[derive(Default)]
struct View {
    /// Members reachable now, and the relay (address) each route goes through.
    members: FxHashMap<Atom, String>,
    /// Relays up now (addresses).
    relays_up: BTreeSet<String>,
}

/// A node's membership through relays (what [`Node::join_relays`] returns).
pub struct RelayMembership {
    pid: Pid,
    view: Arc<Mutex<View>>,
    tasks: Vec<tokio::task::AbortHandle>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RelayMembership {
    /// The other members reachable now, sorted.
    pub fn members(&self) -> Vec<Atom> {
        let mut out: Vec<Atom> = lock(&self.view).members.keys().cloned().collect();
        out.sort();
        out
    }

    /// The relay (address) the route to `member` goes through now.
    pub fn route_of(&self, member: &str) -> Option<String> {
        let member = Atom::try_new(member)?;
        lock(&self.view).members.get(&member).cloned()
    }

    /// The relays up now (addresses), sorted.
    pub fn relays_up(&self) -> Vec<String> {
        lock(&self.view).relays_up.iter().cloned().collect()
    }

    /// The membership process (owner of the [`RELAY_EVENT`] event).
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// Stops reconnecting to the relays (connections up stay until they end).
    pub fn stop_reconnecting(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// One relay as the membership process sees it.
struct RelaySlot {
    address: String,
    /// The relay's node and the membership token, while up.
    up: Option<(Atom, [u8; 16])>,
    /// The members it lists.
    members: BTreeSet<Atom>,
    /// Tells the relay's connection task the connection is gone.
    down: Arc<Notify>,
}

/// What the membership process keeps.
struct Membership {
    node: Node,
    manager: Arc<NetManager>,
    me: Atom,
    cluster: String,
    connect_members: bool,
    local_key: [u8; 16],
    event: crate::event::EventToken,
    slots: Vec<RelaySlot>,
    /// Each reachable member's relay (index into `slots`).
    routes: FxHashMap<Atom, usize>,
    view: Arc<Mutex<View>>,
}

impl Node {
    /// Joins this node's cluster through `options.relays`. The node must be distributed and
    /// named `name@cluster` (the cluster is its host part; the node is reached by that name
    /// only through relays). Returns once the membership process runs; the relays are
    /// connected in the background (watch [`RELAY_EVENT`] or [`RelayMembership::relays_up`]).
    pub async fn join_relays(
        &self,
        options: RelayMemberOptions,
    ) -> Result<RelayMembership, RelayError> {
        let manager = self.net()?;
        let me = self.name().clone();
        let cluster = split_node_name(me.as_str())
            .map(|(_, host)| host.to_string())
            .map_err(|_| RelayError::MemberName(me.to_string()))?;
        if options.relays.is_empty() {
            return Err(RelayError::Config("no relay address".into()));
        }
        if options.secret.is_empty() {
            return Err(RelayError::Config("an empty cluster secret".into()));
        }
        let mut hosts = Vec::new();
        for address in &options.relays {
            match address.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => hosts
                    .push(
                        host.trim_start_matches('[')
                            .trim_end_matches(']')
                            .to_string(),
                    ),
                _ => return Err(RelayError::Address(address.clone())),
            }
        }
        if self.whereis(MEMBER_PROCESS).is_some() {
            return Err(RelayError::AlreadyMember);
        }
        let tls = TlsOptions {
            identity: TlsIdentity::SelfSigned,
            verify: options.verify.clone(),
        };
        let tls = Arc::new(Tls::new(&tls, &cluster)?);
        let mut local_key = [0u8; 16];
        manager
            .proxy
            .rng
            .fill(&mut local_key)
            .map_err(|_| RelayError::Config("no system randomness".into()))?;
        if options.refuse_direct {
            manager.proxy.set_refuse_direct(true);
        }
        let slots: Vec<RelaySlot> = options
            .relays
            .iter()
            .map(|address| RelaySlot {
                address: address.clone(),
                up: None,
                members: BTreeSet::new(),
                down: Arc::new(Notify::new()),
            })
            .collect();
        let downs: Vec<Arc<Notify>> = slots.iter().map(|s| Arc::clone(&s.down)).collect();
        let view = Arc::new(Mutex::new(View::default()));
        let (ready, started) = tokio::sync::oneshot::channel();
        let state = (
            Arc::clone(&manager),
            me.clone(),
            cluster.clone(),
            options.connect_members,
            local_key,
            slots,
            Arc::clone(&view),
        );
        let pid = self
            .spawn_behaviour(
                "relay_member",
                SpawnOptions::named(MEMBER_PROCESS),
                move |ctx| async move {
                    let (manager, me, cluster, connect_members, local_key, slots, view) = state;
                    let node = ctx.node().clone();
                    let event = match node.register_event(ctx.pid(), RELAY_EVENT) {
                        Ok(token) => token,
                        Err(err) => {
                            let _ = ready.send(Err(err.to_string()));
                            return Term::atom("normal");
                        }
                    };
                    let _ = ready.send(Ok(()));
                    let membership = Membership {
                        node,
                        manager,
                        me,
                        cluster,
                        connect_members,
                        local_key,
                        event,
                        slots,
                        routes: FxHashMap::default(),
                        view,
                    };
                    membership.run(ctx).await
                },
            )
            .map_err(|e| RelayError::Process(e.to_string()))?;
        match started.await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err(RelayError::Process(why)),
            Err(_) => return Err(RelayError::Process("it ended at once".into())),
        }
        self.monitor_nodes(&pid, true)
            .map_err(|e| RelayError::Process(e.to_string()))?;
        let mut tasks = Vec::new();
        for (index, (address, host)) in options.relays.iter().zip(hosts).enumerate() {
            let keeper = Keeper {
                manager: Arc::downgrade(&manager),
                tls: Arc::clone(&tls),
                index,
                address: address.clone(),
                host,
                cluster: cluster.clone(),
                secret: options.secret.clone(),
                membership: pid.clone(),
                local_key,
                down: Arc::clone(&downs[index]),
                backoff_min: options.backoff_min,
                backoff_max: options.backoff_max.max(options.backoff_min),
            };
            let task = tokio::spawn(keeper.run());
            manager.keep_task(task.abort_handle());
            tasks.push(task.abort_handle());
        }
        Ok(RelayMembership { pid, view, tasks })
    }
}

/// Keeps one relay connected.
struct Keeper {
    manager: std::sync::Weak<NetManager>,
    tls: Arc<Tls>,
    index: usize,
    address: String,
    host: String,
    cluster: String,
    secret: Vec<u8>,
    membership: Pid,
    local_key: [u8; 16],
    down: Arc<Notify>,
    backoff_min: Duration,
    backoff_max: Duration,
}

impl Keeper {
    fn report(&self, manager: &NetManager, what: Vec<Term>) -> bool {
        let Some(node) = manager.node() else {
            return false;
        };
        let mut message = vec![
            Term::atom(LOCAL_MESSAGE),
            Term::binary(self.local_key.to_vec()),
            Term::Int(self.index as i64),
        ];
        message.extend(what);
        node.send(Dest::Pid(self.membership.clone()), Term::tuple(message))
            .is_ok()
    }

    async fn run(self) {
        let mut backoff = self.backoff_min;
        loop {
            let Some(manager) = self.manager.upgrade() else {
                return;
            };
            match self.connect(&manager).await {
                Ok((relay, token, connection)) => {
                    let up = vec![
                        Term::atom("up"),
                        Term::Atom(relay.clone()),
                        Term::binary(token.to_vec()),
                    ];
                    // Told before the connection is installed, so the membership process
                    // knows the token before the relay's first membership message.
                    if !self.report(&manager, up) {
                        return;
                    }
                    manager.install_via(connection, false);
                    drop(manager);
                    backoff = self.backoff_min;
                    self.down.notified().await;
                    tracing::info!(relay = %self.address, "relay connection lost; reconnecting");
                }
                Err(reason) => {
                    tracing::warn!(relay = %self.address, %reason, retry_in = ?backoff, "relay connection failed");
                    let refused = vec![Term::atom("refused"), Term::binary(reason.into_bytes())];
                    if !self.report(&manager, refused) {
                        return;
                    }
                    drop(manager);
                }
            }
            tokio::time::sleep(jitter(backoff)).await;
            backoff = (backoff * 2).min(self.backoff_max);
        }
    }

    /// One attempt: TCP, TLS, admission, the distribution handshake.
    async fn connect(
        &self,
        manager: &NetManager,
    ) -> Result<(Atom, [u8; 16], DistConnection), String> {
        let setup = manager.options.handshake.setup_timeout;
        let tcp = tokio::time::timeout(setup, TcpStream::connect(&self.address))
            .await
            .map_err(|_| "TCP connect timed out".to_string())?
            .map_err(|e| format!("TCP connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let mut stream = tokio::time::timeout(setup, self.tls.connect(&self.host, tcp))
            .await
            .map_err(|_| "TLS handshake timed out".to_string())?
            .map_err(|e| format!("TLS: {e}"))?;
        let exporter =
            admission::exporter(stream.get_ref().1).map_err(|e| format!("TLS exporter: {e}"))?;
        let me = manager.name().to_string();
        let hello = Admission::Hello {
            cluster: self.cluster.clone(),
            name: me.clone(),
        };
        admission::write_message(&mut stream, &hello)
            .await
            .map_err(|e| e.to_string())?;
        let (relay, nonce) = match admission::read_message(&mut stream, setup).await {
            Ok(Admission::Challenge { relay, nonce }) => (relay, nonce),
            Ok(Admission::Refused { reason }) => return Err(format!("refused: {reason}")),
            Ok(other) => return Err(format!("unexpected {other:?}")),
            Err(e) => return Err(e.to_string()),
        };
        let relay = Atom::try_new(&relay)
            .filter(|r| split_node_name(r.as_str()).is_ok())
            .ok_or_else(|| format!("the relay's name {relay:?} is not a node name"))?;
        let mac = admission::proof(&self.secret, &exporter, &nonce, &self.cluster, &me);
        admission::write_message(&mut stream, &Admission::Proof { mac })
            .await
            .map_err(|e| e.to_string())?;
        match admission::read_message(&mut stream, setup).await {
            Ok(Admission::Welcome) => {}
            Ok(Admission::Refused { reason }) => return Err(format!("refused: {reason}")),
            Ok(other) => return Err(format!("unexpected {other:?}")),
            Err(e) => return Err(e.to_string()),
        }
        let cookie = admission::dist_cookie(&self.secret, &exporter);
        let token = admission::membership_token(&self.secret, &exporter);
        let endpoint = crate::net::transport::Endpoint {
            cookie: &cookie,
            ..manager.endpoint()
        };
        let connection = crate::net::transport::initiate(
            &endpoint,
            stream,
            relay.as_str(),
            &manager.options.handshake,
        )
        .await
        .map_err(|e| format!("distribution handshake with {relay}: {e}"))?;
        Ok((relay, token, connection))
    }
}

/// `wait` plus up to half of it again, so members do not reconnect in step.
fn jitter(wait: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let extra = match ring::rand::SystemRandom::new().fill(&mut byte) {
        Ok(()) => wait * u32::from(byte[0]) / 510,
        Err(_) => Duration::ZERO,
    };
    wait + extra
}

fn token_of(term: &Term) -> Option<[u8; 16]> {
    match term {
        Term::Binary(b) if b.len() == 16 => {
            let mut out = [0u8; 16];
            out.copy_from_slice(b);
            Some(out)
        }
        _ => None,
    }
}

fn same(a: &[u8; 16], b: &[u8; 16]) -> bool {
    admission::same_bytes(a, b)
}

impl Membership {
    async fn run(mut self, mut ctx: Context) -> Term {
        loop {
            let message = match ctx.recv_term().await {
                Ok(m) => m,
                Err(reason) => return reason,
            };
            self.handle(&message);
        }
    }

    fn publish(&self, event: RelayEvent) {
        if let Err(err) = self.node.publish_event(&self.event, event) {
            tracing::warn!(%err, "relay membership event not published");
        }
    }

    fn handle(&mut self, message: &Term) {
        let Some(items) = message.as_tuple() else {
            tracing::warn!(
                ?message,
                "relay membership process: unexpected message dropped"
            );
            return;
        };
        match items {
            [tag, key, Term::Int(index), rest @ ..] if tag.is_atom(LOCAL_MESSAGE) => {
                let genuine = token_of(key).is_some_and(|k| same(&k, &self.local_key));
                let slot = usize::try_from(*index)
                    .ok()
                    .filter(|i| *i < self.slots.len());
                match (genuine, slot) {
                    (true, Some(index)) => self.local(index, rest),
                    _ => tracing::warn!("forged relay connection report dropped"),
                }
            }
            [tag, token, what] if tag.is_atom(RELAY_MESSAGE) => {
                let from = token_of(token).and_then(|t| {
                    self.slots
                        .iter()
                        .position(|s| s.up.as_ref().is_some_and(|(_, mine)| same(mine, &t)))
                });
                match from {
                    Some(index) => self.relay_said(index, what),
                    None => {
                        tracing::warn!("relay membership message with an unknown token dropped")
                    }
                }
            }
            [tag, Term::Atom(node)] if tag.is_atom("nodedown") => self.node_down(node),
            [tag, _] if tag.is_atom("nodeup") => {}
            _ => tracing::warn!(
                ?message,
                "relay membership process: unexpected message dropped"
            ),
        }
    }

    /// A connection task's report.
    fn local(&mut self, index: usize, what: &[Term]) {
        let address = self.slots[index].address.clone();
        match what {
            [tag, Term::Atom(relay), token] if tag.is_atom("up") => {
                let Some(token) = token_of(token) else { return };
                self.slots[index].up = Some((relay.clone(), token));
                lock(&self.view).relays_up.insert(address.clone());
                tracing::info!(relay = %address, node = %relay, "relay up");
                self.publish(RelayEvent::RelayUp {
                    relay: address,
                    node: relay.clone(),
                });
            }
            [tag, Term::Binary(reason)] if tag.is_atom("refused") => {
                self.publish(RelayEvent::RelayRefused {
                    relay: address,
                    reason: String::from_utf8_lossy(reason).into_owned(),
                });
            }
            _ => tracing::warn!("malformed relay connection report dropped"),
        }
    }

    /// A node went down: if it is a relay of ours (and really gone), its routes move.
    fn node_down(&mut self, node: &Atom) {
        let Some(index) = self
            .slots
            .iter()
            .position(|s| s.up.as_ref().is_some_and(|(n, _)| n == node))
        else {
            return;
        };
        // Anyone may send `{nodedown, N}`: only the connection table says it is so.
        if self.manager.peer_flags(node).is_some() {
            return;
        }
        let slot = &mut self.slots[index];
        slot.up = None;
        let listed = std::mem::take(&mut slot.members);
        let address = slot.address.clone();
        lock(&self.view).relays_up.remove(&address);
        tracing::info!(relay = %address, "relay down");
        self.publish(RelayEvent::RelayDown {
            relay: address,
            reason: format!("the connection to {node} was lost"),
        });
        for member in listed {
            self.unlisted(index, &member);
        }
        self.slots[index].down.notify_one();
    }

    /// A membership message from relay `index`.
    fn relay_said(&mut self, index: usize, what: &Term) {
        let Some(items) = what.as_tuple() else {
            tracing::warn!(?what, "malformed relay membership message dropped");
            return;
        };
        match items {
            [tag, Term::List(members)] if tag.is_atom("members") => {
                for member in members {
                    if let Term::Atom(member) = member {
                        self.listed(index, member);
                    }
                }
            }
            [tag, Term::Atom(member)] if tag.is_atom("joined") => self.listed(index, member),
            [tag, Term::Atom(member)] if tag.is_atom("left") => {
                if self.slots[index].members.remove(member) {
                    self.unlisted(index, member);
                }
            }
            _ => tracing::warn!(?what, "malformed relay membership message dropped"),
        }
    }

    fn in_cluster(&self, member: &Atom) -> bool {
        *member != self.me
            && split_node_name(member.as_str()).is_ok_and(|(_, host)| host == self.cluster)
    }

    /// Relay `index` lists `member`: it gets a route unless it has one.
    fn listed(&mut self, index: usize, member: &Atom) {
        if !self.in_cluster(member) {
            tracing::warn!(%member, "relay listed a node outside this cluster; ignored");
            return;
        }
        self.slots[index].members.insert(member.clone());
        if !self.routes.contains_key(member) {
            self.route(member, index);
            self.publish(RelayEvent::MemberJoined {
                node: member.clone(),
                relay: self.slots[index].address.clone(),
            });
        }
    }

    /// Relay `index` no longer lists `member`: its route moves to another relay that lists it,
    /// or it left.
    fn unlisted(&mut self, index: usize, member: &Atom) {
        if self.routes.get(member) != Some(&index) {
            return;
        }
        let other = self
            .slots
            .iter()
            .position(|s| s.up.is_some() && s.members.contains(member));
        match other {
            Some(other) => {
                tracing::info!(%member, relay = %self.slots[other].address, "relay route moved");
                self.route(member, other);
            }
            None => {
                self.routes.remove(member);
                self.manager.proxy.set_route(member.clone(), None);
                lock(&self.view).members.remove(member);
                self.publish(RelayEvent::MemberLeft {
                    node: member.clone(),
                });
            }
        }
    }

    /// Routes `member` through relay `index` (encrypted end to end), and connects to it if
    /// this member is the one of the two that connects.
    fn route(&mut self, member: &Atom, index: usize) {
        let Some((relay, _)) = &self.slots[index].up else {
            return;
        };
        let route = ProxyRoute::via(relay.as_str()).encrypted();
        self.manager.proxy.set_route(member.clone(), Some(route));
        self.routes.insert(member.clone(), index);
        lock(&self.view)
            .members
            .insert(member.clone(), self.slots[index].address.clone());
        if self.connect_members && self.me < *member {
            let node = self.node.clone();
            let member = member.clone();
            tokio::spawn(async move {
                if let Err(err) = node.connect(member.as_str()).await {
                    tracing::info!(%member, %err, "connecting to a relay member failed");
                }
            });
        }
    }
}
