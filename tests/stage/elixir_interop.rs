//! Rust stages with real Elixir GenStage stages across nodes: a Rust producer feeding Elixir
//! consumers and an Elixir producer feeding Rust consumers, for each dispatcher (demand,
//! broadcast, partition with phash2 compared event by event), a Rust producer_consumer between
//! two Elixir stages, and Elixir's cancel modes against a Rust producer's exit. Every batch is
//! checked against the demand outstanding when it came (the consumers ask manually, so a batch
//! is one protocol message).

use std::collections::HashMap;

use ergo::runtime::gen::stage::phash2::phash2_range;
use ergo::stage::{
    self, BroadcastDispatcher, DemandMode, PartitionDispatcher, StageOptions, SubscribeOptions,
};
use ergo::{Node, Pid, SpawnOptions, Term};
use tokio::sync::mpsc;

use crate::common::{self, Collector};
use crate::elixir::{gen_stage_ebin, keyword, ElixirNode, T};
use crate::stages::{Asking, Doubler, Numbers, Recorder, Report, Watched};

/// A Rust node and an Elixir node with one cookie.
async fn pair(test: &str) -> Option<(Node, ElixirNode)> {
    let ebin = gen_stage_ebin(test)?;
    let cookie = common::unique_name("cookie");
    let node = common::dist_node("rs_stage", &cookie).await;
    let ex = ElixirNode::start("ex_stage", &cookie, &ebin).await;
    Some((node, ex))
}

/// One `{batch, Consumer, Count, Outstanding, Events}` from an Elixir consumer, checked.
struct ExBatch {
    consumer: Term,
    events: Vec<Term>,
}

