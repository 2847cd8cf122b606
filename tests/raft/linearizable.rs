//! A randomized test: clients on every member put and get a few keys while a nemesis partitions
//! random members from the others (and, in some runs, stops one node for good); the recorded
//! history is then checked for linearizability, using the serial each append and each read
//! reports (the log order, which is the order the writes take effect):
//!
//! - acknowledged writes: serials unique, in real-time order (one that completed before another
//!   began has the smaller serial);
//! - reads: never older than a write acknowledged before the read began (no stale read), never
//!   a write begun after the read ended, never going back after an earlier read, and the value
//!   read is the one written with that serial;
//! - no acknowledged write lost: after healing, every member serves each by serial;
//! - at most one leader per term, over samples of every member's view during the run.
//!
//! `RAFT_LINEARIZABLE_RUNS` sets the number of runs (default 3, about 3 s each in a debug
//! build; the 200 take about 10 minutes), `RAFT_LINEARIZABLE_SEED` the first seed
//! (each run prints its seed and what happened with `--nocapture`; a failure names it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ergo::{Atom, GenRaftError, RaftMember, Term};

use crate::cluster::{self, nodes, settled};

/// xorshift64*: a reproducible stream from a seed (mixed first, so that neighbouring seeds
/// give unrelated streams).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64's finalizer; never 0.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Debug)]
enum Outcome {
    /// A put acknowledged with its serial.
    Put(u64),
    /// A read: the serial and value seen (0 and `None` for not found).
    Get(u64, Option<Term>),
    /// Failed or timed out: the put may or may not have taken effect; a read saw nothing.
    Unknown,
}

#[derive(Clone, Debug)]
struct Op {
    client: usize,
    key: i64,
    /// The value a put wrote (unique in the run).
    value: Option<Term>,
    invoked: Instant,
    completed: Instant,
    outcome: Outcome,
}

const KEYS: i64 = 2;

async fn client(member: RaftMember, index: usize, seed: u64, ops: usize) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    let mut history = Vec::new();
    for n in 0..ops {
        let key = rng.below(KEYS as u64) as i64;
        let invoked = Instant::now();
        let (value, outcome) = if rng.below(2) == 0 {
            let value = Term::tuple(vec![Term::Int(index as i64), Term::Int(n as i64)]);
            let outcome = match member.append(&Term::Int(key), &value).await {
                Ok(serial) => Outcome::Put(serial),
                Err(GenRaftError::NoQuorum | GenRaftError::Timeout) => Outcome::Unknown,
                // This client's member was stopped under it: the put may have taken effect.
                Err(GenRaftError::Stopped) => Outcome::Unknown,
                Err(other) => panic!("put: {other}"),
            };
            (Some(value), outcome)
        } else {
            let outcome = match member.get(&Term::Int(key)).await {
                Ok(Some((serial, value))) => Outcome::Get(serial, Some(value)),
                Ok(None) => Outcome::Get(0, None),
                Err(GenRaftError::NoQuorum | GenRaftError::Timeout) => Outcome::Unknown,
                Err(GenRaftError::Stopped) => Outcome::Unknown,
                Err(other) => panic!("get: {other}"),
            };
            (None, outcome)
        };
        let stopped = matches!(outcome, Outcome::Unknown) && member.is_stopped();
        history.push(Op {
            client: index,
            key,
            value,
            invoked,
            completed: Instant::now(),
            outcome,
        });
        if stopped {
            break;
        }
        tokio::time::sleep(Duration::from_millis(rng.below(20))).await;
    }
    history
}

