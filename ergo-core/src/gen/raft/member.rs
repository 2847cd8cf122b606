//! A running member: [`RaftMember`] starts the engine (openraft with the distribution as its
//! transport and the given log), the registered raft process, the callbacks' task, and the
//! member's manager, which probes the peers, forms the cluster once 3 are online, adds new
//! peers as learners and moves the voter set through joint consensus. Appends and reads go to
//! the leader's raft process, wherever the caller is. Owns the member's life and its API; must
//! not serve requests (that is `service`) or decide who votes (that is `quorum`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ergo_etf::{Atom, Pid, Term};
use openraft::error::{CheckIsLeaderError, RaftError};
use openraft::metrics::RaftServerMetrics;
use openraft::{Config, Raft, RaftMetrics, ServerState, SnapshotPolicy};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::batcher::AppendQueue;
use super::callbacks::{run_callbacks, RaftCallbacks, RaftEvent};
use super::error::GenRaftError;
use super::log_store::{LogStorage, MemLog};
use super::network::{call_peer, ErgoNetwork, RpcFailure};
use super::options::RaftOptions;
use super::quorum::{choose_voters, voter_count, Candidate};
use super::service::{self, PeerStatus, NOT_CONFIRMED, NOT_LEADER, NO_QUORUM, TIMEOUT};
use super::state_machine::KvMachine;
use super::types::{node_id, AppendCommand, PeerAddr, RaftTypes};
use super::wire::{self, RpcKind, RpcRequest};
use crate::node::{CallError, Node, SpawnOptions};

/// What the service, the manager and the handle share.
pub(super) struct MemberCore {
    pub(super) node: Node,
    pub(super) options: RaftOptions,
    pub(super) cluster: Arc<[u8]>,
    pub(super) id: u64,
    pub(super) raft: Raft<RaftTypes>,
    pub(super) machine: KvMachine,
    /// Appends waiting for the next log entry, while this member leads.
    pub(super) appends: AppendQueue,
    events: mpsc::UnboundedSender<RaftEvent>,
    stopped: AtomicBool,
    /// The next request number of this member's appends (starting from the start time in
    /// nanoseconds, so a restarted member does not reuse one).
    next_request: AtomicU64,
    /// The term this member leads in and since when (set when first seen leading), for the
    /// step-down of a leader that never heard from a majority.
    leading_since: std::sync::Mutex<Option<(u64, Instant)>>,
    /// Test hook: the nodes this member sends no AppendEntries to.
    #[cfg(feature = "forge-signals")]
    held_replication: super::network::HeldReplication,
}

impl MemberCore {
    fn metrics(&self) -> RaftMetrics<u64, PeerAddr> {
        self.raft.metrics().borrow().clone()
    }

    /// The engine's leader, term and membership (changes only when one of those does, unlike
    /// the full metrics, which change with every entry).
    fn server_metrics(&self) -> RaftServerMetrics<u64, PeerAddr> {
        self.raft.server_metrics().borrow().clone()
    }

    /// Whether this member leads in openraft but has lost its majority: no majority
    /// acknowledged its heartbeats or appends for longer than the longest election timeout
    /// (by then the others may have elected a new leader). openraft 0.9 keeps such a leader
    /// leading; gen_raft steps it down at its own layer: it reports no leader and answers
    /// appends and reads `no_quorum` at once, until a majority acknowledges it again.
    pub(super) fn quorum_lost(&self) -> bool {
        let metrics = self.raft.metrics();
        let (state, term, acked) = {
            let m = metrics.borrow();
            (m.state, m.current_term, m.millis_since_quorum_ack)
        };
        let mut since = self
            .leading_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state != ServerState::Leader {
            *since = None;
            return false;
        }
        let limit = self.options.election_timeout.1;
        match acked {
            Some(millis) => Duration::from_millis(millis) > limit,
            None => match *since {
                Some((t, at)) if t == term => at.elapsed() > limit,
                _ => {
                    *since = Some((term, Instant::now()));
                    false
                }
            },
        }
    }