async fn ex_batch(rx: &mut mpsc::UnboundedReceiver<Term>, ex: &ElixirNode) -> ExBatch {
    loop {
        let m = tokio::time::timeout(T, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no batch in time; elixir:\n{}", ex.output()))
            .expect("collector");
        match m.as_tuple() {
            Some([tag, consumer, Term::Int(n), out, Term::List(events)])
                if tag.is_atom("batch") =>
            {
                assert_eq!(*n as usize, events.len());
                assert!(!events.is_empty(), "an empty batch");
                if let Term::Int(out) = out {
                    assert!(n <= out, "{n} events for an outstanding demand of {out}");
                }
                return ExBatch {
                    consumer: consumer.clone(),
                    events: events.clone(),
                };
            }
            Some([tag, ..]) if tag.is_atom("subscribed") => {}
            _ => panic!("unexpected report {m}"),
        }
    }
}

async fn report(rx: &mut mpsc::UnboundedReceiver<Report>) -> Report {
    tokio::time::timeout(T, rx.recv())
        .await
        .expect("a report in time")
        .expect("consumer alive")
}

async fn rust_producer(node: &Node, name: &str, options: StageOptions) -> Pid {
    node.start_stage::<Numbers>((0, options), SpawnOptions::named(name))
        .await
        .expect("start the Rust producer")
}

async fn ex_consumer(node: &Node, ex: &ElixirNode, report: &Pid, ask: i64) -> Term {
    ex.start_stage(
        node,
        "Side.Consumer",
        Term::tuple(vec![Term::Pid(report.clone()), Term::Int(ask)]),
        None,
    )
    .await
}

async fn ex_subscribe(node: &Node, ex: &ElixirNode, consumer: &Term, opts: Term) {
    let r = ex
        .apply(
            node,
            "GenStage",
            "sync_subscribe",
            vec![consumer.clone(), opts],
        )
        .await;
    assert!(
        matches!(r.as_tuple(), Some([ok, _]) if ok.is_atom("ok")),
        "sync_subscribe: {r}\n{}",
        ex.output()
    );
}

fn to_remote(node: &Node, name: &str) -> Term {
    Term::tuple(vec![Term::atom(name), Term::Atom(node.name().clone())])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_demand_producer_feeds_an_elixir_consumer() {
    let Some((node, ex)) = pair("rust_demand_producer_feeds_an_elixir_consumer").await else {
        return;
    };
    rust_producer(&node, "numbers", StageOptions::default()).await;
    let (report, mut rx) = Collector::new().spawn(&node);
    let c = ex_consumer(&node, &ex, &report, 50).await;
    ex_subscribe(
        &node,
        &ex,
        &c,
        keyword(&[("to", to_remote(&node, "numbers"))]),
    )
    .await;
    let mut expected = 0;
    while expected < 2_000 {
        for e in ex_batch(&mut rx, &ex).await.events {
            assert_eq!(e, Term::Int(expected));
            expected += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_broadcast_producer_feeds_every_elixir_consumer() {
    let Some((node, ex)) = pair("rust_broadcast_producer_feeds_every_elixir_consumer").await else {
        return;
    };
    // Demand accumulates until both are subscribed, so both see the stream from its start.
    let news = rust_producer(
        &node,
        "news",
        StageOptions::default()
            .dispatcher(BroadcastDispatcher::new())
            .demand(DemandMode::Accumulate),
    )
    .await;
    let (report, mut rx) = Collector::new().spawn(&node);
    let a = ex_consumer(&node, &ex, &report, 30).await;
    let b = ex_consumer(&node, &ex, &report, 70).await;
    ex_subscribe(&node, &ex, &a, keyword(&[("to", to_remote(&node, "news"))])).await;
    ex_subscribe(&node, &ex, &b, keyword(&[("to", to_remote(&node, "news"))])).await;
    assert_eq!(
        stage::demand(&node, news.clone()).await.ok(),
        Some(DemandMode::Accumulate)
    );
    stage::set_demand(&node, news, DemandMode::Forward).expect("forward");
    let mut next: HashMap<Term, i64> = HashMap::from([(a.clone(), 0), (b.clone(), 0)]);
    while next.values().any(|n| *n < 1_000) {
        let batch = ex_batch(&mut rx, &ex).await;
        let n = next.get_mut(&batch.consumer).expect("a known consumer");
        for e in batch.events {
            assert_eq!(
                e,
                Term::Int(*n),
                "every consumer gets every event, in order"
            );
            *n += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_partition_producer_agrees_with_elixir_phash2() {
    let Some((node, ex)) = pair("rust_partition_producer_agrees_with_elixir_phash2").await else {
        return;
    };
    rust_producer(
        &node,
        "parts",
        StageOptions::default().dispatcher(PartitionDispatcher::new(4)),
    )
    .await;
    let (report, mut rx) = Collector::new().spawn(&node);
    let mut partition_of = HashMap::new();
    for p in 0..4 {
        let c = ex_consumer(&node, &ex, &report, 40).await;
        ex_subscribe(
            &node,
            &ex,
            &c,
            keyword(&[
                ("to", to_remote(&node, "parts")),
                ("partition", Term::Int(p)),
            ]),
        )
        .await;
        partition_of.insert(c, p);
    }
    let mut received = 0;
    let mut last: HashMap<Term, i64> = HashMap::new();
    while received < 2_000 {
        let batch = ex_batch(&mut rx, &ex).await;
        let p = partition_of[&batch.consumer];
        // Elixir's own phash2 must put every one of these events in this consumer's partition.
        let theirs = ex
            .apply(
                &node,
                "Side",
                "partitions",
                vec![Term::List(batch.events.clone()), Term::Int(4)],
            )
            .await;
        let Term::List(theirs) = theirs else {
            panic!("{theirs}")
        };
        for (e, h) in batch.events.iter().zip(&theirs) {
            assert_eq!(
                h,
                &Term::Int(p),
                "event {e}: Elixir hashes it to {h}, Rust sent it to {p}"
            );
            let Term::Int(n) = e else { panic!("{e}") };
            let prev = last.insert(batch.consumer.clone(), *n).unwrap_or(-1);
            assert!(*n > prev, "reordered within a partition");
        }
        received += batch.events.len();
    }
}

/// An Elixir producer with `dispatcher` (an Elixir term) and Rust consumers; returns the name.
async fn ex_producer(node: &Node, ex: &ElixirNode, name: &str, dispatcher: Option<Term>) {
    let opts = match dispatcher {
        Some(d) => keyword(&[("dispatcher", d)]),
        None => Term::nil(),
    };
    ex.start_stage(
        node,
        "Side.Producer",
        Term::tuple(vec![Term::Int(0), opts]),
        Some(name),
    )
    .await;
}

async fn rust_consumer(node: &Node, asking: Asking) -> (Pid, mpsc::UnboundedReceiver<Report>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let pid = node
        .start_stage::<Recorder>(
            (tx, asking, StageOptions::default()),
            SpawnOptions::default(),
        )
        .await
        .expect("start a Rust consumer");
    (pid, rx)
}

/// Reads batches until `count` events came; checks each against its bound; returns them.
async fn rust_batches(rx: &mut mpsc::UnboundedReceiver<Report>, count: usize) -> Vec<Term> {
    let mut all = Vec::new();
    while all.len() < count {
        match report(rx).await {
            Report::Batch { events, bound } => {
                assert!(!events.is_empty());
                assert!(
                    events.len() as u64 <= bound,
                    "{} events, demand {bound}",
                    events.len()
                );
                all.extend(events);
            }
            Report::Subscribed(_) => {}
            Report::Cancelled(c) => panic!("cancelled: {c:?}"),
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elixir_demand_producer_feeds_a_rust_consumer() {
    let Some((node, ex)) = pair("elixir_demand_producer_feeds_a_rust_consumer").await else {
        return;
    };
    ex_producer(&node, &ex, "src", None).await;
    let (c, mut rx) = rust_consumer(&node, Asking::Manual(33)).await;
    stage::subscribe(&node, c, ex.dest("src"), &SubscribeOptions::new())
        .await
        .expect("subscribe");
    let events = rust_batches(&mut rx, 2_000).await;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e, &Term::Int(i as i64));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elixir_broadcast_producer_feeds_rust_consumers() {
    let Some((node, ex)) = pair("elixir_broadcast_producer_feeds_rust_consumers").await else {
        return;
    };
    ex_producer(
        &node,
        &ex,
        "bsrc",
        Some(Term::atom("Elixir.GenStage.BroadcastDispatcher")),
    )
    .await;
    let (a, mut ra) = rust_consumer(&node, Asking::Manual(20)).await;
    let (b, mut rb) = rust_consumer(&node, Asking::Automatic(250)).await;
    stage::subscribe(&node, a, ex.dest("bsrc"), &SubscribeOptions::new())
        .await
        .expect("subscribe a");
    stage::subscribe(
        &node,
        b,
        ex.dest("bsrc"),
        &SubscribeOptions::new().max_demand(500),
    )
    .await
    .expect("subscribe b");
    let ea = rust_batches(&mut ra, 1_000).await;
    let eb = rust_batches(&mut rb, 1_000).await;
    // Both see the same stream from where they joined (the second may join a little later).
    let start = match eb.first() {
        Some(Term::Int(n)) => *n,
        other => panic!("{other:?}"),
    };
    for (i, e) in eb.iter().enumerate() {
        assert_eq!(e, &Term::Int(start + i as i64));
    }
    for (i, e) in ea.iter().enumerate() {
        assert_eq!(e, &Term::Int(i as i64));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elixir_partition_producer_agrees_with_rust_phash2() {
    let Some((node, ex)) = pair("elixir_partition_producer_agrees_with_rust_phash2").await else {
        return;
    };
    ex_producer(
        &node,
        &ex,
        "psrc",
        Some(Term::tuple(vec![
            Term::atom("Elixir.GenStage.PartitionDispatcher"),
            keyword(&[("partitions", Term::Int(3))]),
        ])),
    )
    .await;
    let mut consumers = Vec::new();
    for p in 0..3i64 {
        let (c, rx) = rust_consumer(&node, Asking::Manual(25)).await;
        stage::subscribe(
            &node,
            c,
            ex.dest("psrc"),
            &SubscribeOptions::new().partition(p),
        )
        .await
        .expect("subscribe");
        consumers.push((p, rx));
    }
    for (p, rx) in &mut consumers {
        for e in rust_batches(rx, 300).await {
            assert_eq!(
                phash2_range(&e, 3) as i64,
                *p,
                "Elixir sent {e} to partition {p}; Rust's phash2 disagrees"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_producer_consumer_between_elixir_stages() {
    let Some((node, ex)) = pair("rust_producer_consumer_between_elixir_stages").await else {
        return;
    };
    ex_producer(&node, &ex, "src", None).await;
    let doubler = node
        .start_stage::<Doubler>(
            StageOptions::default()
                .subscribe_to(ex.dest("src"), SubscribeOptions::new().max_demand(100)),
            SpawnOptions::named("doubler"),
        )
        .await
        .expect("start the doubler");
    let (report, mut rx) = Collector::new().spawn(&node);
    let c = ex_consumer(&node, &ex, &report, 64).await;
    ex_subscribe(&node, &ex, &c, keyword(&[("to", Term::Pid(doubler))])).await;
    let mut expected = 0;
    while expected < 3_000 {
        for e in ex_batch(&mut rx, &ex).await.events {
            assert_eq!(e, Term::Int(expected * 2));
            expected += 1;
        }
    }
}

/// Elixir's cancel modes against a Rust producer's exit: a transient Elixir consumer survives
/// `shutdown` and stops on `boom`, with that reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elixir_cancel_modes_against_a_rust_producer_exit() {
    let Some((node, ex)) = pair("elixir_cancel_modes_against_a_rust_producer_exit").await else {
        return;
    };
    for (reason, stops) in [(Term::atom("shutdown"), false), (Term::atom("boom"), true)] {
        let name = common::unique_name("p");
        let p = rust_producer(&node, &name, StageOptions::default()).await;
        let (report, mut rx) = Collector::new().spawn(&node);
        let c = ex_consumer(&node, &ex, &report, 10).await;
        ex_subscribe(
            &node,
            &ex,
            &c,
            keyword(&[
                ("to", to_remote(&node, &name)),
                ("cancel", Term::atom("transient")),
            ]),
        )
        .await;
        ex_batch(&mut rx, &ex).await;
        node.cast(p, Term::tuple(vec![Term::atom("stop"), reason.clone()]))
            .expect("cast");
        let exit = ex
            .apply(
                &node,
                "Side",
                "await_exit",
                vec![c.clone(), Term::Int(if stops { 10_000 } else { 500 })],
            )
            .await;
        if stops {
            assert_eq!(
                exit,
                Term::tuple(vec![Term::atom("exited"), reason.clone()])
            );
        } else {
            assert_eq!(exit, Term::atom("alive"), "{reason}");
        }
    }
}

/// The consumer's node dies mid-flow: the Rust producer sees `{down, noconnection}` for that
/// subscription and goes on serving others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_node_killed_mid_flow_is_noconnection() {
    let Some((node, mut ex)) = pair("a_consumer_node_killed_mid_flow_is_noconnection").await else {
        return;
    };
    let (tx, mut cancels) = mpsc::unbounded_channel();
    let p = node
        .start_stage::<Watched>(tx, SpawnOptions::named("watched"))
        .await
        .expect("start the producer");
    let (report, mut rx) = Collector::new().spawn(&node);
    let c = ex_consumer(&node, &ex, &report, 20).await;
    ex_subscribe(
        &node,
        &ex,
        &c,
        keyword(&[("to", to_remote(&node, "watched"))]),
    )
    .await;
    ex_batch(&mut rx, &ex).await;
    ex.kill();
    let cancel = tokio::time::timeout(T, cancels.recv())
        .await
        .expect("a cancel in time")
        .expect("producer alive");
    assert_eq!(cancel, stage::CancelKind::Down(Term::atom("noconnection")));
    let (c, mut rx) = rust_consumer(&node, Asking::Manual(10)).await;
    stage::subscribe(&node, c, p, &SubscribeOptions::new())
        .await
        .expect("subscribe after the loss");
    assert_eq!(rust_batches(&mut rx, 10).await.len(), 10);
}

/// A Rust ConsumerSupervisor fed by an Elixir producer: one child per event, every event
/// handled once, never more than max_demand children alive at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_supervisor_runs_a_child_per_elixir_event() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let Some((node, ex)) = pair("consumer_supervisor_runs_a_child_per_elixir_event").await else {
        return;
    };
    ex_producer(&node, &ex, "jobs", None).await;
    let alive = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (tx, mut done) = mpsc::unbounded_channel::<Term>();
    let (a, m) = (alive.clone(), most.clone());
    let body: stage::ChildBody = Arc::new(move |_ctx, event| {
        let (alive, most, tx) = (a.clone(), m.clone(), tx.clone());
        Box::pin(async move {
            let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            alive.fetch_sub(1, Ordering::SeqCst);
            let _ = tx.send(event);
            Term::atom("normal")
        })
    });
    let spec = stage::ConsumerSupervisorSpec::new(body).subscribe_to(
        ex.dest("jobs"),
        SubscribeOptions::new().max_demand(10).min_demand(5),
    );
    node.start_stage::<stage::ConsumerSupervisor>(spec, SpawnOptions::default())
        .await
        .expect("start the consumer supervisor");
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 300 {
        let e = tokio::time::timeout(T, done.recv())
            .await
            .expect("a child's event in time")
            .expect("open");
        let Term::Int(n) = e else { panic!("{e}") };
        assert!(seen.insert(n), "event {n} handled twice");
    }
    assert_eq!(seen.iter().next(), Some(&0));
    assert!(
        most.load(Ordering::SeqCst) <= 10,
        "{} children at once",
        most.load(Ordering::SeqCst)
    );
}

/// Bad input over the wire from a real Elixir node: a subscription to a partition that does not
/// exist and a non-integer ask are answered with a cancel carrying the reason; the Rust producer
/// keeps serving an Elixir consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_from_elixir_cancels_only_its_subscription() {
    let Some((node, ex)) = pair("bad_input_from_elixir_cancels_only_its_subscription").await else {
        return;
    };
    rust_producer(
        &node,
        "parts",
        StageOptions::default().dispatcher(PartitionDispatcher::new(2)),
    )
    .await;
    let to = to_remote(&node, "parts");
    let reason = ex
        .apply(
            &node,
            "Side",
            "forge",
            vec![
                to.clone(),
                keyword(&[("partition", Term::Int(7))]),
                Term::tuple(vec![Term::atom("ask"), Term::Int(5)]),
            ],
        )
        .await;
    assert!(
        matches!(reason.as_tuple(), Some([t, _]) if t.is_atom("bad_opts")),
        "{reason}"
    );
    let reason = ex
        .apply(
            &node,
            "Side",
            "forge",
            vec![
                to.clone(),
                keyword(&[("partition", Term::Int(0))]),
                Term::tuple(vec![Term::atom("ask"), Term::atom("lots")]),
            ],
        )
        .await;
    assert_eq!(
        reason,
        Term::tuple(vec![Term::atom("bad_ask"), Term::atom("lots")])
    );
    // The producer still serves a real Elixir consumer on partition 1.
    let (report, mut rx) = Collector::new().spawn(&node);
    let c = ex_consumer(&node, &ex, &report, 10).await;
    ex_subscribe(
        &node,
        &ex,
        &c,
        keyword(&[("to", to), ("partition", Term::Int(1))]),
    )
    .await;
    assert!(!ex_batch(&mut rx, &ex).await.events.is_empty());
}

/// ConsumerSupervisor's management calls on a Rust consumer supervisor, made by a real Elixir
/// node (`Supervisor.which_children/1`, `ConsumerSupervisor.count_children/1` and
/// `start_child/2`) and by the Rust API, which reads a real Elixir ConsumerSupervisor's
/// replies the same way. A child started by `start_child` is outside of demand: no producer
/// is asked for it; the children fed by the producer are re-asked for once they exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_supervisor_answers_supervisor_calls() {
    use std::collections::HashSet;
    use std::sync::Arc;

    let Some((node, ex)) = pair("consumer_supervisor_answers_supervisor_calls").await else {
        return;
    };
    ex_producer(&node, &ex, "jobs", None).await;
    let (release, released) = tokio::sync::watch::channel(false);
    let (tx, mut started) = mpsc::unbounded_channel::<(Pid, Term)>();
    let body: stage::ChildBody = Arc::new(move |ctx, event| {
        let (tx, mut released) = (tx.clone(), released.clone());
        Box::pin(async move {
            let _ = tx.send((ctx.pid().clone(), event));
            let _ = released.wait_for(|r| *r).await;
            Term::atom("normal")
        })
    });
    let spec = stage::ConsumerSupervisorSpec::new(body)
        .modules(vec![ergo::Atom::new("Elixir.Jobs")])
        .subscribe_to(
            ex.dest("jobs"),
            SubscribeOptions::new().max_demand(3).min_demand(1),
        );
    let sup = node
        .start_stage::<stage::ConsumerSupervisor>(spec, SpawnOptions::default())
        .await
        .expect("start the consumer supervisor");
    async fn next(rx: &mut mpsc::UnboundedReceiver<(Pid, Term)>) -> (Pid, Term) {
        tokio::time::timeout(T, rx.recv())
            .await
            .expect("a child started in time")
            .expect("open")
    }
    let mut pids = HashSet::new();
    let mut events = HashSet::new();
    for _ in 0..3 {
        let (pid, event) = next(&mut started).await;
        let Term::Int(n) = event else {
            panic!("event {event}")
        };
        events.insert(n);
        pids.insert(pid);
    }
    // The children start concurrently: events 0, 1 and 2 in any order.
    assert_eq!(events, HashSet::from([0, 1, 2]));

    // From Elixir: which_children and count_children as Elixir's functions send them.
    let sup_term = Term::Pid(sup.clone());
    let listed = ex
        .apply(
            &node,
            "Supervisor",
            "which_children",
            vec![sup_term.clone()],
        )
        .await;
    let Term::List(entries) = &listed else {
        panic!("which_children: {listed}")
    };
    let mut listed_pids = HashSet::new();
    for entry in entries {
        match entry.as_tuple() {
            Some([id, Term::Pid(pid), kind, Term::List(modules)])
                if id.is_atom("undefined") && kind.is_atom("worker") =>
            {
                assert_eq!(modules, &vec![Term::atom("Elixir.Jobs")]);
                listed_pids.insert(pid.clone());
            }
            _ => panic!("which_children entry {entry}"),
        }
    }
    assert_eq!(listed_pids, pids);
    let counts = |active: i64| {
        Term::Map(ergo::etf::Map::from_pairs([
            (Term::atom("specs"), Term::Int(1)),
            (Term::atom("active"), Term::Int(active)),
            (Term::atom("workers"), Term::Int(active)),
            (Term::atom("supervisors"), Term::Int(0)),
        ]))
    };
    let counted = ex
        .apply(
            &node,
            "ConsumerSupervisor",
            "count_children",
            vec![sup_term.clone()],
        )
        .await;
    assert_eq!(counted, counts(3));

    // start_child from Elixir: a fourth child, beyond max_demand, outside of demand.
    let reply = ex
        .apply(
            &node,
            "ConsumerSupervisor",
            "start_child",
            vec![sup_term.clone(), Term::List(vec![Term::atom("extra")])],
        )
        .await;
    let (pid, event) = next(&mut started).await;
    assert_eq!(event, Term::atom("extra"));
    assert_eq!(reply, Term::tuple(vec![Term::atom("ok"), Term::Pid(pid)]));
    // The same from Rust; an argument list a Rust child cannot take is refused.
    let pid = stage::start_child(&node, sup.clone(), vec![Term::atom("more")])
        .await
        .expect("start_child from Rust");
    assert_eq!(next(&mut started).await, (pid, Term::atom("more")));
    match stage::start_child(&node, sup.clone(), vec![Term::Int(1), Term::Int(2)]).await {
        Err(stage::StageError::Refused(reason)) => assert!(
            matches!(reason.as_tuple(), Some([t, _]) if t.is_atom("badarity")),
            "{reason}"
        ),
        other => panic!("two arguments: {other:?}"),
    }
    let rust_counts = stage::count_children(&node, sup.clone())
        .await
        .expect("count");
    assert_eq!(
        rust_counts,
        stage::ChildCounts {
            specs: 1,
            active: 5,
            supervisors: 0,
            workers: 5
        }
    );
    assert_eq!(
        stage::which_children(&node, sup.clone())
            .await
            .expect("which_children")
            .len(),
        5
    );
    // No event was asked for the two extra children.
    assert!(
        started.try_recv().is_err(),
        "a child started beyond max_demand"
    );

    // Released, the children exit; the producer is asked again and its next events come.
    release.send_replace(true);
    let (_, event) = next(&mut started).await;
    assert!(
        matches!(event, Term::Int(n) if n >= 3),
        "after the exits: {event}"
    );

    // The Rust API reads a real Elixir ConsumerSupervisor the same way.
    ex.apply(&node, "Side", "start_sup", vec![Term::atom("ex_sup")])
        .await;
    let ex_child = stage::start_child(&node, ex.dest("ex_sup"), vec![Term::Int(1)])
        .await
        .expect("start_child on Elixir's ConsumerSupervisor");
    let ex_children = stage::which_children(&node, ex.dest("ex_sup"))
        .await
        .expect("which_children on Elixir's");
    assert_eq!(
        ex_children,
        vec![stage::ChildInfo {
            pid: Some(ex_child),
            kind: ergo::ChildKind::Worker,
            modules: Term::List(vec![Term::atom("Elixir.Side.Worker")]),
        }]
    );
    assert_eq!(
        stage::count_children(&node, ex.dest("ex_sup"))
            .await
            .expect("count_children on Elixir's"),
        stage::ChildCounts {
            specs: 1,
            active: 1,
            supervisors: 0,
            workers: 1
        }
    );
}
