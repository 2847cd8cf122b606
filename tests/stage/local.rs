//! Rust stages on one node: a large count through a three-stage pipeline with nothing lost,
//! duplicated or reordered; manual and automatic demand never exceeded; every cancel mode
//! against every exit kind; the cancel echo; bad input from a forged remote consumer cancels
//! only its subscription.

use std::time::Duration;

use ergo::stage::{
    self, BufferKeep, CancelKind, CancelMode, PartitionDispatcher, StageOptions, SubscribeOptions,
};
use ergo::{Node, NodeOptions, Pid, SpawnOptions, Term};
use tokio::sync::mpsc;

use crate::common::{self, Collector};
use crate::stages::{Asking, Doubler, Numbers, Pass, Recorder, Report};

const T: Duration = Duration::from_secs(30);

async fn local_node(prefix: &str) -> Node {
    common::start_node(prefix, NodeOptions::default()).await
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Report>) -> Report {
    tokio::time::timeout(T, rx.recv())
        .await
        .expect("a report in time")
        .expect("the consumer is alive")
}

async fn producer(node: &Node, options: StageOptions) -> Pid {
    node.start_stage::<Numbers>((0, options), SpawnOptions::default())
        .await
        .expect("start the producer")
}

async fn consumer(
    node: &Node,
    asking: Asking,
    options: SpawnOptions,
) -> (Pid, mpsc::UnboundedReceiver<Report>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let pid = node
        .start_stage::<Recorder>((tx, asking, StageOptions::default()), options)
        .await
        .expect("start the consumer");
    (pid, rx)
}

