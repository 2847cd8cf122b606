//! The GenRaft callbacks (declared with `#[gen_raft]`): every member sees each committed append
//! once, in serial order, and hears of the leader, the voting members and the peers.

use std::time::Duration;

use ergo::raft::MemLog;
use ergo::{Atom, RaftMember, Term};
use tokio::sync::mpsc;

use crate::cluster::{self, nodes, settled};
use crate::common::wait::next_within;

#[derive(Debug)]
enum Seen {
    Append(u64, Term, Term),
    Leader(Option<Atom>),
    Quorum(Vec<Atom>),
    Peer(Atom, bool),
}

struct Recorder(mpsc::UnboundedSender<Seen>);

#[ergo::gen_raft]
impl Recorder {
    /// Not a callback: stays an inherent method.
    fn record(&self, seen: Seen) {
        let _ = self.0.send(seen);
    }
    fn handle_append(&mut self, serial: u64, key: Term, value: Term) {
        self.record(Seen::Append(serial, key, value));
    }
    fn handle_leader(&mut self, leader: Option<Atom>, _term: u64) {
        self.record(Seen::Leader(leader));
    }
    fn handle_quorum(&mut self, members: Vec<Atom>) {
        self.record(Seen::Quorum(members));
    }
    fn handle_peer(&mut self, peer: Atom, online: bool) {
        self.record(Seen::Peer(peer, online));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_applies_appends_in_serial_order_and_hears_of_leader_quorum_and_peers() {
    let nodes = nodes("raft_cb", 3).await;
    let mut members = Vec::new();
    let mut seen = Vec::new();
    for node in &nodes {
        let (tx, rx) = mpsc::unbounded_channel();
        let options = cluster::options("cb", &nodes);
        members.push(
            RaftMember::start(node, options, MemLog::new(), Recorder(tx))
                .await
                .expect("member"),
        );
        seen.push(rx);
    }
    let leader = settled(&members, 3, 0).await;
    for i in 1..=3 {
        members[i as usize - 1]
            .append(&Term::atom("k"), &Term::Int(i))
            .await
            .expect("append");
    }
    let mut all: Vec<Atom> = nodes.iter().map(|n| n.name().clone()).collect();
    all.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    for (index, rx) in seen.iter_mut().enumerate() {
        let (mut appends, mut leaders, mut quorums, mut peers) = (vec![], vec![], vec![], vec![]);
        while appends.len() < 3 {
            match next_within(rx, Duration::from_secs(10)).await {
                Seen::Append(serial, key, value) => appends.push((serial, key, value)),
                Seen::Leader(l) => leaders.push(l),
                Seen::Quorum(q) => quorums.push(q),
                Seen::Peer(p, online) => peers.push((p, online)),
            }
        }
        let expected: Vec<_> = (1..=3)
            .map(|i| (i as u64, Term::atom("k"), Term::Int(i)))
            .collect();
        assert_eq!(appends, expected, "member {index}");
        assert_eq!(
            leaders.last(),
            Some(&Some(leader.clone())),
            "member {index}"
        );
        assert_eq!(quorums.last(), Some(&all), "member {index}");
        let me = nodes[index].name();
        for other in all.iter().filter(|n| *n != me) {
            assert!(
                peers.contains(&(other.clone(), true)),
                "member {index}: {peers:?}"
            );
        }
    }
}
