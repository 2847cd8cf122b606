//! The relay: an ergo-rs node (hidden, never dialing out) that admits member nodes over TLS
//! with the admission protocol, keeps each cluster's member table, tells members who joined
//! and left, and relays proxy tunnels between members of one cluster only. The tunnels are the
//! proxy layer's, encrypted end to end between the members; the relay passes sealed frames on.
//!
//! Owns the relay's listener, admission decisions and member table; must not look into the
//! tunnels it relays (the proxy layer's sessions do the relaying).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use ergo_etf::{Atom, Term};
use ring::rand::SecureRandom;
use tokio::net::{TcpListener, TcpStream};

use super::admission::{self, Admission, AdmissionError};
use super::member::{MEMBER_PROCESS, RELAY_MESSAGE};
use super::{RelayCluster, RelayError, RelayOptions};
use crate::dist::handshake;
use crate::dist::DistConnection;
use crate::epmd::routes::split_node_name;
use crate::fast_hash::FxHashMap;
use crate::net::manager::NetManager;
use crate::net::tls::Tls;
use crate::net::{DistOptions, ProxyOptions, TlsOptions, TlsVerify};
use crate::node::{Dest, Node, NodeOptions, SpawnOptions, WeakNode};

/// A running relay ([`Node::start_relay`]).
pub struct Relay {
    node: Node,
    address: SocketAddr,
    state: Arc<RelayState>,
}

/// What a relay has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Members connected now, all clusters.
    pub members: usize,
    /// Members admitted since start.
    pub admitted: u64,
    /// Refused connections by reason: `tls`, `garbage` (not the admission protocol, or too
    /// slow), `unknown_cluster`, `bad_name` (not `name@cluster`), `wrong_secret` (the proof did
    /// not hold: a wrong secret or a replayed proof), `name_taken`, `handshake` (the
    /// distribution handshake after admission failed), `name_mismatch` (the handshake named
    /// another node than the hello).
    pub refused: BTreeMap<String, u64>,
}

/// A member's place in its cluster's table.
enum Slot {
    /// Admitted, its distribution handshake running.
    Admitting,
    /// Connected; membership messages to it carry this token.
    Up { token: [u8; 16] },
}

struct Cluster {
    secret: Vec<u8>,
    members: FxHashMap<Atom, Slot>,
}

/// The relay's member tables and counters.
struct RelayState {
    clusters: Mutex<FxHashMap<String, Cluster>>,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    admitted: AtomicU64,
}

/// A refused connection: the counter's kind, what the relay logs, what the member is told.
struct Refusal {
    kind: &'static str,
    detail: String,
    tell: Option<&'static str>,
}

impl Refusal {
    fn new(kind: &'static str, detail: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            detail: detail.into(),
            tell: None,
        }
    }

    fn told(mut self, tell: &'static str) -> Refusal {
        self.tell = Some(tell);
        self
    }
}

