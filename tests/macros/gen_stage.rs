//! `#[gen_stage]`: typed events (`#[derive(Term)]`) from a producer through a producer_consumer
//! to a consumer, the untyped `Term` path beside them, a typed call answered by a stage, an
//! event that does not decode dropped (and logged) while the rest go on, and terminate.

use std::time::Duration;

use ergo::stage::{Emit, StageFrom, StageInit, StageOptions, SubscribeOptions};
use ergo::{gen_stage, Context, Node, NodeOptions, Reply, ReplyTo, SpawnOptions, Term};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

const T: Duration = Duration::from_secs(10);

#[derive(ergo::Term, Debug, Clone, PartialEq)]
struct Reading {
    sensor: u32,
    value: i64,
}

/// Emits readings: sensor `n % 3`, value `n`; every tenth event is a bare atom instead (which
/// the typed consumer cannot decode).
struct Sensors {
    next: i64,
}

#[gen_stage]
impl Sensors {
    async fn init(start: i64) -> StageInit<Self> {
        StageInit::producer(Sensors { next: start })
    }

    async fn handle_demand(&mut self, demand: u64) -> Vec<Term> {
        let mut out = Vec::new();
        for _ in 0..demand {
            let n = self.next;
            self.next += 1;
            if n % 10 == 9 {
                out.push(Term::atom("garbage"));
            } else {
                out.push(ergo::IntoTerm::into_term(Reading {
                    sensor: (n % 3) as u32,
                    value: n,
                }));
            }
        }
        out
    }
}

/// Keeps the readings of one sensor, doubled (a typed producer_consumer).
struct OnlySensor {
    sensor: u32,
}

#[gen_stage]
impl OnlySensor {
    async fn init(args: (u32, StageOptions)) -> StageInit<Self> {
        StageInit::producer_consumer(OnlySensor { sensor: args.0 }).with(args.1)
    }

    async fn handle_events(&mut self, events: Vec<Reading>, _from: &StageFrom) -> Emit<Reading> {
        Emit::Events(
            events
                .into_iter()
                .filter(|r| r.sensor == self.sensor)
                .map(|r| Reading {
                    value: r.value * 2,
                    ..r
                })
                .collect(),
        )
    }
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
enum SinkCall {
    Count,
}

/// Counts what it receives, untyped, and reports it.
struct Sink {
    report: UnboundedSender<Term>,
    count: u64,
}

#[gen_stage]
impl Sink {
    async fn init(args: (UnboundedSender<Term>, StageOptions)) -> StageInit<Self> {
        StageInit::consumer(Sink {
            report: args.0,
            count: 0,
        })
        .with(args.1)
    }

    async fn handle_events(&mut self, _ctx: &mut Context, events: Vec<Term>, _from: &StageFrom) {
        for e in events {
            self.count += 1;
            let _ = self.report.send(e);
        }
    }

    async fn handle_call(&mut self, msg: SinkCall, _from: ReplyTo<u64>) -> Reply<u64> {
        match msg {
            SinkCall::Count => Reply::Reply(self.count),
        }
    }

    /// Any cast stops it with the cast as the reason.
    async fn handle_cast(&mut self, msg: Term) -> Emit {
        Emit::Stop(msg)
    }

    async fn terminate(&mut self, reason: &Term) {
        let _ = self
            .report
            .send(Term::tuple(vec![Term::atom("terminated"), reason.clone()]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_events_flow_through_a_macro_pipeline() {
    let node = Node::start(
        &crate::common::node_name("gen_stage_macro"),
        NodeOptions::default(),
    )
    .await
    .expect("node");
    let sensors = node
        .start_stage::<Sensors>(0, SpawnOptions::default())
        .await
        .expect("sensors");
    let only = node
        .start_stage::<OnlySensor>(
            (
                1,
                StageOptions::default()
                    .subscribe_to(sensors, SubscribeOptions::new().max_demand(20)),
            ),
            SpawnOptions::default(),
        )
        .await
        .expect("filter");
    let (tx, mut rx) = unbounded_channel();
    let sink = node
        .start_stage::<Sink>(
            (
                tx,
                StageOptions::default().subscribe_to(only, SubscribeOptions::new()),
            ),
            SpawnOptions::default(),
        )
        .await
        .expect("sink");
    // Sensor 1 is n % 3 == 1; the tenth events were garbage (dropped by the typed filter).
    let expected: Vec<i64> = (0..200).filter(|n| n % 3 == 1 && n % 10 != 9).collect();
    for n in &expected {
        let got = tokio::time::timeout(T, rx.recv())
            .await
            .expect("in time")
            .expect("open");
        let reading: Reading = ergo::FromTerm::from_term(got.clone()).expect("a reading");
        assert_eq!(
            reading,
            Reading {
                sensor: 1,
                value: n * 2
            }
        );
    }
    let count: u64 = node
        .call(sink.clone(), SinkCall::Count)
        .await
        .expect("count");
    assert!(count >= expected.len() as u64);
    // A call the sink cannot decode is refused, and the sink goes on.
    let refused = node.call::<Term>(sink.clone(), Term::atom("what")).await;
    assert!(refused.is_err(), "{refused:?}");
    let again: u64 = node
        .call(sink.clone(), SinkCall::Count)
        .await
        .expect("count");
    assert!(again >= count);
    // A stop runs terminate with its reason.
    node.cast(sink, Term::atom("enough")).expect("cast");
    loop {
        let m = tokio::time::timeout(T, rx.recv())
            .await
            .expect("in time")
            .expect("open");
        if m.as_tuple().is_some_and(|t| t[0].is_atom("terminated")) {
            assert_eq!(
                m,
                Term::tuple(vec![Term::atom("terminated"), Term::atom("enough")])
            );
            break;
        }
    }
}
