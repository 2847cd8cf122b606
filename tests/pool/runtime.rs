//! The pool on one node.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use ergo::{
    CallError, CallOutcome, Context, GenServer, Init, Node, NodeOptions, Payload, Pid, PoolError,
    PoolOptions, PoolResize, PoolStats, PoolStatsRequest, ReplyTo, SpawnOptions, Status, Term,
};
use tokio::sync::Semaphore;

use common::wait::wait_until;

/// A worker: `whoami` answers its pid, `block` waits for a permit of the shared gate then
/// answers `done`, `crash` panics, anything else comes back as `{echo, Request}`; a cast
/// `{count, To}` sends `counted` to `To`.
pub struct Worker {
    gate: Arc<Semaphore>,
}

impl GenServer for Worker {
    type Args = Arc<Semaphore>;
    async fn init(_ctx: &mut Context, gate: Arc<Semaphore>) -> Init<Self> {
        Init::Ok(Worker { gate })
    }
    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Payload,
        _from: ReplyTo,
    ) -> CallOutcome {
        let request = request.into_term();
        if request.is_atom("whoami") {
            return CallOutcome::Reply(Payload::new(Term::Pid(ctx.pid().clone())));
        }
        if request.is_atom("block") {
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            return CallOutcome::Reply(Payload::new(Term::atom("done")));
        }
        if request.is_atom("crash") {
            panic!("worker asked to crash");
        }
        CallOutcome::Reply(Payload::new(Term::tuple(vec![Term::atom("echo"), request])))
    }
    async fn handle_cast(&mut self, ctx: &mut Context, request: Payload) -> Status {
        if let Term::Tuple(elems) = request.into_term() {
            if let [tag, Term::Pid(to)] = elems.as_slice() {
                if tag.is_atom("count") {
                    let _ = ctx.send(to.clone(), Term::atom("counted"));
                }
            }
        }
        Status::Continue
    }
}

async fn node() -> Node {
    common::start_node("pool", NodeOptions::default()).await
}

async fn stats(node: &Node, pool: &Pid) -> PoolStats {
    node.direct(pool.clone(), PoolStatsRequest)
        .await
        .expect("pool stats")
}

fn options(workers: usize, worker_mailbox: usize) -> PoolOptions {
    PoolOptions {
        workers,
        worker_mailbox,
    }
}

#[tokio::test]
async fn calls_go_round_robin_and_workers_answer_directly() {
    let node = node().await;
    let gate = Arc::new(Semaphore::new(0));
    let pool = node
        .start_pool::<Worker>(gate, options(4, 10), SpawnOptions::named("rr_pool"))
        .await
        .expect("pool starts");
    let mut seen = Vec::new();
    for _ in 0..8 {
        let worker: Pid = node
            .call("rr_pool", Term::atom("whoami"))
            .await
            .expect("call");
        seen.push(worker);
    }
    // Each worker answered itself (its own pid), in turn.
    let distinct: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(distinct.len(), 4, "{seen:?}");
    assert_eq!(seen[..4], seen[4..], "round-robin order repeats");
    assert!(!distinct.contains(&pool));
    let echoed: Term = node.call(pool.clone(), Term::Int(7)).await.expect("call");
    assert_eq!(echoed, Term::tuple(vec![Term::atom("echo"), Term::Int(7)]));
    let s = stats(&node, &pool).await;
    assert_eq!(s.forwarded, 9);
    assert_eq!(s.workers.len(), 4);
    assert_eq!(s.workers.iter().map(|w| w.forwarded).sum::<u64>(), 9);
    assert_eq!((s.rejected_calls, s.dropped, s.restarts), (0, 0, 0));
}

#[tokio::test]
async fn a_request_no_worker_can_take_is_rejected_and_counted() {
    let node = node().await;
    let gate = Arc::new(Semaphore::new(0));
    let pool = node
        .start_pool::<Worker>(gate.clone(), options(2, 1), SpawnOptions::default())
        .await
        .expect("pool starts");
    // Two workers each busy with one call and one queued: everything is full.
    let mut blocked = Vec::new();
    for _ in 0..4 {
        let (n1, p1) = (node.clone(), pool.clone());
        blocked.push(tokio::spawn(async move {
            n1.call::<Term>(p1, Term::atom("block")).await
        }));
        // Deterministic filling: wait until the pool has handed this one over.
        let n = blocked.len() as u64;
        let node2 = node.clone();
        let pool2 = pool.clone();
        common::wait::eventually(
            "the pool handed the call over",
            Duration::from_secs(5),
            || {
                let node = node2.clone();
                let pool = pool2.clone();
                async move { stats(&node, &pool).await.forwarded == n }
            },
        )
        .await;
    }
    common::wait::eventually(
        "both workers hold one call and queue one",
        Duration::from_secs(5),
        || {
            let node = node.clone();
            let pool = pool.clone();
            async move {
                stats(&node, &pool)
                    .await
                    .workers
                    .iter()
                    .all(|w| w.queued == 1)
            }
        },
    )
    .await;
    match node.call::<Term>(pool.clone(), Term::atom("block")).await {
        Err(CallError::Rejected(reason)) => assert_eq!(reason, Term::atom("busy")),
        other => panic!("expected a busy rejection, got {other:?}"),
    }
    node.cast(pool.clone(), Term::atom("lost")).expect("cast");
    node.send(pool.clone(), Term::atom("lost too"))
        .expect("send");
    let s = stats(&node, &pool).await;
    assert_eq!((s.rejected_calls, s.dropped, s.forwarded), (1, 2, 4));
    // Nothing that was queued is lost: every blocked call is answered once the gate opens.
    gate.add_permits(4);
    for call in blocked {
        let reply = call.await.expect("task");
        assert_eq!(reply.expect("answered"), Term::atom("done"));
    }
}