/// The count through the three-stage pipeline: the 1,000,000. A debug build moves it in
/// a few seconds on the 2-core machine (events are `Term::Int`s in batches of up to 500).
const PIPELINE_EVENTS: i64 = 1_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_stage_pipeline_loses_duplicates_and_reorders_nothing() {
    let node = local_node("pipeline").await;
    let numbers = producer(&node, StageOptions::default()).await;
    let pass = node
        .start_stage::<Pass>(
            StageOptions::default().subscribe_to(numbers.clone(), SubscribeOptions::new()),
            SpawnOptions::default(),
        )
        .await
        .expect("start the producer_consumer");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let options = StageOptions::default().subscribe_to(pass, SubscribeOptions::new());
    node.start_stage::<Recorder>(
        (tx, Asking::Automatic(500), options),
        SpawnOptions::default(),
    )
    .await
    .expect("start the consumer");
    let mut expected = 0i64;
    while expected < PIPELINE_EVENTS {
        match next(&mut rx).await {
            Report::Batch { events, bound } => {
                assert!(!events.is_empty(), "an empty batch");
                assert!(events.len() as u64 <= bound, "a batch above max - min");
                for e in events {
                    assert_eq!(e, Term::Int(expected), "lost, duplicated or reordered");
                    expected += 1;
                }
            }
            Report::Subscribed(_) => {}
            Report::Cancelled(c) => panic!("cancelled: {c:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_demand_is_never_exceeded_and_producer_consumer_transforms() {
    let node = local_node("manual").await;
    let numbers = producer(&node, StageOptions::default()).await;
    let doubler = node
        .start_stage::<Doubler>(
            StageOptions::default().subscribe_to(
                numbers,
                SubscribeOptions::new().max_demand(10).min_demand(3),
            ),
            SpawnOptions::default(),
        )
        .await
        .expect("start the doubler");
    let (c, mut rx) = consumer(&node, Asking::Manual(7), SpawnOptions::default()).await;
    stage::subscribe(&node, c, doubler, &SubscribeOptions::new())
        .await
        .expect("subscribe");
    let mut expected = 0i64;
    while expected < 2_000 {
        if let Report::Batch { events, bound } = next(&mut rx).await {
            assert!(
                events.len() as u64 <= bound,
                "{} events for a demand of {bound}",
                events.len()
            );
            for e in events {
                assert_eq!(e, Term::Int(expected * 2));
                expected += 1;
            }
        }
    }
}

/// Every cancel mode against every way a producer ends (a stop with `normal`, `shutdown`,
/// `{shutdown, _}`, `boom`; killed by an exit signal): the consumer stops (with the reason)
/// exactly when GenStage's rules say so, and its handle_cancel sees `{down, Reason}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_modes_against_every_exit_kind() {
    let node = local_node("cancel").await;
    let reasons = [
        Term::atom("normal"),
        Term::atom("shutdown"),
        Term::tuple(vec![Term::atom("shutdown"), Term::atom("bye")]),
        Term::atom("boom"),
        // Not a stop: an untrappable exit signal; the monitor says `killed`.
        Term::atom("killed"),
    ];
    for mode in [
        CancelMode::Permanent,
        CancelMode::Transient,
        CancelMode::Temporary,
    ] {
        for reason in &reasons {
            let p = producer(&node, StageOptions::default()).await;
            let (watcher, mut exits) = Collector::new().trap_exit(true).spawn(&node);
            let (c, mut rx) = consumer(
                &node,
                Asking::Manual(5),
                SpawnOptions {
                    link: Some(watcher.clone()),
                    ..SpawnOptions::default()
                },
            )
            .await;
            stage::subscribe(
                &node,
                c.clone(),
                p.clone(),
                &SubscribeOptions::new().cancel(mode),
            )
            .await
            .expect("subscribe");
            // Let the first batch arrive, so the subscription is live.
            loop {
                if let Report::Batch { .. } = next(&mut rx).await {
                    break;
                }
            }
            node.cast(
                p.clone(),
                Term::tuple(vec![Term::atom("stop"), reason.clone()]),
            )
            .expect("cast");
            loop {
                match next(&mut rx).await {
                    Report::Cancelled(CancelKind::Down(r)) => {
                        assert_eq!(&r, reason);
                        break;
                    }
                    Report::Cancelled(other) => panic!("{other:?}"),
                    _ => {}
                }
            }
            let stops = match mode {
                CancelMode::Permanent => true,
                CancelMode::Transient => reason.is_atom("boom") || reason.is_atom("killed"),
                CancelMode::Temporary => false,
            };
            if stops {
                let exit = tokio::time::timeout(T, exits.recv())
                    .await
                    .expect("the consumer stops")
                    .expect("watcher");
                assert_eq!(
                    exit,
                    Term::tuple(vec![
                        Term::atom("EXIT"),
                        Term::Pid(c.clone()),
                        reason.clone()
                    ]),
                    "{mode:?} {reason}"
                );
            } else {
                // A call answered proves it is still running after the DOWN was handled.
                let n = stage::estimate_buffered_count(&node, c.clone()).await;
                assert_eq!(
                    n.ok(),
                    Some(0),
                    "{mode:?} {reason}: the consumer should keep running"
                );
            }
        }
    }
}

/// The consumer's own cancel is echoed by the producer, and the echo applies the cancel mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_cancel_is_echoed() {
    let node = local_node("echo").await;
    let p = producer(&node, StageOptions::default()).await;
    let (c, mut rx) = consumer(&node, Asking::Manual(3), SpawnOptions::default()).await;
    stage::subscribe(
        &node,
        c.clone(),
        p.clone(),
        &SubscribeOptions::new().cancel(CancelMode::Temporary),
    )
    .await
    .expect("subscribe");
    let from = loop {
        if let Report::Subscribed(from) = next(&mut rx).await {
            break from;
        }
    };
    // Cancel from a helper process on behalf of the consumer: the producer only reads the tag.
    let (helper, _) = Collector::new().spawn(&node);
    let _ = helper;
    node.send(
        p.clone(),
        stage::ToProducer {
            from: stage::StageFrom::new(c.clone(), from.tag.clone()),
            request: stage::ProducerRequest::Cancel(Term::atom("enough")),
        },
    )
    .expect("send cancel");
    loop {
        if let Report::Cancelled(kind) = next(&mut rx).await {
            assert_eq!(kind, CancelKind::Cancel(Term::atom("enough")));
            break;
        }
    }
    assert!(
        node.process_info(&p).is_some(),
        "the producer keeps running"
    );
}

/// Bad input from a (forged) remote consumer: a negative ask and an unknown partition cancel
/// only that subscription, with a reason; the producer keeps serving the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_cancels_only_its_subscription() {
    let node = local_node("bad").await;
    let p = producer(
        &node,
        StageOptions::default().dispatcher(PartitionDispatcher::new(2)),
    )
    .await;
    let (raw, mut inbox) = Collector::new().spawn(&node);
    let tag = Term::atom("forged");
    let send = |request: Term| {
        node.send(
            p.clone(),
            Term::tuple(vec![
                Term::atom("$gen_producer"),
                Term::tuple(vec![Term::Pid(raw.clone()), tag.clone()]),
                request,
            ]),
        )
        .expect("send");
    };
    let cancel_of = |m: &Term| -> Option<Term> {
        match m.as_tuple() {
            Some([t, _, body]) if t.is_atom("$gen_consumer") => match body.as_tuple() {
                Some([c, reason]) if c.is_atom("cancel") => Some(reason.clone()),
                _ => None,
            },
            _ => None,
        }
    };
    // An unknown partition: refused with a reason, no crash.
    let opts = Term::list(vec![Term::tuple(vec![
        Term::atom("partition"),
        Term::Int(9),
    ])]);
    send(Term::tuple(vec![
        Term::atom("subscribe"),
        Term::atom("nil"),
        opts,
    ]));
    let m = common::wait::next_within(&mut inbox, T).await;
    let reason = cancel_of(&m).unwrap_or_else(|| panic!("expected a cancel, got {m}"));
    assert!(
        matches!(reason.as_tuple(), Some([t, _]) if t.is_atom("bad_opts")),
        "{reason}"
    );
    // A good subscription, then a negative ask: cancelled with {bad_ask, -1}.
    let opts = Term::list(vec![Term::tuple(vec![
        Term::atom("partition"),
        Term::Int(0),
    ])]);
    send(Term::tuple(vec![
        Term::atom("subscribe"),
        Term::atom("nil"),
        opts,
    ]));
    send(Term::tuple(vec![Term::atom("ask"), Term::Int(-1)]));
    let m = common::wait::next_within(&mut inbox, T).await;
    assert_eq!(
        cancel_of(&m),
        Some(Term::tuple(vec![Term::atom("bad_ask"), Term::Int(-1)]))
    );
    // An ask for a subscription that is gone: unknown_subscription.
    send(Term::tuple(vec![Term::atom("ask"), Term::Int(1)]));
    let m = common::wait::next_within(&mut inbox, T).await;
    assert_eq!(cancel_of(&m), Some(Term::atom("unknown_subscription")));
    // The producer still serves a real consumer on partition 1.
    let (c, mut rx) = consumer(&node, Asking::Manual(10), SpawnOptions::default()).await;
    stage::subscribe(
        &node,
        c,
        p.clone(),
        &SubscribeOptions::new().partition(1i64),
    )
    .await
    .expect("subscribe");
    loop {
        if let Report::Batch { events, .. } = next(&mut rx).await {
            assert!(!events.is_empty());
            break;
        }
    }
    assert!(node.process_info(&p).is_some());
}