fn admission_refusal(err: AdmissionError) -> Refusal {
    Refusal::new("garbage", err.to_string())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The cluster (host part) of a member's node name.
fn cluster_of(node: &str) -> Option<&str> {
    split_node_name(node).ok().map(|(_, host)| host)
}

impl RelayState {
    fn refused(&self, kind: &'static str) {
        *lock(&self.refused).entry(kind).or_insert(0) += 1;
    }

    /// Decides a proof; on success the name is reserved and the cluster's secret returned.
    fn admit(
        &self,
        cluster: &str,
        name: &str,
        exporter: &[u8; 32],
        nonce: &[u8; 32],
        mac: &[u8; 32],
    ) -> Result<Vec<u8>, Refusal> {
        let mut clusters = lock(&self.clusters);
        let Some(entry) = clusters.get_mut(cluster) else {
            return Err(
                Refusal::new("unknown_cluster", format!("no cluster {cluster:?}"))
                    .told("authentication failed"),
            );
        };
        let atom = Atom::try_new(name).filter(|_| cluster_of(name) == Some(cluster));
        let Some(atom) = atom else {
            return Err(
                Refusal::new("bad_name", format!("{name:?} is not name@{cluster}"))
                    .told("the node name must be name@cluster"),
            );
        };
        if !admission::proof_holds(&entry.secret, exporter, nonce, cluster, name, mac) {
            return Err(Refusal::new(
                "wrong_secret",
                format!("{name}: the proof does not hold (wrong secret or replayed)"),
            )
            .told("authentication failed"));
        }
        if entry.members.contains_key(&atom) {
            return Err(
                Refusal::new("name_taken", format!("{name} is connected already"))
                    .told("the name is taken"),
            );
        }
        entry.members.insert(atom, Slot::Admitting);
        Ok(entry.secret.clone())
    }

    /// Frees a reserved name whose handshake failed.
    fn release(&self, cluster: &str, name: &Atom) {
        if let Some(entry) = lock(&self.clusters).get_mut(cluster) {
            if matches!(entry.members.get(name), Some(Slot::Admitting)) {
                entry.members.remove(name);
            }
        }
    }

    /// The member is up: its token from now on; the others up in its cluster, with tokens.
    /// `None` when its reservation is gone (its cluster was removed meanwhile).
    fn up(&self, cluster: &str, name: &Atom, token: [u8; 16]) -> Option<Vec<(Atom, [u8; 16])>> {
        let mut clusters = lock(&self.clusters);
        let entry = clusters.get_mut(cluster)?;
        let slot = entry.members.get_mut(name)?;
        *slot = Slot::Up { token };
        self.admitted.fetch_add(1, Ordering::Relaxed);
        let others = entry
            .members
            .iter()
            .filter_map(|(n, slot)| match slot {
                Slot::Up { token } if n != name => Some((n.clone(), *token)),
                _ => None,
            })
            .collect();
        Some(others)
    }

    /// The member's connection is gone: the others up in its cluster, with tokens (empty if
    /// it was not up).
    fn down(&self, name: &Atom) -> Vec<(Atom, [u8; 16])> {
        let Some(cluster) = cluster_of(name.as_str()) else {
            return Vec::new();
        };
        let mut clusters = lock(&self.clusters);
        let Some(entry) = clusters.get_mut(cluster) else {
            return Vec::new();
        };
        if !matches!(entry.members.get(name), Some(Slot::Up { .. })) {
            return Vec::new();
        }
        entry.members.remove(name);
        entry
            .members
            .iter()
            .filter_map(|(n, slot)| match slot {
                Slot::Up { token } => Some((n.clone(), *token)),
                Slot::Admitting => None,
            })
            .collect()
    }

    fn is_up(&self, node: &Atom) -> bool {
        let Some(cluster) = cluster_of(node.as_str()) else {
            return false;
        };
        lock(&self.clusters)
            .get(cluster)
            .is_some_and(|c| matches!(c.members.get(node), Some(Slot::Up { .. })))
    }

    /// Which tunnels the relay relays: from a member, in its own name, to a member of its
    /// cluster.
    fn check_transit(&self, peer: &Atom, opener: &str, to: &Atom) -> Result<(), String> {
        if opener != peer.as_str() {
            return Err(format!("{peer} opened a tunnel in the name of {opener}"));
        }
        if cluster_of(peer.as_str()) != cluster_of(to.as_str()) {
            return Err(format!("{peer} and {to} are not in one cluster"));
        }
        if !self.is_up(peer) || !self.is_up(to) {
            return Err(format!("{to} is not a member connected to this relay"));
        }
        Ok(())
    }
}

/// A membership message to one member: `{ergo_relay, Token, What}`.
fn tell(node: &Node, member: &Atom, token: &[u8; 16], what: Term) {
    let message = Term::tuple(vec![
        Term::atom(RELAY_MESSAGE),
        Term::binary(token.to_vec()),
        what,
    ]);
    let dest = Dest::Remote {
        name: Atom::new(MEMBER_PROCESS),
        node: member.clone(),
    };
    if let Err(err) = node.send(dest, message) {
        tracing::warn!(%member, %err, "relay membership message not sent");
    }
}

impl Node {
    /// Starts a relay named `name` (`relay@host`): a hidden node that never dials out, listening
    /// for members on `options.listen` (TLS with `options.tls`'s certificate). Its distribution
    /// listener binds 127.0.0.1 on a free port with a random cookie and no EPMD registration;
    /// members reach it only through the relay listener.
    pub async fn start_relay(name: &str, options: RelayOptions) -> Result<Relay, RelayError> {
        if options.clusters.is_empty() {
            return Err(RelayError::Config(
                "a relay needs at least one cluster".into(),
            ));
        }
        for cluster in &options.clusters {
            check_cluster(cluster)?;
        }
        let rng = ring::rand::SystemRandom::new();
        let mut cookie = [0u8; 24];
        rng.fill(&mut cookie)
            .map_err(|_| RelayError::Config("no system randomness".into()))?;
        let node_options = NodeOptions {
            cookie: cookie.iter().map(|b| format!("{b:02x}")).collect(),
            ..NodeOptions::default()
        };
        let dist = DistOptions {
            listen_address: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            register_with_epmd: false,
            hidden: true,
            proxy: ProxyOptions {
                transit: true,
                accept: false,
                max_hops: 1,
                routes: Vec::new(),
            },
            ..DistOptions::default()
        };
        let node = Node::start_distributed(name, node_options, dist).await?;
        match start_serving(&node, &options).await {
            Ok(relay) => Ok(relay),
            Err(err) => {
                node.stop();
                Err(err)
            }
        }
    }
}

/// A cluster a relay can serve: a non-empty secret, and a name that can be a node name's host
/// part.
fn check_cluster(cluster: &RelayCluster) -> Result<(), RelayError> {
    if cluster.secret.is_empty() {
        return Err(RelayError::Config(format!(
            "cluster {} has an empty secret",
            cluster.name
        )));
    }
    if cluster.name.is_empty() || cluster.name.contains('@') {
        return Err(RelayError::Config(format!(
            "{:?} cannot be the host part of a node name",
            cluster.name
        )));
    }
    Ok(())
}

async fn start_serving(node: &Node, options: &RelayOptions) -> Result<Relay, RelayError> {
    let manager = node.net()?;
    let host = cluster_of(node.name().as_str()).unwrap_or("localhost");
    // Members are authenticated by their cluster secret, not by certificates.
    let tls = TlsOptions {
        identity: options.tls.identity.clone(),
        verify: TlsVerify::InsecureSkipVerify,
    };
    let tls = Arc::new(Tls::new(&tls, host)?);
    let clusters = options
        .clusters
        .iter()
        .map(|c| {
            let cluster = Cluster {
                secret: c.secret.clone(),
                members: FxHashMap::default(),
            };
            (c.name.clone(), cluster)
        })
        .collect();
    let state = Arc::new(RelayState {
        clusters: Mutex::new(clusters),
        refused: Mutex::new(BTreeMap::new()),
        admitted: AtomicU64::new(0),
    });
    manager.proxy.set_refuse_direct(true);
    let weak: Weak<RelayState> = Arc::downgrade(&state);
    manager.proxy.set_transit_check(Arc::new(
        move |peer: &Atom, opener: &str, to: &Atom| match weak.upgrade() {
            Some(state) => state.check_transit(peer, opener, to),
            None => Err("the relay stopped".into()),
        },
    ));
    watch_members(node, &manager, &state)?;
    let listener =
        TcpListener::bind(options.listen)
            .await
            .map_err(|source| RelayError::Listen {
                address: options.listen,
                source,
            })?;
    let address = listener.local_addr().map_err(|source| RelayError::Listen {
        address: options.listen,
        source,
    })?;
    let accept = tokio::spawn(accept_loop(
        listener,
        Arc::downgrade(&manager),
        node.downgrade(),
        Arc::clone(&state),
        tls,
        options.admission_timeout,
    ));
    manager.keep_task(accept.abort_handle());
    tracing::info!(relay = %node.name(), %address, clusters = options.clusters.len(), "relay listening");
    Ok(Relay {
        node: node.clone(),
        address,
        state,
    })
}

/// A process told of every node going down: a member's connection gone means it left.
fn watch_members(
    node: &Node,
    manager: &Arc<NetManager>,
    state: &Arc<RelayState>,
) -> Result<(), RelayError> {
    let state = Arc::clone(state);
    let manager = Arc::downgrade(manager);
    let pid = node
        .spawn(SpawnOptions::default(), move |mut ctx| async move {
            loop {
                let message = match ctx.recv_term().await {
                    Ok(m) => m,
                    Err(reason) => return reason,
                };
                let gone = match message.as_tuple() {
                    Some([tag, Term::Atom(gone)]) if tag.is_atom("nodedown") => gone,
                    Some([tag, _]) if tag.is_atom("nodeup") => continue,
                    _ => {
                        tracing::warn!(
                            ?message,
                            "relay member watcher: unexpected message dropped"
                        );
                        continue;
                    }
                };
                // Only the connection table says a member is gone (anyone may send this).
                let Some(manager) = manager.upgrade() else {
                    return Term::atom("normal");
                };
                if manager.peer_flags(gone).is_some() {
                    continue;
                }
                let others = state.down(gone);
                if !others.is_empty() || cluster_of(gone.as_str()).is_some() {
                    tracing::info!(member = %gone, "relay member left");
                }
                let node = ctx.node().clone();
                for (member, token) in others {
                    let what = Term::tuple(vec![Term::atom("left"), Term::Atom(gone.clone())]);
                    tell(&node, &member, &token, what);
                }
            }
        })
        .map_err(|e| RelayError::Process(e.to_string()))?;
    node.monitor_nodes(&pid, true)
        .map_err(|e| RelayError::Process(e.to_string()))?;
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    manager: Weak<NetManager>,
    node: WeakNode,
    state: Arc<RelayState>,
    tls: Arc<Tls>,
    timeout: std::time::Duration,
) {
    let mut backoff = std::time::Duration::from_millis(10);
    loop {
        let (tcp, addr) = match listener.accept().await {
            Ok(accepted) => {
                backoff = std::time::Duration::from_millis(10);
                accepted
            }
            Err(err) => {
                tracing::warn!(%err, "relay accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(std::time::Duration::from_secs(1));
                continue;
            }
        };
        let (Some(manager), Some(node)) = (manager.upgrade(), node.upgrade()) else {
            return;
        };
        let state = Arc::clone(&state);
        let tls = Arc::clone(&tls);
        tokio::spawn(async move {
            if let Err(refusal) = admit(&manager, &node, &state, &tls, tcp, timeout).await {
                state.refused(refusal.kind);
                if let Some(repeated) = manager.refused_incoming.occur(&addr.ip()) {
                    tracing::warn!(%addr, reason = refusal.kind, detail = %refusal.detail, repeated, "relay member refused");
                }
            }
        });
    }
}

/// Admits one member: TLS, admission, the distribution handshake, the member table.
async fn admit(
    manager: &Arc<NetManager>,
    node: &Node,
    state: &RelayState,
    tls: &Tls,
    tcp: TcpStream,
    timeout: std::time::Duration,
) -> Result<(), Refusal> {
    let _ = tcp.set_nodelay(true);
    let mut stream = tokio::time::timeout(timeout, tls.accept(tcp))
        .await
        .map_err(|_| Refusal::new("tls", "TLS handshake timed out"))?
        .map_err(|e| Refusal::new("tls", e.to_string()))?;
    let exporter =
        admission::exporter(stream.get_ref().1).map_err(|e| Refusal::new("tls", e.to_string()))?;
    let (cluster, name) = match admission::read_message(&mut stream, timeout).await {
        Ok(Admission::Hello { cluster, name }) => (cluster, name),
        Ok(other) => return Err(Refusal::new("garbage", format!("{other:?} before hello"))),
        Err(err) => return Err(admission_refusal(err)),
    };
    let mut nonce = [0u8; 32];
    manager
        .proxy
        .rng
        .fill(&mut nonce)
        .map_err(|_| Refusal::new("tls", "no system randomness"))?;
    let challenge = Admission::Challenge {
        relay: manager.name().to_string(),
        nonce,
    };
    admission::write_message(&mut stream, &challenge)
        .await
        .map_err(admission_refusal)?;
    let mac = match admission::read_message(&mut stream, timeout).await {
        Ok(Admission::Proof { mac }) => mac,
        Ok(other) => {
            return Err(Refusal::new(
                "garbage",
                format!("{other:?} instead of a proof"),
            ))
        }
        Err(err) => return Err(admission_refusal(err)),
    };
    let secret = match state.admit(&cluster, &name, &exporter, &nonce, &mac) {
        Ok(secret) => secret,
        Err(refusal) => {
            let reason = refusal.tell.unwrap_or("refused").to_string();
            let _ = admission::write_message(&mut stream, &Admission::Refused { reason }).await;
            return Err(refusal);
        }
    };
    // `admit` checked the name is an atom.
    let Some(member) = Atom::try_new(&name) else {
        return Err(Refusal::new("bad_name", name));
    };
    let reserved = Reserved {
        state,
        cluster: &cluster,
        name: &member,
        kept: false,
    };
    admission::write_message(&mut stream, &Admission::Welcome)
        .await
        .map_err(admission_refusal)?;
    let cookie = admission::dist_cookie(&secret, &exporter);
    let token = admission::membership_token(&secret, &exporter);
    let endpoint = manager.endpoint();
    let done = handshake::accept(
        stream,
        endpoint.local,
        &cookie,
        endpoint.arbiter,
        &manager.options.handshake,
    )
    .await
    .map_err(|e| Refusal::new("handshake", format!("{name}: {e}")))?;
    if done.peer_name != name {
        return Err(Refusal::new(
            "name_mismatch",
            format!("admitted as {name}, handshook as {}", done.peer_name),
        ));
    }
    let Some(others) = reserved.keep(token) else {
        return Err(Refusal::new(
            "unknown_cluster",
            format!("{name}: cluster {cluster:?} removed during admission"),
        ));
    };
    manager.install_via(
        DistConnection::start(done, &manager.options.connection),
        false,
    );
    // `remove_cluster` takes the member out of the table, then disconnects it: if it ran
    // between `keep` and `install_via`, its disconnect found nothing, and this one closes it.
    if !state.is_up(&member) {
        manager.disconnect(&member, &format!("relay cluster {cluster} removed"));
        return Ok(());
    }
    tracing::info!(%member, %cluster, "relay member joined");
    let list = others
        .iter()
        .map(|(n, _)| Term::Atom(n.clone()))
        .collect::<Vec<_>>();
    tell(
        node,
        &member,
        &token,
        Term::tuple(vec![Term::atom("members"), Term::list(list)]),
    );
    for (other, other_token) in &others {
        let what = Term::tuple(vec![Term::atom("joined"), Term::Atom(member.clone())]);
        tell(node, other, other_token, what);
    }
    Ok(())
}

/// A reserved name, freed unless the member came up.
struct Reserved<'a> {
    state: &'a RelayState,
    cluster: &'a str,
    name: &'a Atom,
    kept: bool,
}

impl Reserved<'_> {
    fn keep(mut self, token: [u8; 16]) -> Option<Vec<(Atom, [u8; 16])>> {
        self.kept = true;
        self.state.up(self.cluster, self.name, token)
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        if !self.kept {
            self.state.release(self.cluster, self.name);
        }
    }
}