#[tokio::test]
async fn workers_crashing_under_load_lose_no_call() {
    let node = node().await;
    let gate = Arc::new(Semaphore::new(0));
    let pool = node
        .start_pool::<Worker>(gate, options(4, 1000), SpawnOptions::default())
        .await
        .expect("pool starts");
    let first: HashSet<Pid> = stats(&node, &pool)
        .await
        .workers
        .into_iter()
        .map(|w| w.pid)
        .collect();
    let mut calls = Vec::new();
    for i in 0..2000i64 {
        let node = node.clone();
        let pool = pool.clone();
        calls.push(tokio::spawn(async move {
            let request = if i % 50 == 0 {
                Term::atom("crash")
            } else {
                Term::Int(i)
            };
            let result = node
                .call_timeout::<Term>(pool, request.clone(), Duration::from_secs(20))
                .await;
            (request, result)
        }));
    }
    let (mut answered, mut lost) = (0, 0);
    for call in calls {
        let (request, result) = call.await.expect("task");
        match result {
            Ok(reply) => {
                assert_eq!(reply, Term::tuple(vec![Term::atom("echo"), request]));
                answered += 1;
            }
            // Queued at (or being handled by) a worker that crashed: an explicit error at once.
            Err(CallError::NoReply) => lost += 1,
            Err(other) => panic!("call {request} ended with {other:?}"),
        }
    }
    assert!(answered > 1000, "answered {answered}, lost {lost}");
    assert!(lost >= 40, "every crash call is an error at least: {lost}");
    let s = stats(&node, &pool).await;
    // A crash call lost in an earlier crash crashes nothing: at most one restart per crash call.
    assert!((1..=40).contains(&s.restarts), "restarts {}", s.restarts);
    let restarts = s.restarts;
    assert_eq!(s.workers.len(), 4);
    assert!(s.workers.iter().all(|w| node.is_alive(&w.pid)));
    assert!(s.workers.iter().any(|w| !first.contains(&w.pid)));
    let after: Term = node
        .call(pool.clone(), Term::Int(1))
        .await
        .expect("still serving");
    assert_eq!(after, Term::tuple(vec![Term::atom("echo"), Term::Int(1)]));
    // The replacements are monitored too: crash them again, they come back again.
    for _ in 0..4 {
        let _ = node.call::<Term>(pool.clone(), Term::atom("crash")).await;
    }
    let node2 = node.clone();
    let pool2 = pool.clone();
    common::wait::eventually(
        "the pool replaced the new workers too",
        Duration::from_secs(5),
        || {
            let node = node2.clone();
            let pool = pool2.clone();
            async move {
                let s = stats(&node, &pool).await;
                s.restarts == restarts + 4 && s.workers.len() == 4
            }
        },
    )
    .await;
}

#[tokio::test]
async fn casts_reach_workers_and_the_pool_resizes() {
    let node = node().await;
    let gate = Arc::new(Semaphore::new(0));
    let pool = node
        .start_pool::<Worker>(gate, options(2, 10), SpawnOptions::default())
        .await
        .expect("pool starts");
    let (me, mut rx) = common::forwarder(&node, false);
    for _ in 0..3 {
        node.cast(
            pool.clone(),
            Term::tuple(vec![Term::atom("count"), Term::Pid(me.clone())]),
        )
        .expect("cast");
    }
    for _ in 0..3 {
        assert_eq!(common::wait::next(&mut rx).await, Term::atom("counted"));
    }
    let grown: Result<usize, PoolError> = node
        .direct(pool.clone(), PoolResize(5))
        .await
        .expect("resize");
    assert_eq!(grown.expect("grown"), 5);
    let five = stats(&node, &pool).await.workers;
    assert_eq!(five.len(), 5);
    let shrunk = node
        .direct(pool.clone(), PoolResize(1))
        .await
        .expect("resize");
    assert_eq!(shrunk.expect("shrunk"), 1);
    let one = stats(&node, &pool).await.workers;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].pid, five[0].pid, "the first worker is kept");
    for removed in &five[1..] {
        let pid = removed.pid.clone();
        let node = node.clone();
        wait_until("a removed worker stops", move || !node.is_alive(&pid)).await;
    }
    let zero = node
        .direct(pool.clone(), PoolResize(0))
        .await
        .expect("resize");
    assert!(matches!(zero, Err(PoolError::NoWorkers)));
    for _ in 0..3 {
        let worker: Pid = node
            .call(pool.clone(), Term::atom("whoami"))
            .await
            .expect("call");
        assert_eq!(worker, one[0].pid);
    }
    assert_eq!(
        stats(&node, &pool).await.restarts,
        0,
        "removed workers are not replaced"
    );
}

#[tokio::test]
async fn bad_options_and_stopping() {
    let node = node().await;
    let gate = Arc::new(Semaphore::new(0));
    let none = node
        .start_pool::<Worker>(gate.clone(), options(0, 1), SpawnOptions::default())
        .await;
    assert!(matches!(none, Err(PoolError::NoWorkers)));
    let zero = node
        .start_pool::<Worker>(gate.clone(), options(1, 0), SpawnOptions::default())
        .await;
    assert!(matches!(zero, Err(PoolError::ZeroMailbox)));
    // A pool killed takes its workers with it.
    let pool = node
        .start_pool::<Worker>(gate, options(3, 1), SpawnOptions::default())
        .await
        .expect("pool starts");
    let workers = stats(&node, &pool).await.workers;
    node.send_exit(&pool, Term::atom("kill"));
    for w in workers {
        let node = node.clone();
        wait_until("a worker ends with its pool", move || {
            !node.is_alive(&w.pid)
        })
        .await;
    }
}