/// A bounded buffer keeps the last events and tells how many it holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffer_overflow_keeps_the_last_events() {
    let node = local_node("buffer").await;
    // A producer that emits 10 events on each `{emit}` cast, with no consumer: they buffer.
    let p = node
        .start_stage::<Burst>(
            StageOptions::default()
                .buffer_size(Some(4))
                .buffer_keep(BufferKeep::Last),
            SpawnOptions::default(),
        )
        .await
        .expect("start");
    node.cast(p.clone(), Term::atom("emit")).expect("cast");
    assert_eq!(
        stage::estimate_buffered_count(&node, p.clone()).await.ok(),
        Some(4)
    );
    let (c, mut rx) = consumer(&node, Asking::Manual(100), SpawnOptions::default()).await;
    stage::subscribe(&node, c, p, &SubscribeOptions::new())
        .await
        .expect("subscribe");
    loop {
        if let Report::Batch { events, .. } = next(&mut rx).await {
            assert_eq!(events, (6..10).map(Term::Int).collect::<Vec<_>>());
            break;
        }
    }
}

/// Emits 0..10 on a cast, whatever the demand.
struct Burst;

impl ergo::GenStage for Burst {
    type Args = StageOptions;

    async fn init(_ctx: &mut ergo::Context, options: StageOptions) -> stage::StageInit<Self> {
        stage::StageInit::Ok(stage::StageKind::Producer, Burst, options)
    }