impl Relay {
    /// The relay's node.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The address the relay listens on (with the port the system chose for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The members of `cluster` connected now, sorted.
    pub fn members(&self, cluster: &str) -> Vec<Atom> {
        let clusters = lock(&self.state.clusters);
        let mut out: Vec<Atom> = clusters
            .get(cluster)
            .map(|c| {
                c.members
                    .iter()
                    .filter(|(_, s)| matches!(s, Slot::Up { .. }))
                    .map(|(n, _)| n.clone())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Counters: members now, admitted, refused by reason.
    pub fn stats(&self) -> RelayStats {
        let members = lock(&self.state.clusters)
            .values()
            .map(|c| {
                c.members
                    .values()
                    .filter(|s| matches!(s, Slot::Up { .. }))
                    .count()
            })
            .sum();
        RelayStats {
            members,
            admitted: self.state.admitted.load(Ordering::Relaxed),
            refused: lock(&self.state.refused)
                .iter()
                .map(|(k, n)| ((*k).to_string(), *n))
                .collect(),
        }
    }

    /// Serves one more cluster from now on (no restart). An error if the relay serves a
    /// cluster of that name already, or the cluster is invalid (an empty secret, a name that
    /// cannot be a node name's host part).
    pub fn add_cluster(&self, cluster: RelayCluster) -> Result<(), RelayError> {
        check_cluster(&cluster)?;
        let mut clusters = lock(&self.state.clusters);
        if clusters.contains_key(&cluster.name) {
            return Err(RelayError::Config(format!(
                "the relay serves cluster {} already",
                cluster.name
            )));
        }
        tracing::info!(relay = %self.node.name(), cluster = %cluster.name, "relay cluster added");
        let entry = Cluster {
            secret: cluster.secret,
            members: FxHashMap::default(),
        };
        clusters.insert(cluster.name, entry);
        Ok(())
    }

    /// Stops serving `cluster`: new members of it are refused (as an unknown cluster), and
    /// its members connected now are disconnected, each with a logged reason (their tunnels
    /// through the relay end with them). The members disconnected, sorted; `None` if the relay
    /// did not serve `cluster`.
    pub fn remove_cluster(&self, cluster: &str) -> Option<Vec<Atom>> {
        let removed = lock(&self.state.clusters).remove(cluster)?;
        // A member still admitting finds its reservation gone and closes itself (`admit`).
        let mut members: Vec<Atom> = removed
            .members
            .into_iter()
            .filter_map(|(name, slot)| matches!(slot, Slot::Up { .. }).then_some(name))
            .collect();
        members.sort();
        tracing::info!(relay = %self.node.name(), %cluster, members = members.len(), "relay cluster removed");
        let Ok(manager) = self.node.net() else {
            return Some(members);
        };
        let why = format!("relay cluster {cluster} removed");
        for member in &members {
            if manager.disconnect(member, &why) {
                tracing::info!(%member, %cluster, "relay member disconnected: its cluster was removed");
            }
        }
        Some(members)
    }

    /// The clusters the relay serves, sorted.
    pub fn clusters(&self) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.state.clusters).keys().cloned().collect();
        names.sort();
        names
    }

    /// Stops the relay's node: every member connection and tunnel through it ends.
    pub fn stop(&self) {
        self.node.stop();
    }
}