/// Checks `history` (one key's operations); `Err` names the violation.
fn check_key(history: &[&Op]) -> Result<(), String> {
    let writes: Vec<&&Op> = history.iter().filter(|o| o.value.is_some()).collect();
    let acked: Vec<(&&Op, u64)> = writes
        .iter()
        .filter_map(|w| match w.outcome {
            Outcome::Put(s) => Some((*w, s)),
            _ => None,
        })
        .collect();
    let mut serials: Vec<u64> = acked.iter().map(|(_, s)| *s).collect();
    serials.sort_unstable();
    if serials.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!(
            "two acknowledged writes share a serial: {serials:?}"
        ));
    }
    for (w1, s1) in &acked {
        for (w2, s2) in &acked {
            if w1.completed < w2.invoked && s1 >= s2 {
                return Err(format!("write {s1} completed before write {s2} began"));
            }
        }
    }
    let reads: Vec<(&&Op, u64, &Option<Term>)> = history
        .iter()
        .filter_map(|o| match &o.outcome {
            Outcome::Get(s, v) => Some((o, *s, v)),
            _ => None,
        })
        .collect();
    for (read, seen, value) in &reads {
        for (write, serial) in &acked {
            if write.completed < read.invoked && serial > seen {
                return Err(format!(
                    "stale read: serial {seen} read after write {serial} was acknowledged"
                ));
            }
        }
        if *seen > 0 {
            let Some(value) = value else {
                return Err("a read with a serial and no value".into());
            };
            let Some(write) = writes.iter().find(|w| w.value.as_ref() == Some(value)) else {
                return Err(format!("read {value} that nobody wrote"));
            };
            if write.invoked > read.completed {
                return Err(format!("read {value} before it was written"));
            }
            if let Outcome::Put(serial) = write.outcome {
                if serial != *seen {
                    return Err(format!(
                        "read {value} with serial {seen}, written as {serial}"
                    ));
                }
            }
        }
        for (other, other_seen, _) in &reads {
            if other.completed < read.invoked && other_seen > seen {
                return Err(format!(
                    "read {seen} after an earlier read had seen {other_seen}"
                ));
            }
        }
    }
    Ok(())
}