    async fn handle_cast(
        &mut self,
        _ctx: &mut ergo::Context,
        _request: ergo::Payload,
    ) -> stage::Emit {
        stage::Emit::Events((0..10).map(Term::Int).collect())
    }
}

/// Emits 0..10 on a cast; forwards its infos to the test.
struct Noted {
    infos: mpsc::UnboundedSender<Term>,
}

impl ergo::GenStage for Noted {
    type Args = mpsc::UnboundedSender<Term>;

    async fn init(_ctx: &mut ergo::Context, infos: Self::Args) -> stage::StageInit<Self> {
        stage::StageInit::producer(Noted { infos })
    }

    async fn handle_cast(
        &mut self,
        _ctx: &mut ergo::Context,
        _request: ergo::Payload,
    ) -> stage::Emit {
        stage::Emit::Events((0..10).map(Term::Int).collect())
    }

    async fn handle_info(
        &mut self,
        _ctx: &mut ergo::Context,
        message: ergo::Payload,
    ) -> stage::Emit {
        let _ = self.infos.send(message.into_term());
        stage::Emit::none()
    }
}

/// `sync_info` waits behind the buffered events: the info reaches handle_info only once the
/// events emitted before it went to a consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_info_waits_behind_buffered_events() {
    let node = local_node("info").await;
    let (tx, mut infos) = mpsc::unbounded_channel();
    let p = node
        .start_stage::<Noted>(tx, SpawnOptions::default())
        .await
        .expect("start");
    node.cast(p.clone(), Term::atom("emit")).expect("cast");
    stage::sync_info(&node, p.clone(), Term::atom("marker"))
        .await
        .expect("sync_info");
    // A second call is answered after anything the first one queued for the producer itself.
    assert_eq!(
        stage::estimate_buffered_count(&node, p.clone()).await.ok(),
        Some(10)
    );
    assert!(
        infos.try_recv().is_err(),
        "the info went out before its events"
    );
    let (c, mut rx) = consumer(&node, Asking::Manual(5), SpawnOptions::default()).await;
    stage::subscribe(&node, c, p.clone(), &SubscribeOptions::new())
        .await
        .expect("subscribe");
    let mut got = Vec::new();
    while got.len() < 10 {
        if let Report::Batch { events, .. } = next(&mut rx).await {
            got.extend(events);
        }
    }
    assert_eq!(got, (0..10).map(Term::Int).collect::<Vec<_>>());
    let info = tokio::time::timeout(T, infos.recv())
        .await
        .expect("the info in time")
        .expect("open");
    assert_eq!(info, Term::atom("marker"));
}

/// A producer already dead at subscribe: `noproc` stops a permanent consumer (after replying
/// `{ok, Ref}`, as GenStage does), a temporary one only gets a reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_producer_at_subscribe_is_noproc() {
    let node = local_node("noproc").await;
    let p = producer(&node, StageOptions::default()).await;
    node.send_exit(&p, Term::atom("kill"));
    common::wait::wait_until("the producer is gone", || node.process_info(&p).is_none()).await;
    let (temporary, _rx) = consumer(&node, Asking::Manual(1), SpawnOptions::default()).await;
    let tag = stage::subscribe(
        &node,
        temporary.clone(),
        p.clone(),
        &SubscribeOptions::new().cancel(CancelMode::Temporary),
    )
    .await
    .expect("a reference");
    assert!(matches!(tag, Term::Reference(_)), "{tag}");
    assert!(node.process_info(&temporary).is_some());
    let (watcher, mut exits) = Collector::new().trap_exit(true).spawn(&node);
    let (permanent, _rx) = consumer(
        &node,
        Asking::Manual(1),
        SpawnOptions {
            link: Some(watcher),
            ..SpawnOptions::default()
        },
    )
    .await;
    let tag = stage::subscribe(&node, permanent.clone(), p, &SubscribeOptions::new())
        .await
        .expect("a reference");
    assert!(matches!(tag, Term::Reference(_)), "{tag}");
    let exit = tokio::time::timeout(T, exits.recv())
        .await
        .expect("the consumer stops")
        .expect("watcher");
    assert_eq!(
        exit,
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(permanent),
            Term::atom("noproc")
        ])
    );
}
