//! A cluster of test nodes: N loopback nodes routed to each other, one member each.

use std::time::Duration;

use ergo::raft::RaftOptions;
use ergo::{Atom, DistOptions, Node, NodeOptions, RaftMember};

use crate::common;

/// The registered name of every member's raft process.
pub const NAME: &str = "raft";

/// How long an election, a membership change or a catch-up may take in a test.
pub const SETTLE: Duration = Duration::from_secs(20);

/// Starts `count` loopback nodes, each with a static route to every other.
///
/// With `RUST_LOG` set it also installs a log subscriber writing to the test's output.
pub async fn nodes(prefix: &str, count: usize) -> Vec<Node> {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let mut nodes = Vec::new();
    for _ in 0..count {
        let options = NodeOptions {
            cookie: "raft_test".into(),
            ..NodeOptions::default()
        };
        nodes.push(
            common::start_dist(prefix, options, common::loopback(DistOptions::default())).await,
        );
    }
    for a in &nodes {
        for b in &nodes {
            if a.name() != b.name() {
                common::route(a, b);
            }
        }
    }
    nodes
}

/// Options for `cluster` seeded with every node of `seeds`, with test timings.
pub fn options(cluster: &str, seeds: &[Node]) -> RaftOptions {
    let peers = seeds
        .iter()
        .map(|n| n.name().as_str().to_string())
        .collect();
    let mut options = RaftOptions::new(cluster, NAME, peers);
    options.heartbeat = Duration::from_millis(60);
    options.election_timeout = (Duration::from_millis(300), Duration::from_millis(600));
    options.probe_interval = Duration::from_millis(150);
    options.request_timeout = Duration::from_secs(5);
    options
}

/// Starts a member on each of `nodes`.
pub async fn members(cluster: &str, seeds: &[Node], nodes: &[Node]) -> Vec<RaftMember> {
    let mut members = Vec::new();
    for node in nodes {
        members.push(
            RaftMember::start_in_memory(node, options(cluster, seeds))
                .await
                .expect("member"),
        );
    }
    members
}

/// Waits until every member of `members` agrees on one leader and has `voters` voting members
/// and `learners` learners; returns the leader's node.
pub async fn settled(members: &[RaftMember], voters: usize, learners: usize) -> Atom {
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let leaders: Vec<_> = members.iter().map(|m| m.leader().map(|l| l.0)).collect();
        let agreed = leaders
            .first()
            .cloned()
            .flatten()
            .filter(|first| leaders.iter().all(|l| l.as_ref() == Some(first)));
        let shapes_ok = members
            .iter()
            .all(|m| m.members().len() == voters && m.learners().len() == learners);
        if let (Some(leader), true) = (agreed, shapes_ok) {
            return leader;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no settled cluster of {voters} voters and {learners} learners within {SETTLE:?}: \
             leaders {leaders:?}, voters {:?}, learners {:?}",
            members
                .iter()
                .map(|m| m.members().len())
                .collect::<Vec<_>>(),
            members
                .iter()
                .map(|m| m.learners().len())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
