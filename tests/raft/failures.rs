//! Failures: the leader's node stops (a new leader, no acknowledged write lost); requests from
//! another cluster or malformed are dropped and change nothing.

use std::time::Duration;

use ergo::{Atom, CallError, Dest, Term};

use crate::cluster::{self, members, nodes, settled, NAME};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaders_node_stopped_a_new_leader_keeps_every_acknowledged_write() {
    let nodes = nodes("raft_fail", 3).await;
    let members = members("fail", &nodes, &nodes).await;
    let leader = settled(&members, 3, 0).await;
    let mut acknowledged = Vec::new();
    for i in 0..10 {
        let key = Term::Int(i);
        let serial = members[(i % 3) as usize]
            .append(&key, &Term::Int(i * 10))
            .await
            .expect("append");
        acknowledged.push((key, serial));
    }
    let leader_index = nodes
        .iter()
        .position(|n| n.name() == &leader)
        .expect("leader");
    nodes[leader_index].stop();
    let survivors: Vec<_> = members
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != leader_index)
        .map(|(_, m)| m.clone())
        .collect();
    let deadline = std::time::Instant::now() + cluster::SETTLE;
    let new_leader = loop {
        let seen: Vec<_> = survivors.iter().map(|m| m.leader().map(|l| l.0)).collect();
        if let Some(Some(l)) = seen.first() {
            if l != &leader && seen.iter().all(|s| s.as_ref() == Some(l)) {
                break l.clone();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new leader: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_ne!(new_leader, leader);
    for member in &survivors {
        for (i, (key, serial)) in acknowledged.iter().enumerate() {
            let got = member.get(key).await.expect("get after failover");
            assert_eq!(got, Some((*serial, Term::Int(i as i64 * 10))));
        }
    }
    let serial = survivors[0]
        .append(&Term::atom("after"), &Term::atom("failover"))
        .await
        .expect("append after failover");
    assert!(serial > acknowledged.last().expect("acked").1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_another_cluster_or_malformed_are_dropped() {
    let nodes = nodes("raft_bad", 3).await;
    let members = members("good", &nodes, &nodes).await;
    settled(&members, 3, 0).await;
    members[0]
        .append(&Term::atom("k"), &Term::Int(1))
        .await
        .expect("append");
    let to = Dest::Remote {
        name: Atom::new(NAME),
        node: nodes[1].name().clone(),
    };
    let other_cluster =
        ergo::raft::wire::request_term(b"evil", ergo::raft::wire::RpcKind::Hello, Vec::new());
    let malformed = Term::tuple(vec![Term::atom("$raft"), Term::Int(1)]);
    let bad_payload = ergo::raft::wire::request_term(
        b"good",
        ergo::raft::wire::RpcKind::AppendEntries,
        vec![0xff; 7],
    );
    for request in [other_cluster, malformed, bad_payload] {
        let answer = nodes[0]
            .call_timeout::<Term>(to.clone(), request, Duration::from_millis(300))
            .await;
        assert!(
            matches!(answer, Err(CallError::Timeout)),
            "dropped: {answer:?}"
        );
    }
    // The member is unharmed and its state unchanged.
    let got = members[1].get(&Term::atom("k")).await.expect("get");
    assert_eq!(got, Some((1, Term::Int(1))));
    assert_eq!(members[1].last_serial().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_leader_cannot_commit_and_the_majority_elects_a_new_one() {
    let nodes = nodes("raft_part", 3).await;
    let mut members = Vec::new();
    for node in &nodes {
        let mut options = cluster::options("part", &nodes);
        options.request_timeout = Duration::from_secs(2);
        members.push(
            ergo::RaftMember::start_in_memory(node, options)
                .await
                .expect("member"),
        );
    }
    let leader = settled(&members, 3, 0).await;
    let old = nodes
        .iter()
        .position(|n| n.name() == &leader)
        .expect("leader");
    members[old]
        .append(&Term::atom("before"), &Term::Int(1))
        .await
        .expect("append before the cut");
    // Cut the leader off from both followers, both ways.
    for (i, node) in nodes.iter().enumerate() {
        if i != old {
            node.cut_link(leader.as_str()).expect("cut");
            nodes[old].cut_link(node.name().as_str()).expect("cut");
        }
    }
    // The majority side elects a new leader in a higher term.
    let majority: Vec<_> = (0..3).filter(|i| *i != old).collect();
    let deadline = std::time::Instant::now() + cluster::SETTLE;
    let (new_leader, new_term) = loop {
        let seen: Vec<_> = majority.iter().map(|i| members[*i].leader()).collect();
        if let Some(Some((l, t))) = seen.first() {
            if l != &leader && seen.iter().all(|s| s.as_ref().map(|x| &x.0) == Some(l)) {
                break (l.clone(), *t);
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new leader: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_ne!(new_leader, leader);
    // The old leader lost its majority: it steps down (reports no leader) once no majority
    // acknowledged it for an election timeout, and answers appends and reads `no_quorum`
    // without putting them in its log.
    let deadline = std::time::Instant::now() + cluster::SETTLE;
    while members[old].leader().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the cut-off leader still leads: {:?}",
            members[old].leader()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = members[old]
        .append(&Term::atom("minority"), &Term::Int(2))
        .await;
    assert!(
        matches!(refused, Err(ergo::GenRaftError::NoQuorum)),
        "{refused:?}"
    );
    let read = members[old].get(&Term::atom("before")).await;
    assert!(
        matches!(read, Err(ergo::GenRaftError::NoQuorum)),
        "{read:?}"
    );
    let serial = members[majority[0]]
        .append(&Term::atom("majority"), &Term::Int(3))
        .await
        .expect("append on the majority side");
    // Heal: the old leader follows the new term, and holds the majority's log only.
    for (i, node) in nodes.iter().enumerate() {
        if i != old {
            node.heal_link(leader.as_str()).expect("heal");
            nodes[old].heal_link(node.name().as_str()).expect("heal");
        }
    }
    settled(&members, 3, 0).await;
    assert!(members[old].leader().expect("leader").1 >= new_term);
    for member in &members {
        assert_eq!(
            member.get(&Term::atom("majority")).await.expect("get"),
            Some((serial, Term::Int(3)))
        );
        assert_eq!(
            member.get(&Term::atom("minority")).await.expect("get"),
            None
        );
        assert_eq!(
            member.get(&Term::atom("before")).await.expect("get"),
            Some((1, Term::Int(1)))
        );
    }
}