    /// What a probe answers.
    pub(super) fn status(&self) -> PeerStatus {
        let metrics = self.metrics();
        PeerStatus {
            initialized: metrics
                .membership_config
                .membership()
                .voter_ids()
                .next()
                .is_some(),
            last_log_index: metrics.last_log_index.unwrap_or(0),
        }
    }

    /// Confirms this member still leads (a heartbeat round acknowledged by a majority) and
    /// waits until it applied everything committed before: a read after this is linearizable.
    pub(super) async fn read_index(&self) -> Result<(), &'static str> {
        if self.quorum_lost() {
            return Err(NO_QUORUM);
        }
        match tokio::time::timeout(
            self.options.request_timeout,
            self.raft.ensure_linearizable(),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(_)))) => Err(NOT_LEADER),
            Ok(Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(_)))) => {
                Err(NOT_CONFIRMED)
            }
            Ok(Err(RaftError::Fatal(error))) => {
                tracing::debug!(%error, "gen_raft: read on a stopped engine");
                Err(NOT_LEADER)
            }
            Err(_) => Err(TIMEOUT),
        }
    }

    fn peer(&self, node: &str) -> PeerAddr {
        PeerAddr {
            name: self.options.name.clone(),
            node: node.to_string(),
        }
    }

    fn emit(&self, event: RaftEvent) {
        if self.events.send(event).is_err() {
            tracing::debug!("gen_raft: event not delivered, callbacks gone");
        }
    }
}

/// A handle on a running gen_raft member (clones share it).
#[derive(Clone)]
pub struct RaftMember {
    core: Arc<MemberCore>,
    pid: Pid,
}

impl std::fmt::Debug for RaftMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftMember")
            .field("cluster", &self.core.options.cluster)
            .field("node", self.core.node.name())
            .field("pid", &self.pid)
            .finish()
    }
}

impl RaftMember {
    /// Starts a member on `node` with an in-memory log and no callbacks.
    pub async fn start_in_memory(
        node: &Node,
        options: RaftOptions,
    ) -> Result<RaftMember, GenRaftError> {
        RaftMember::start(node, options, MemLog::new(), ()).await
    }

