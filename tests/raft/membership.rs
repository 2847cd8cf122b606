//! A member's node stops during concurrent writes, with 5 and with 11 voters: the rest keep
//! committing, the voter set re-forms through joint consensus without the stopped node (5 -> 3
//! voters; 11 voters with the learner promoted), and every acknowledged write is read back with
//! its serial from every survivor; of two learners, the more up to date is promoted (the other's
//! replication held back with the `hold_replication_to` test hook).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ergo::{Atom, Node, RaftMember, Term};

use crate::cluster::{members, nodes, settled, SETTLE};

/// A writer's acknowledged appends: `(key, serial)`.
type Writer = tokio::task::JoinHandle<Vec<(Term, u64)>>;

/// Writers appending on `writers` until `stop`; each returns its acknowledged `(key, serial)`s
/// (a failed append's outcome is unknown, so it is not checked).
fn start_writers(writers: Vec<RaftMember>, stop: Arc<AtomicBool>) -> Vec<Writer> {
    writers
        .into_iter()
        .enumerate()
        .map(|(w, member)| {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let mut acked = Vec::new();
                let mut n = 0i64;
                while !stop.load(Ordering::Relaxed) {
                    let key = Term::tuple(vec![Term::Int(w as i64), Term::Int(n)]);
                    if let Ok(serial) = member.append(&key, &Term::Int(n)).await {
                        acked.push((key, serial));
                    }
                    n += 1;
                }
                acked
            })
        })
        .collect()
}

/// Stops the node at `stopped` while writers on `writer_count` survivors append, waits until
/// the survivors agree on `voters` voting members without it, and checks every acknowledged
/// write on every survivor.
async fn stop_a_member_during_writes(
    nodes: &[Node],
    members: &[RaftMember],
    stopped: usize,
    voters: usize,
    writer_count: usize,
) {
    let gone = nodes[stopped].name().clone();
    let survivors: Vec<RaftMember> = members
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != stopped)
        .map(|(_, m)| m.clone())
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = start_writers(survivors[..writer_count].to_vec(), Arc::clone(&stop));
    // Some writes before the stop.
    let deadline = Instant::now() + SETTLE;
    while survivors[0].last_serial().await < 20 {
        assert!(
            Instant::now() < deadline,
            "no writes committed before the stop"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    nodes[stopped].stop();
    // The survivors re-form the voter set without the stopped node.
    let deadline = Instant::now() + SETTLE;
    loop {
        let views: Vec<(Option<Atom>, Vec<Atom>)> = survivors
            .iter()
            .map(|m| (m.leader().map(|l| l.0), m.members()))
            .collect();
        let (leader, first) = &views[0];
        let agreed = leader.is_some()
            && leader.as_ref() != Some(&gone)
            && first.len() == voters
            && !first.contains(&gone)
            && views.iter().all(|v| v == &views[0]);
        if agreed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no voter set of {voters} without {gone} within {SETTLE:?}: {views:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Writes commit after the change.
    let after = survivors[0].last_serial().await;
    let deadline = Instant::now() + SETTLE;
    while survivors[0].last_serial().await < after + 20 {
        assert!(
            Instant::now() < deadline,
            "no writes committed after the voter change"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut acked: BTreeMap<u64, Term> = BTreeMap::new();
    for writer in writers {
        let writes = writer.await.expect("writer");
        for (key, serial) in writes {
            let before = acked.insert(serial, key);
            assert!(before.is_none(), "serial {serial} acknowledged twice");
        }
    }
    assert!(acked.len() >= 40, "{} acknowledged writes", acked.len());
    // Every acknowledged write, on every survivor, under its serial.
    let last = *acked.keys().next_back().expect("acked");
    for member in &survivors {
        let deadline = Instant::now() + SETTLE;
        while member.last_serial().await < last {
            assert!(Instant::now() < deadline, "a survivor does not catch up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for (serial, key) in &acked {
            let entry = member.get_serial(*serial).await.expect("get_serial");
            assert_eq!(entry.map(|(k, _)| k).as_ref(), Some(key), "serial {serial}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_of_five_stops_during_writes_three_voters_reform_and_no_write_is_lost() {
    let nodes = nodes("raft_stop5", 5).await;
    let members = members("stop5", &nodes, &nodes).await;
    let leader = settled(&members, 5, 0).await;
    let stopped = nodes
        .iter()
        .position(|n| n.name() == &leader)
        .expect("leader");
    // 4 online: the largest odd number is 3.
    stop_a_member_during_writes(&nodes, &members, stopped, 3, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_of_eleven_stops_during_writes_the_learner_takes_its_place() {
    let nodes = nodes("raft_stop11", 12).await;
    let members = members("stop11", &nodes, &nodes).await;
    let leader = settled(&members, 11, 1).await;
    let voters = members[0].members();
    let stopped = nodes
        .iter()
        .position(|n| n.name() != &leader && voters.contains(n.name()))
        .expect("a follower voter");
    // 11 online again with the learner: it is promoted.
    stop_a_member_during_writes(&nodes, &members, stopped, 11, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_of_eleven_stops_and_the_more_up_to_date_of_two_learners_takes_its_place() {
    let nodes = nodes("raft_pref", 13).await;
    let members = members("pref", &nodes, &nodes).await;
    let leader = settled(&members, 11, 2).await;
    let index = |name: &Atom| {
        nodes
            .iter()
            .position(|n| n.name() == name)
            .expect("a node of the cluster")
    };
    // `behind` is the learner the tie-break (the smaller node id) would pick: only the
    // preference for the more up-to-date learner can pick `ahead`.
    let mut learners: Vec<usize> = members[0].learners().iter().map(index).collect();
    learners.sort_by_key(|&i| members[i].node_id());
    let (behind, ahead) = (learners[0], learners[1]);
    for member in &members {
        member.hold_replication_to(nodes[behind].name(), true);
    }
    let start = members[ahead].last_serial().await;
    for i in 0..5 {
        members[index(&leader)]
            .append(&Term::atom("k"), &Term::Int(i))
            .await
            .expect("append");
    }
    let deadline = Instant::now() + SETTLE;
    while members[ahead].last_serial().await < start + 5 {
        assert!(Instant::now() < deadline, "the learner did not catch up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        members[behind].last_serial().await < start + 5,
        "replication to {} was held",
        nodes[behind].name()
    );
    let voters = members[0].members();
    let stopped = nodes
        .iter()
        .position(|n| n.name() != &leader && voters.contains(n.name()))
        .expect("a follower voter");
    let gone = nodes[stopped].name().clone();
    nodes[stopped].stop();
    // 12 online: 11 voters, the 10 left and the more up-to-date learner.
    let deadline = Instant::now() + SETTLE;
    loop {
        let views: Vec<(Vec<Atom>, Vec<Atom>)> = members
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != stopped && *i != behind)
            .map(|(_, m)| (m.members(), m.learners()))
            .collect();
        let (voters, learners) = &views[0];
        if voters.len() == 11 && !voters.contains(&gone) && views.iter().all(|v| v == &views[0]) {
            assert!(
                voters.contains(nodes[ahead].name()),
                "the up-to-date learner {} is not a voter: {voters:?}",
                nodes[ahead].name()
            );
            assert!(
                learners.contains(nodes[behind].name()),
                "the learner behind {} is not a learner: {learners:?}",
                nodes[behind].name()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no voter set of 11 without {gone} within {SETTLE:?}: {views:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for member in &members {
        member.hold_replication_to(nodes[behind].name(), false);
    }
}
