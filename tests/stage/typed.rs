//! Typed events between `#[gen_stage]` stages of one node: a consumer of the producer's own
//! event type receives the producer's `Vec<T>` as it is (not one event converted), an untyped
//! consumer and a consumer of another type receive the same events through terms, and a typed
//! three-stage pipeline loses, duplicates or reorders nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ergo::stage::{StageFrom, StageInit, StageOptions, SubscribeOptions};
use ergo::{
    gen_stage, ConvertError, FromTerm, IntoTerm, Node, NodeOptions, Pid, SpawnOptions, Term,
};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::common;

const T: Duration = Duration::from_secs(30);

/// How many `Sample`s became terms. Only `typed_batches_convert_only_for_other_types` uses
/// `Sample`, so the count is that test's alone.
static SAMPLES_CONVERTED: AtomicU64 = AtomicU64::new(0);

/// An event that counts its conversions to a term (the term is its number).
#[derive(Debug, PartialEq)]
struct Sample(i64);

impl IntoTerm for Sample {
    fn into_term(self) -> Term {
        SAMPLES_CONVERTED.fetch_add(1, Ordering::Relaxed);
        Term::Int(self.0)
    }
}

impl FromTerm for Sample {
    fn from_term(term: Term) -> Result<Self, ConvertError> {
        i64::from_term(term).map(Sample)
    }
}

/// Emits `Sample(0)`, `Sample(1)`, ... on demand.
struct Samples {
    next: i64,
}

#[gen_stage]
impl Samples {
    async fn init(_args: ()) -> StageInit<Self> {
        StageInit::producer(Samples { next: 0 })
    }

    async fn handle_demand(&mut self, demand: u64) -> Vec<Sample> {
        let events = (self.next..self.next + demand as i64).map(Sample).collect();
        self.next += demand as i64;
        events
    }
}

/// Emits 0, 1, 2, ... as `u64` on demand.
struct Numbers {
    next: u64,
}

#[gen_stage]
impl Numbers {
    async fn init(_args: ()) -> StageInit<Self> {
        StageInit::producer(Numbers { next: 0 })
    }

    async fn handle_demand(&mut self, demand: u64) -> Vec<u64> {
        let events = (self.next..self.next + demand).collect();
        self.next += demand;
        events
    }
}

/// A derived event type, made by the producer_consumer.
#[derive(ergo::Term, Debug, Clone, PartialEq)]
struct Reading {
    seq: u64,
    double: u64,
}

/// `u64` in, `Reading` out.
struct ToReading;

#[gen_stage]
impl ToReading {
    async fn init(producer: Pid) -> StageInit<Self> {
        StageInit::producer_consumer(ToReading)
            .with(StageOptions::default().subscribe_to(producer, SubscribeOptions::new()))
    }

    async fn handle_events(&mut self, events: Vec<u64>, _from: &StageFrom) -> Vec<Reading> {
        events
            .into_iter()
            .map(|seq| Reading {
                seq,
                double: seq * 2,
            })
            .collect()
    }
}

macro_rules! forwarding_consumer {
    ($name:ident, $event:ty) => {
        /// A consumer of its event type: subscribes to the producer it is given and sends
        /// every batch it handles to the test.
        struct $name(UnboundedSender<Vec<$event>>);

        #[gen_stage]
        impl $name {
            async fn init(args: (Pid, UnboundedSender<Vec<$event>>)) -> StageInit<Self> {
                let (producer, to) = args;
                StageInit::consumer($name(to))
                    .with(StageOptions::default().subscribe_to(producer, SubscribeOptions::new()))
            }

            async fn handle_events(&mut self, events: Vec<$event>, _from: &StageFrom) {
                let _ = self.0.send(events);
            }
        }
    };
}

forwarding_consumer!(SampleSink, Sample);
forwarding_consumer!(TermSink, Term);
forwarding_consumer!(IntSink, i64);
forwarding_consumer!(ReadingSink, Reading);

/// Receives batches until `count` events came; returns them in order.
async fn collect<E>(rx: &mut UnboundedReceiver<Vec<E>>, count: usize) -> Vec<E> {
    let mut all = Vec::new();
    while all.len() < count {
        let batch = tokio::time::timeout(T, rx.recv())
            .await
            .expect("a batch in time")
            .expect("the consumer is alive");
        assert!(!batch.is_empty(), "an empty batch");
        all.extend(batch);
    }
    all.truncate(count);
    all
}

async fn producer<P: ergo::GenStage<Args = ()>>(node: &Node) -> Pid {
    node.start_stage::<P>((), SpawnOptions::default())
        .await
        .expect("start the producer")
}

const EVENTS: usize = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_batches_convert_only_for_other_types() {
    let node = common::start_node("typed_batches", NodeOptions::default()).await;

    // The producer's own type: the batches arrive as the producer made them.
    let samples = producer::<Samples>(&node).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink = node
        .start_stage::<SampleSink>((samples.clone(), tx), SpawnOptions::default())
        .await
        .expect("start the typed consumer");
    let got = collect(&mut rx, EVENTS).await;
    assert_eq!(got, (0..EVENTS as i64).map(Sample).collect::<Vec<_>>());
    node.send_exit(&sink, Term::atom("kill"));
    node.send_exit(&samples, Term::atom("kill"));
    assert_eq!(
        SAMPLES_CONVERTED.load(Ordering::Relaxed),
        0,
        "a typed consumer of the producer's own type got converted events"
    );

    // An untyped consumer: the same events, as terms, each converted once.
    let samples = producer::<Samples>(&node).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink = node
        .start_stage::<TermSink>((samples.clone(), tx), SpawnOptions::default())
        .await
        .expect("start the untyped consumer");
    let got = collect(&mut rx, EVENTS).await;
    assert_eq!(got, (0..EVENTS as i64).map(Term::Int).collect::<Vec<_>>());
    node.send_exit(&sink, Term::atom("kill"));
    node.send_exit(&samples, Term::atom("kill"));
    assert!(SAMPLES_CONVERTED.load(Ordering::Relaxed) >= EVENTS as u64);

    // A consumer of another type: through terms.
    let before = SAMPLES_CONVERTED.load(Ordering::Relaxed);
    let samples = producer::<Samples>(&node).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    node.start_stage::<IntSink>((samples, tx), SpawnOptions::default())
        .await
        .expect("start the i64 consumer");
    let got = collect(&mut rx, EVENTS).await;
    assert_eq!(got, (0..EVENTS as i64).collect::<Vec<_>>());
    assert!(SAMPLES_CONVERTED.load(Ordering::Relaxed) - before >= EVENTS as u64);
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_pipeline_loses_duplicates_and_reorders_nothing() {
    let node = common::start_node("typed_pipeline", NodeOptions::default()).await;
    let numbers = producer::<Numbers>(&node).await;
    let readings = node
        .start_stage::<ToReading>(numbers, SpawnOptions::default())
        .await
        .expect("start the producer_consumer");
    let (tx, mut rx) = mpsc::unbounded_channel();
    node.start_stage::<ReadingSink>((readings, tx), SpawnOptions::default())
        .await
        .expect("start the consumer");
    const COUNT: usize = 200_000;
    let got = collect(&mut rx, COUNT).await;
    for (i, reading) in got.into_iter().enumerate() {
        let seq = i as u64;
        assert_eq!(
            reading,
            Reading {
                seq,
                double: seq * 2
            },
            "lost, duplicated or reordered"
        );
    }
    node.stop();
}
