//! What a member is started with: the cluster id, the registered name of every member's raft
//! process, the seed peers (node names) and the timings. Owns the defaults; must not start
//! anything.

use std::time::Duration;

/// How to start a gen_raft member.
#[derive(Clone, Debug)]
pub struct RaftOptions {
    /// The cluster id: requests carrying another are logged and dropped.
    pub cluster: String,
    /// The name the member's raft process registers, the same on every peer.
    pub name: String,
    /// The seed peers' node names (this node may be among them).
    pub peers: Vec<String>,
    /// How often a leader sends heartbeats.
    pub heartbeat: Duration,
    /// The election timeout is drawn between these two.
    pub election_timeout: (Duration, Duration),
    /// How long one Raft RPC may take.
    pub rpc_timeout: Duration,
    /// How long an append or a linearizable read may take before `Timeout`.
    pub request_timeout: Duration,
    /// How often the member probes its peers (online set, joining, membership changes).
    pub probe_interval: Duration,
    /// Take a snapshot (and purge the log before it) every this many entries; `None`: never.
    /// A member on a [`FileLog`](super::FileLog) must use `None`: its state machine is rebuilt
    /// from the whole log at start.
    pub snapshot_every: Option<u64>,
}

impl RaftOptions {
    /// Options for `cluster` with processes named `name` and these seed peers; default timings
    /// (heartbeat 100 ms, election 500-1000 ms, RPC 1 s, requests 5 s, probes every 300 ms), a
    /// snapshot every 5000 entries.
    pub fn new(cluster: &str, name: &str, peers: Vec<String>) -> RaftOptions {
        RaftOptions {
            cluster: cluster.to_string(),
            name: name.to_string(),
            peers,
            heartbeat: Duration::from_millis(100),
            election_timeout: (Duration::from_millis(500), Duration::from_millis(1000)),
            rpc_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
            probe_interval: Duration::from_millis(300),
            snapshot_every: Some(5000),
        }
    }
}
