//! Elections, membership growing from 2 peers (no quorum) to 3 and beyond, writes from a
//! follower read everywhere.

use std::time::{Duration, Instant};

use ergo::{GenRaftError, Term};

use crate::cluster::{members, nodes, settled};

async fn writes_from_a_follower_are_read_everywhere(
    members: &[ergo::RaftMember],
    leader: &ergo::Atom,
    nodes: &[ergo::Node],
) {
    let follower = members
        .iter()
        .zip(nodes)
        .find(|(_, n)| n.name() != leader)
        .map(|(m, _)| m)
        .expect("a follower");
    let mut serials = Vec::new();
    for i in 0..5 {
        let serial = follower
            .append(&Term::atom("k"), &Term::Int(i))
            .await
            .expect("append from a follower");
        serials.push(serial);
    }
    assert!(
        serials.windows(2).all(|w| w[0] < w[1]),
        "serials grow: {serials:?}"
    );
    let last = *serials.last().expect("serials");
    for member in members {
        let started = Instant::now();
        let got = member.get(&Term::atom("k")).await;
        eprintln!(
            "get on {:?} took {:?}: {got:?}",
            member.pid(),
            started.elapsed()
        );
        let got = got.expect("get");
        assert_eq!(
            got,
            Some((last, Term::Int(4))),
            "linearizable read on every member"
        );
        let entry = member.get_serial(serials[0]).await.expect("get_serial");
        assert_eq!(entry, Some((Term::atom("k"), Term::Int(0))));
        assert_eq!(member.get(&Term::atom("missing")).await.expect("get"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_elect_a_leader_and_commit_writes_from_a_follower() {
    let nodes = nodes("raft3", 3).await;
    let members = members("c3", &nodes, &nodes).await;
    let leader = settled(&members, 3, 0).await;
    writes_from_a_follower_are_read_everywhere(&members, &leader, &nodes).await;
    let term = members[0].leader().expect("leader").1;
    assert!(term >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_members_elect_a_leader_and_commit_writes_from_a_follower() {
    let nodes = nodes("raft5", 5).await;
    let members = members("c5", &nodes, &nodes).await;
    let leader = settled(&members, 5, 0).await;
    writes_from_a_follower_are_read_everywhere(&members, &leader, &nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_have_no_quorum_until_a_third_joins_then_a_fourth_is_a_learner() {
    let nodes = nodes("raft_grow", 5).await;
    let seeds = &nodes[..];
    let mut running = members("grow", seeds, &nodes[..2]).await;
    // Two peers: nothing forms, a write answers no_quorum at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let refused = running[0].append(&Term::atom("k"), &Term::Int(1)).await;
    assert!(
        matches!(refused, Err(GenRaftError::NoQuorum)),
        "{refused:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "at once: {:?}",
        started.elapsed()
    );
    assert!(running[1].members().is_empty());
    // A third joins: a quorum of 3.
    running.extend(members("grow", seeds, &nodes[2..3]).await);
    settled(&running, 3, 0).await;
    let serial = running[1]
        .append(&Term::atom("k"), &Term::Int(1))
        .await
        .expect("append with a quorum");
    assert_eq!(serial, 1);
    // A fourth: still 3 voters (the largest odd number), the fourth a learner that has the data.
    running.extend(members("grow", seeds, &nodes[3..4]).await);
    settled(&running, 3, 1).await;
    let learner = &running[3];
    let got = learner
        .get(&Term::atom("k"))
        .await
        .expect("get on a learner");
    assert_eq!(got, Some((1, Term::Int(1))));
    // A fifth: 5 voters, through joint consensus.
    running.extend(members("grow", seeds, &nodes[4..5]).await);
    settled(&running, 5, 0).await;
    for member in &running {
        assert_eq!(member.members().len(), 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_peers_make_eleven_voters_and_a_learner() {
    let nodes = nodes("raft12", 12).await;
    let members = members("c12", &nodes, &nodes).await;
    let leader = settled(&members, 11, 1).await;
    writes_from_a_follower_are_read_everywhere(&members, &leader, &nodes).await;
}