    /// Starts a member on `node`: the engine on `log`, the raft process registered as
    /// `options.name`, and `callbacks`.
    pub async fn start(
        node: &Node,
        options: RaftOptions,
        log: impl LogStorage,
        callbacks: impl RaftCallbacks,
    ) -> Result<RaftMember, GenRaftError> {
        let millis = |d: Duration| d.as_millis().min(u128::from(u64::MAX)) as u64;
        let config = Config {
            cluster_name: options.cluster.clone(),
            heartbeat_interval: millis(options.heartbeat),
            election_timeout_min: millis(options.election_timeout.0),
            election_timeout_max: millis(options.election_timeout.1),
            snapshot_policy: match options.snapshot_every {
                Some(entries) => SnapshotPolicy::LogsSinceLast(entries),
                None => SnapshotPolicy::Never,
            },
            ..Config::default()
        }
        .validate()
        .map_err(|e| GenRaftError::Options(e.to_string()))?;
        let cluster: Arc<[u8]> = options.cluster.as_bytes().into();
        let id = node_id(node.name().as_str());
        let (applied_tx, applied_rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let machine = KvMachine::new(callbacks.handles_appends().then_some(applied_tx));
        let network = ErgoNetwork::new(node.clone(), Arc::clone(&cluster), options.rpc_timeout);
        #[cfg(feature = "forge-signals")]
        let held_replication = Arc::clone(&network.held);
        let raft = Raft::new(id, Arc::new(config), network, log, machine.clone())
            .await
            .map_err(|e| GenRaftError::Engine(e.to_string()))?;
        let core = Arc::new(MemberCore {
            node: node.clone(),
            options,
            cluster,
            id,
            appends: AppendQueue::start(raft.clone()),
            raft,
            machine,
            events: events_tx,
            stopped: AtomicBool::new(false),
            next_request: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0),
            ),
            leading_since: std::sync::Mutex::new(None),
            #[cfg(feature = "forge-signals")]
            held_replication,
        });
        let served = Arc::clone(&core);
        let spawned = node.spawn_behaviour(
            "gen_raft",
            SpawnOptions::named(&core.options.name),
            move |ctx| service::serve(ctx, served),
        );
        let pid = match spawned {
            Ok(pid) => pid,
            Err(error) => {
                let _ = core.raft.shutdown().await;
                return Err(error.into());
            }
        };
        tokio::spawn(run_callbacks(callbacks, applied_rx, events_rx));
        tokio::spawn(watch_metrics(Arc::clone(&core)));
        tokio::spawn(manage(Arc::clone(&core), pid.clone()));
        Ok(RaftMember { core, pid })
    }

    /// The raft process's pid.
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// This member's Raft node id.
    pub fn node_id(&self) -> u64 {
        self.core.id
    }

    /// Appends `key => value` and returns its serial once a majority committed it. From any
    /// member or learner: the request goes to the leader. `NoQuorum` at once while no cluster
    /// is formed (fewer than 3 peers); `NoQuorum` too when no leader shows up within two election
    /// timeouts, a leader that lost its majority (no majority acknowledged it for longer than
    /// the longest election timeout) counting as none: it steps down, and the append never
    /// enters its log; `Timeout` when it did not commit within the request timeout. An append whose answer was
    /// lost with a failing leader is sent again to the next one; it carries a request id, so the
    /// state machine applies it once and answers the same serial.
    pub async fn append(&self, key: &Term, value: &Term) -> Result<u64, GenRaftError> {
        let command = AppendCommand {
            request: (
                self.core.id,
                self.core.next_request.fetch_add(1, Ordering::Relaxed),
            ),
            key: encode_term(key)?,
            value: encode_term(value)?,
        };
        self.on_leader(RpcKind::ClientWrite, &command).await
    }

    /// The latest value appended under `key` and its serial, read linearizably (the leader
    /// confirms its leadership with a majority, then answers from its applied state).
    pub async fn get(&self, key: &Term) -> Result<Option<(u64, Term)>, GenRaftError> {
        let found: Option<(u64, Vec<u8>)> =
            self.on_leader(RpcKind::ReadKey, &encode_term(key)?).await?;
        found
            .map(|(serial, value)| Ok((serial, decode_term(&value)?)))
            .transpose()
    }

    /// The append with `serial`: its key and value (committed entries never change, so one
    /// applied here is answered here; otherwise the leader answers).
    pub async fn get_serial(&self, serial: u64) -> Result<Option<(Term, Term)>, GenRaftError> {
        let found = match self.core.machine.get_serial(serial).await {
            Some(found) => Some(found),
            None => self.on_leader(RpcKind::ReadSerial, &serial).await?,
        };
        found
            .map(|(key, value)| Ok((decode_term(&key)?, decode_term(&value)?)))
            .transpose()
    }

    /// The leader this member knows of, and the term. `None` also while this member leads
    /// without a majority (it stepped down, see [`RaftMember::append`]).
    pub fn leader(&self) -> Option<(Atom, u64)> {
        let metrics = self.core.server_metrics();
        let leader = metrics.current_leader?;
        if leader == self.core.id && self.core.quorum_lost() {
            return None;
        }
        let peer = metrics
            .membership_config
            .membership()
            .get_node(&leader)?
            .clone();
        Some((Atom::new(&peer.node), metrics.vote.leader_id().term))
    }

    /// The voting members' nodes, as this member knows them.
    pub fn members(&self) -> Vec<Atom> {
        voter_nodes(&self.core.server_metrics())
    }

    /// The learners' nodes (non-voting members), as this member knows them.
    pub fn learners(&self) -> Vec<Atom> {
        let metrics = self.core.server_metrics();
        let membership = metrics.membership_config.membership();
        membership
            .learner_ids()
            .filter_map(|id| membership.get_node(&id))
            .map(|p| Atom::new(&p.node))
            .collect()
    }

    /// Whether the member was stopped ([`RaftMember::stop`], its node stopped, or its raft
    /// process gone).
    pub fn is_stopped(&self) -> bool {
        self.core.stopped.load(Ordering::Acquire)
    }

    /// The last serial applied on this member.
    pub async fn last_serial(&self) -> u64 {
        self.core.machine.last_serial().await
    }

    /// Test hook (feature `forge-signals`): while `held`, this member sends `node` no
    /// AppendEntries (no entries, no heartbeats: it stays behind), as if it were unreachable for
    /// replication only; probes, votes and forwarded requests still go.
    #[cfg(feature = "forge-signals")]
    pub fn hold_replication_to(&self, node: &Atom, held: bool) {
        if let Ok(mut set) = self.core.held_replication.lock() {
            if held {
                set.insert(node.as_str().to_string());
            } else {
                set.remove(node.as_str());
            }
        }
    }

    /// Stops the member: the engine, the raft process, the manager.
    pub async fn stop(&self) {
        self.core.stopped.store(true, Ordering::Release);
        self.core.node.send_exit(&self.pid, Term::atom("shutdown"));
        if let Err(error) = self.core.raft.shutdown().await {
            tracing::warn!(%error, "gen_raft: engine shutdown failed");
        }
    }

    /// Sends `request` to the leader's raft process (this one's too, when it leads) and
    /// decodes its answer; retries while leadership moves, until the request timeout.
    async fn on_leader<Req: serde::Serialize, Ans: DeserializeOwned>(
        &self,
        kind: RpcKind,
        request: &Req,
    ) -> Result<Ans, GenRaftError> {
        let core = &self.core;
        let payload = wire::encode(request).map_err(|e| GenRaftError::Encode(e.to_string()))?;
        let deadline = Instant::now() + core.options.request_timeout;
        let leader_wait = Instant::now() + core.options.election_timeout.1 * 2;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(GenRaftError::Timeout);
            }
            if core.stopped.load(Ordering::Acquire) {
                return Err(GenRaftError::Stopped);
            }
            let (formed, leader_id, leader) = {
                let metrics = core.raft.server_metrics();
                let metrics = metrics.borrow();
                let membership = metrics.membership_config.membership();
                let leader = metrics
                    .current_leader
                    .and_then(|id| membership.get_node(&id).cloned());
                (
                    membership.voter_ids().next().is_some(),
                    metrics.current_leader,
                    leader,
                )
            };
            if !formed {
                return Err(GenRaftError::NoQuorum);
            }
            let Some(leader) = leader else {
                if now >= leader_wait {
                    return Err(GenRaftError::NoQuorum);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let answer = if leader_id == Some(core.id) {
                // This member leads: served here, without the process hop.
                let request = RpcRequest {
                    cluster: core.cluster.to_vec(),
                    kind,
                    payload: payload.clone(),
                };
                match service::serve_one(core, request).await {
                    Ok(reply) => wire::parse_reply(&reply)
                        .map_err(RpcFailure::Wire)
                        .and_then(|r| r.map_err(RpcFailure::Refused)),
                    Err(error) => Err(RpcFailure::Wire(error)),
                }
            } else {
                call_peer(
                    &core.node,
                    &core.cluster,
                    &leader,
                    kind,
                    payload.clone(),
                    deadline - now,
                )
                .await
            };
            match answer {
                Ok(bytes) => {
                    return wire::decode(&bytes).map_err(|e| GenRaftError::Engine(e.to_string()))
                }
                Err(RpcFailure::Refused(reason)) if reason == TIMEOUT => {
                    return Err(GenRaftError::Timeout)
                }
                // The leader stepped down (no majority): like no leader known, the request
                // waits for one until two election timeouts passed.
                Err(RpcFailure::Refused(reason)) if reason == NO_QUORUM => {
                    if Instant::now() >= leader_wait {
                        return Err(GenRaftError::NoQuorum);
                    }
                }
                Err(RpcFailure::Refused(reason))
                    if reason == NOT_LEADER || reason == NOT_CONFIRMED => {}
                Err(RpcFailure::Call(CallError::Timeout)) => return Err(GenRaftError::Timeout),
                Err(RpcFailure::Call(error)) => {
                    tracing::debug!(%error, leader = %leader, "gen_raft: leader unreachable, retrying");
                }
                Err(error) => return Err(GenRaftError::Engine(error.to_string())),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn encode_term(term: &Term) -> Result<Vec<u8>, GenRaftError> {
    ergo_etf::to_bytes(term).map_err(|e| GenRaftError::Encode(e.to_string()))
}

fn decode_term(bytes: &[u8]) -> Result<Term, GenRaftError> {
    ergo_etf::from_bytes(bytes).map_err(|e| GenRaftError::Engine(e.to_string()))
}

fn voter_nodes(metrics: &RaftServerMetrics<u64, PeerAddr>) -> Vec<Atom> {
    let membership = metrics.membership_config.membership();
    let mut nodes: Vec<Atom> = membership
        .voter_ids()
        .filter_map(|id| membership.get_node(&id))
        .map(|p| Atom::new(&p.node))
        .collect();
    nodes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    nodes
}

/// Turns the engine's leader and membership changes into leader and quorum events, until the
/// engine stops; checks every heartbeat whether this member, leading, lost its majority (a
/// `Leader(None, Term)` event) or got it back.
async fn watch_metrics(core: Arc<MemberCore>) {
    let mut metrics = core.raft.server_metrics();
    let mut tick = tokio::time::interval(core.options.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut leader: Option<(Option<u64>, u64)> = None;
    let mut voters: Option<Vec<Atom>> = None;
    loop {
        let now = metrics.borrow_and_update().clone();
        let term = now.vote.leader_id().term;
        let mut now_leader = now.current_leader;
        if now_leader == Some(core.id) && core.quorum_lost() {
            now_leader = None;
        }
        if leader != Some((now_leader, term)) && (now_leader.is_some() || leader.is_some()) {
            if now_leader.is_none() && now.current_leader == Some(core.id) {
                tracing::warn!(
                    term,
                    "gen_raft: this leader lost its majority, stepping down"
                );
            }
            let node = now_leader
                .and_then(|id| now.membership_config.membership().get_node(&id).cloned())
                .map(|p| Atom::new(&p.node));
            core.emit(RaftEvent::Leader(node, term));
        }
        leader = Some((now_leader, term));
        let now_voters = voter_nodes(&now);
        if voters.as_ref() != Some(&now_voters) && !now_voters.is_empty() {
            core.emit(RaftEvent::Quorum(now_voters.clone()));
        }
        voters = Some(now_voters);
        tokio::select! {
            changed = metrics.changed() => if changed.is_err() { return },
            _ = tick.tick() => {}
        }
    }
}

/// Probes every seed and member: the online ones and what they hold.
async fn probe(core: &Arc<MemberCore>) -> BTreeMap<u64, (PeerAddr, PeerStatus)> {
    let mut targets: BTreeMap<u64, PeerAddr> = core
        .options
        .peers
        .iter()
        .map(|node| (node_id(node), core.peer(node)))
        .collect();
    let metrics = core.metrics();
    for (id, peer) in metrics.membership_config.membership().nodes() {
        targets.insert(*id, peer.clone());
    }
    targets.remove(&core.id);
    let mut probes = tokio::task::JoinSet::new();
    for (id, peer) in targets {
        let core = Arc::clone(core);
        probes.spawn(async move {
            let answer = call_peer(
                &core.node,
                &core.cluster,
                &peer,
                RpcKind::Hello,
                Vec::new(),
                core.options.probe_interval.max(Duration::from_millis(200)),
            )
            .await;
            let status = answer
                .ok()
                .and_then(|bytes| wire::decode::<PeerStatus>(&bytes).ok());
            (id, peer, status)
        });
    }
    let mut online = BTreeMap::new();
    while let Some(done) = probes.join_next().await {
        if let Ok((id, peer, Some(status))) = done {
            online.insert(id, (peer, status));
        }
    }
    online
}

/// The member's manager: probes, forms the cluster, adds learners, moves the voters.
async fn manage(core: Arc<MemberCore>, pid: Pid) {
    let mut online_before: BTreeSet<String> = BTreeSet::new();
    let mut tick = tokio::time::interval(core.options.probe_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if core.stopped.load(Ordering::Acquire)
            || core.node.is_stopped()
            || !core.node.is_alive(&pid)
        {
            core.stopped.store(true, Ordering::Release);
            if let Err(error) = core.raft.shutdown().await {
                tracing::debug!(%error, "gen_raft: engine shutdown");
            }
            return;
        }
        let online = probe(&core).await;
        let online_now: BTreeSet<String> = online.values().map(|(p, _)| p.node.clone()).collect();
        for gone in online_before.difference(&online_now) {
            core.emit(RaftEvent::Peer(Atom::new(gone), false));
        }
        for came in online_now.difference(&online_before) {
            core.emit(RaftEvent::Peer(Atom::new(came), true));
        }
        online_before = online_now;
        let metrics = core.metrics();
        let membership = metrics.membership_config.membership().clone();
        if membership.voter_ids().next().is_none() {
            initialize_if_first(&core, &online).await;
        } else if metrics.state == ServerState::Leader && metrics.current_leader == Some(core.id) {
            rebalance(&core, &metrics, &online).await;
        }
    }
}

/// Forms the cluster when 3 or more peers are online, none belongs to a cluster yet, and this
/// node has the smallest name among them: the largest odd number of them (up to 11), by name,
/// vote; the leader adds the rest as learners.
async fn initialize_if_first(
    core: &Arc<MemberCore>,
    online: &BTreeMap<u64, (PeerAddr, PeerStatus)>,
) {
    if online.values().any(|(_, status)| status.initialized) {
        return; // A formed cluster's leader adds this member.
    }
    let Some(count) = voter_count(online.len() + 1) else {
        return;
    };
    let mut peers: Vec<(u64, PeerAddr)> = online
        .iter()
        .map(|(id, (peer, _))| (*id, peer.clone()))
        .collect();
    peers.push((core.id, core.peer(core.node.name().as_str())));
    peers.sort_by(|a, b| a.1.node.cmp(&b.1.node));
    if peers.first().map(|(id, _)| *id) != Some(core.id) {
        return;
    }
    let voters: BTreeMap<u64, PeerAddr> = peers.into_iter().take(count).collect();
    tracing::info!(voters = ?voters.values().map(|p| &p.node).collect::<Vec<_>>(), "gen_raft: forming the cluster");
    if let Err(error) = core.raft.initialize(voters).await {
        tracing::info!(%error, "gen_raft: cluster not formed here");
    }
}

/// On the leader: online peers outside the membership become learners; then the voter set
/// moves to the largest odd number of online members (joint consensus).
async fn rebalance(
    core: &Arc<MemberCore>,
    metrics: &RaftMetrics<u64, PeerAddr>,
    online: &BTreeMap<u64, (PeerAddr, PeerStatus)>,
) {
    let membership = metrics.membership_config.membership();
    let timeout = core.options.request_timeout;
    for (id, (peer, _)) in online {
        if membership.get_node(id).is_none() {
            tracing::info!(peer = %peer, "gen_raft: adding a learner");
            match tokio::time::timeout(timeout, core.raft.add_learner(*id, peer.clone(), false))
                .await
            {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::info!(%error, peer = %peer, "gen_raft: learner not added")
                }
                Err(_) => tracing::info!(peer = %peer, "gen_raft: adding a learner timed out"),
            }
            return; // The next round sees the new membership.
        }
    }
    if membership.get_joint_config().len() > 1 {
        return; // A change is under way.
    }
    let progress = |id: u64| -> u64 {
        if id == core.id {
            return metrics.last_log_index.unwrap_or(0);
        }
        metrics
            .replication
            .as_ref()
            .and_then(|r| r.get(&id))
            .and_then(|matched| matched.as_ref())
            .map(|log_id| log_id.index)
            .unwrap_or(0)
    };
    let mut candidates = vec![Candidate {
        id: core.id,
        progress: progress(core.id),
    }];
    candidates.extend(
        online
            .keys()
            .filter(|id| membership.get_node(id).is_some())
            .map(|&id| Candidate {
                id,
                progress: progress(id),
            }),
    );
    let voters: BTreeSet<u64> = membership.voter_ids().collect();
    let Some(chosen) = choose_voters(core.id, &voters, &candidates) else {
        return;
    };
    tracing::info!(from = ?voters, to = ?chosen, "gen_raft: changing the voters");
    match tokio::time::timeout(timeout, core.raft.change_membership(chosen, true)).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::info!(%error, "gen_raft: voters not changed"),
        Err(_) => tracing::info!("gen_raft: changing the voters timed out"),
    }
}