async fn run(seed: u64) {
    let mut rng = Rng::new(seed);
    let nodes = nodes("raft_lin", 3).await;
    let mut members = Vec::new();
    for node in &nodes {
        let mut options = cluster::options("lin", &nodes);
        options.request_timeout = Duration::from_millis(1500);
        members.push(
            RaftMember::start_in_memory(node, options)
                .await
                .expect("member"),
        );
    }
    settled(&members, 3, 0).await;
    let leaders: Arc<Mutex<BTreeMap<u64, Atom>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (members, leaders, done) = (members.clone(), leaders.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                for member in &members {
                    if let Some((leader, term)) = member.leader() {
                        let mut seen = leaders.lock().unwrap_or_else(|p| p.into_inner());
                        let first = seen.entry(term).or_insert_with(|| leader.clone());
                        assert_eq!(*first, leader, "two leaders in term {term} (seed {seed})");
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let clients: Vec<_> = members
        .iter()
        .enumerate()
        .map(|(i, m)| tokio::spawn(client(m.clone(), i, rng.next(), 40)))
        .collect();
    // The nemesis, while the clients run: two partitions of a member for 400-1200 ms each (the
    // leader in three rounds out of four, else a random member); in one run out of three, that
    // member's node stopped for good (its member too) at the end of the second.
    let stop_one = rng.below(3) == 0;
    let mut stopped = None;
    for round in 0..2 {
        tokio::time::sleep(Duration::from_millis(50 + rng.below(200))).await;
        let leader = members[0].leader().map(|l| l.0);
        let victim = match leader {
            Some(l) if rng.below(4) != 0 => nodes.iter().position(|n| n.name() == &l).unwrap_or(0),
            _ => rng.below(3) as usize,
        };
        for (i, node) in nodes.iter().enumerate() {
            if i != victim {
                node.cut_link(nodes[victim].name().as_str()).expect("cut");
                nodes[victim].cut_link(node.name().as_str()).expect("cut");
            }
        }
        tokio::time::sleep(Duration::from_millis(400 + rng.below(800))).await;
        if stop_one && round == 1 {
            members[victim].stop().await;
            nodes[victim].stop();
            stopped = Some(victim);
            break;
        }
        for (i, node) in nodes.iter().enumerate() {
            if i != victim {
                node.heal_link(nodes[victim].name().as_str()).expect("heal");
                nodes[victim].heal_link(node.name().as_str()).expect("heal");
            }
        }
    }
    let mut history = Vec::new();
    for c in clients {
        history.extend(c.await.expect("client"));
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.await.expect("at most one leader per term");
    let count = |f: fn(&Outcome) -> bool| history.iter().filter(|o| f(&o.outcome)).count();
    eprintln!(
        "seed {seed}: {} acknowledged puts, {} reads, {} unknown, leaders by term {:?}, stopped {stopped:?}",
        count(|o| matches!(o, Outcome::Put(_))),
        count(|o| matches!(o, Outcome::Get(..))),
        count(|o| matches!(o, Outcome::Unknown)),
        leaders.lock().unwrap_or_else(|p| p.into_inner()).keys().collect::<Vec<_>>()
    );
    for key in 0..KEYS {
        let ops: Vec<&Op> = history.iter().filter(|o| o.key == key).collect();
        if let Err(violation) = check_key(&ops) {
            panic!("seed {seed}, key {key}: {violation}\nhistory: {ops:#?}");
        }
    }
    // No acknowledged write lost: every live member serves each by serial, once the live
    // members agree on a leader again (a leader that lost its majority answers no_quorum).
    let live: Vec<&RaftMember> = members
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != stopped)
        .map(|(_, m)| m)
        .collect();
    let deadline = std::time::Instant::now() + crate::cluster::SETTLE;
    loop {
        let seen: Vec<_> = live.iter().map(|m| m.leader().map(|l| l.0)).collect();
        if seen[0].is_some() && seen.iter().all(|s| s == &seen[0]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "seed {seed}: no leader after the nemesis: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for op in &history {
        if let (Outcome::Put(serial), Some(value)) = (&op.outcome, &op.value) {
            for member in &live {
                let got = member.get_serial(*serial).await;
                assert_eq!(
                    got.expect("get_serial"),
                    Some((Term::Int(op.key), value.clone())),
                    "seed {seed}: acknowledged write {serial} of client {} lost",
                    op.client
                );
            }
        }
    }
    for member in &members {
        member.stop().await;
    }
    for node in &nodes {
        node.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histories_under_partitions_and_a_stopped_node_are_linearizable() {
    let runs: u64 = std::env::var("RAFT_LINEARIZABLE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let first: u64 = std::env::var("RAFT_LINEARIZABLE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    for n in 0..runs {
        run(first.wrapping_add(n)).await;
    }
}

#[test]
fn the_checker_finds_a_stale_read_and_a_lost_order() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let put = |v: i64, from: u64, to: u64, serial: u64| Op {
        client: 0,
        key: 0,
        value: Some(Term::Int(v)),
        invoked: at(from),
        completed: at(to),
        outcome: Outcome::Put(serial),
    };
    let get = |from: u64, to: u64, serial: u64, v: Option<i64>| Op {
        client: 1,
        key: 0,
        value: None,
        invoked: at(from),
        completed: at(to),
        outcome: Outcome::Get(serial, v.map(Term::Int)),
    };
    let good = [put(1, 0, 10, 1), get(20, 30, 1, Some(1)), put(2, 40, 50, 2)];
    assert_eq!(check_key(&good.iter().collect::<Vec<_>>()), Ok(()));
    let stale = [put(1, 0, 10, 1), get(20, 30, 0, None)];
    assert!(check_key(&stale.iter().collect::<Vec<_>>()).is_err());
    let future = [get(0, 10, 1, Some(1)), put(1, 20, 30, 1)];
    assert!(check_key(&future.iter().collect::<Vec<_>>()).is_err());
    let reordered = [put(1, 0, 10, 2), put(2, 20, 30, 1)];
    assert!(check_key(&reordered.iter().collect::<Vec<_>>()).is_err());
    let backwards = [
        put(1, 0, 5, 1),
        put(2, 0, 5, 2),
        get(10, 20, 2, Some(2)),
        get(30, 40, 1, Some(1)),
    ];
    assert!(check_key(&backwards.iter().collect::<Vec<_>>()).is_err());
}
