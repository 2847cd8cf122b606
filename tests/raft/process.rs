//! A `#[gen_raft]` process: `init` says how its member starts, and the raft callbacks
//! (committed appends, leader, voters, peers) and the gen_server callbacks all run in that one
//! process, on one state: what `handle_append` applied is what `handle_call` answers from.

use std::collections::HashMap;
use std::time::Duration;

use ergo::raft::RaftOptions;
use ergo::{
    gen_raft, Atom, Context, Node, Pid, RaftContext, RaftStart, Reply, ReplyTo, SpawnOptions, Term,
};

use crate::cluster::{self, nodes, SETTLE};

/// A replicated register: every member applies the committed appends to its own map.
struct Register {
    /// The process's pid, as `init` saw it.
    me: Pid,
    /// Callbacks that ran with another pid than `me` (must stay 0).
    elsewhere: u64,
    values: HashMap<Term, Term>,
    seen: Seen,
}

#[derive(ergo::Term, Debug)]
enum Request {
    /// `{put, K, V}` -> the serial, appended through the callback's context.
    Put(Term, Term),
    /// `{read, K}` -> the value this member applied last for K, from the state.
    Read(Term),
    /// `seen` -> what the callbacks saw.
    Seen,
}

#[derive(ergo::Term, Clone, Debug, Default, PartialEq)]
struct Seen {
    applied: Vec<(u64, Term, Term)>,
    leader: Option<Atom>,
    voters: Vec<Atom>,
    peers: Vec<(Atom, bool)>,
    elsewhere: u64,
}

#[gen_raft]
impl Register {
    async fn init(ctx: &mut Context, options: RaftOptions) -> Result<(Self, RaftStart), Term> {
        let state = Register {
            me: ctx.pid().clone(),
            elsewhere: 0,
            values: HashMap::new(),
            seen: Seen::default(),
        };
        Ok((state, RaftStart::new(options)))
    }

    async fn handle_append(
        &mut self,
        raft: &mut RaftContext<'_>,
        serial: u64,
        key: Term,
        value: Term,
    ) {
        self.here(raft);
        self.values.insert(key.clone(), value.clone());
        self.seen.applied.push((serial, key, value));
    }

    async fn handle_leader(
        &mut self,
        raft: &mut RaftContext<'_>,
        leader: Option<Atom>,
        _term: u64,
    ) {
        self.here(raft);
        self.seen.leader = leader;
    }

    async fn handle_quorum(&mut self, raft: &mut RaftContext<'_>, members: Vec<Atom>) {
        self.here(raft);
        self.seen.voters = members;
    }

    async fn handle_peer(&mut self, raft: &mut RaftContext<'_>, peer: Atom, online: bool) {
        self.here(raft);
        self.seen.peers.push((peer, online));
    }

    async fn handle_call(
        &mut self,
        raft: &mut RaftContext<'_>,
        request: Request,
        _from: ReplyTo,
    ) -> Reply<Term> {
        self.here(raft);
        Reply::Reply(match request {
            Request::Put(key, value) => match raft.append(key, value).await {
                Ok(serial) => Term::from(serial),
                Err(e) => Term::atom(e.reason()),
            },
            Request::Read(key) => self
                .values
                .get(&key)
                .cloned()
                .unwrap_or(Term::atom("not_found")),
            Request::Seen => {
                let mut seen = self.seen.clone();
                seen.elsewhere = self.elsewhere;
                ergo::IntoTerm::into_term(seen)
            }
        })
    }
}

impl Register {
    /// Counts a callback that did not run in this process.
    fn here(&mut self, raft: &mut RaftContext<'_>) {
        if raft.ctx().pid() != &self.me {
            self.elsewhere += 1;
        }
    }
}

async fn seen(node: &Node, pid: &Pid) -> Seen {
    let term: Term = node.call(pid.clone(), Request::Seen).await.expect("seen");
    ergo::FromTerm::from_term(term).expect("a Seen")
}

/// Waits until `check` holds for what every process saw, or fails with the last views.
async fn until(nodes: &[Node], pids: &[Pid], what: &str, check: impl Fn(&Seen) -> bool) {
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let mut views = Vec::new();
        for (node, pid) in nodes.iter().zip(pids) {
            views.push(seen(node, pid).await);
        }
        if views.iter().all(&check) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not {what} within {SETTLE:?}: {views:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_run_in_the_process_and_its_calls_see_the_applied_state() {
    let nodes = nodes("raft_proc", 3).await;
    let mut pids = Vec::new();
    for node in &nodes {
        let options = cluster::options("proc", &nodes);
        pids.push(
            node.start_raft::<Register>(options, SpawnOptions::named("register"))
                .await
                .expect("gen_raft process"),
        );
    }
    let mut all: Vec<Atom> = nodes.iter().map(|n| n.name().clone()).collect();
    all.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    until(&nodes, &pids, "one leader and three voters", |s| {
        s.leader.is_some() && s.voters == all
    })
    .await;

    // Each member appends through its own process (its handle_call, then the leader).
    for (i, (node, pid)) in nodes.iter().zip(&pids).enumerate() {
        let serial: Term = node
            .call(
                pid.clone(),
                Request::Put(Term::atom("k"), Term::Int(i as i64 + 1)),
            )
            .await
            .expect("put");
        assert_eq!(serial, Term::from(i as u64 + 1), "put {i}");
    }
    let expected: Vec<_> = (1..=3)
        .map(|i| (i as u64, Term::atom("k"), Term::Int(i)))
        .collect();
    until(&nodes, &pids, "three appends applied", |s| {
        s.applied.len() >= 3
    })
    .await;
    for (index, (node, pid)) in nodes.iter().zip(&pids).enumerate() {
        let s = seen(node, pid).await;
        assert_eq!(s.applied, expected, "member {index}: in serial order, once");
        assert_eq!(s.elsewhere, 0, "member {index}: a callback ran elsewhere");
        let me = nodes[index].name();
        for other in all.iter().filter(|n| *n != me) {
            assert!(
                s.peers.contains(&(other.clone(), true)),
                "member {index}: {:?}",
                s.peers
            );
        }
        let read: Term = node
            .call(pid.clone(), Request::Read(Term::atom("k")))
            .await
            .expect("read");
        assert_eq!(
            read,
            Term::Int(3),
            "member {index}: handle_call sees the state"
        );
    }
    let leaders: Vec<_> = {
        let mut v = Vec::new();
        for (node, pid) in nodes.iter().zip(&pids) {
            v.push(seen(node, pid).await.leader);
        }
        v
    };
    assert!(
        leaders.windows(2).all(|w| w[0] == w[1]),
        "one leader: {leaders:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gen_raft_process_takes_its_member_down() {
    let nodes = nodes("raft_kill", 1).await;
    let node = &nodes[0];
    let pid = node
        .start_raft::<Register>(cluster::options("kill", &nodes), SpawnOptions::default())
        .await
        .expect("gen_raft process");
    let raft = node
        .whereis(cluster::NAME)
        .expect("the member's raft process");
    // `kill`: no terminate runs, only the link can stop the member.
    node.send_exit(&pid, Term::atom("kill"));
    let deadline = std::time::Instant::now() + SETTLE;
    while node.is_alive(&raft) {
        assert!(
            std::time::Instant::now() < deadline,
            "the member's raft process outlived its gen_raft process"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
