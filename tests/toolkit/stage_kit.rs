//! `ergo::testing::StageKit`: one `#[gen_stage]` driven with no node of the test's own, the
//! test playing its consumer (demand in, batches recorded) or its producer (events in, demand
//! recorded), its other effects recorded as GenServerKit's are.

use std::time::Duration;

use ergo::stage::{Emit, StageFrom, StageInit, SubscribeOptions};
use ergo::testing::StageKit;
use ergo::{gen_stage, Context, Reply, ReplyTo, Term};

/// Emits the integers from its start, as many as asked; `{stop, R}` cast stops it.
struct Counter {
    next: i64,
}

#[gen_stage]
impl Counter {
    async fn init(start: i64) -> StageInit<Self> {
        StageInit::producer(Counter { next: start })
    }
    async fn handle_demand(&mut self, demand: u64) -> Emit<i64> {
        let events: Vec<i64> = (self.next..self.next + demand as i64).collect();
        self.next += demand as i64;
        Emit::Events(events)
    }
    async fn handle_call(&mut self, _request: Term, _from: ReplyTo<i64>) -> Reply<i64> {
        Reply::Reply(self.next)
    }
    async fn handle_cast(&mut self, request: Term) -> Emit<i64> {
        match request.as_tuple() {
            Some([stop, reason]) if stop.is_atom("stop") => Emit::Stop(reason.clone()),
            _ => Emit::none(),
        }
    }
}

/// Emits `Term::Int(n)` ticks only when told by its timer: a producer that emits more than was
/// asked would be a bug the kit must catch; this one buffers (GenStage's default buffer).
struct Ticker {
    n: i64,
}

#[gen_stage]
impl Ticker {
    async fn init(ctx: &mut Context, _args: ()) -> StageInit<Self> {
        ctx.send_self_after(Term::atom("tick"), Duration::from_secs(1));
        StageInit::producer(Ticker { n: 0 })
    }
    async fn handle_info(&mut self, ctx: &mut Context, _tick: Term) -> Emit<i64> {
        self.n += 1;
        ctx.send_self_after(Term::atom("tick"), Duration::from_secs(1));
        Emit::Events(vec![self.n])
    }
}

/// Doubles what it gets; tells `audit` how many it saw.
struct Doubler;

#[gen_stage]
impl Doubler {
    async fn init(_args: ()) -> StageInit<Self> {
        StageInit::producer_consumer(Doubler)
    }
    async fn handle_events(
        &mut self,
        ctx: &mut Context,
        events: Vec<i64>,
        _from: &StageFrom,
    ) -> Emit<i64> {
        let _ = ctx.send("audit", Term::Int(events.len() as i64));
        Emit::Events(events.into_iter().map(|e| e * 2).collect())
    }
}

#[tokio::test(start_paused = true)]
async fn a_producer_emits_what_the_fake_consumer_asked() {
    let mut kit = StageKit::<Counter>::start(10).await.expect("start");
    kit.subscribe_consumer(SubscribeOptions::new()).await;
    kit.should_monitor().once(); // the producer monitors its consumer
    kit.ask(3).await;
    kit.should_emit([10i64, 11, 12]);
    kit.ask(2).await;
    kit.should_emit([13i64, 14]);
    assert_eq!(kit.call(Term::atom("next")).await, Some(Term::Int(15)));
    kit.should_reply(15i64);
    kit.cast(Term::tuple(vec![Term::atom("stop"), Term::atom("done")]))
        .await;
    kit.should_stop(Term::atom("done"));
    kit.no_more_effects();
}

#[tokio::test(start_paused = true)]
async fn should_emit_fails_on_other_events_and_shows_the_effects() {
    let mut kit = StageKit::<Counter>::start(0).await.expect("start");
    kit.subscribe_consumer(SubscribeOptions::new()).await;
    kit.ask(2).await;
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kit.should_emit([0i64, 1, 2]);
    }))
    .expect_err("three events were not emitted");
    let text = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains("expected the stage to emit [0,1,2], it emitted [0,1]"),
        "{text}"
    );
    assert!(text.contains("$gen_consumer"), "{text}");
    // Nothing was claimed by the failed assertion.
    kit.should_emit([0i64, 1]);
}

#[tokio::test(start_paused = true)]
async fn events_beyond_the_demand_are_buffered_not_dispatched() {
    let mut kit = StageKit::<Ticker>::start(()).await.expect("start");
    kit.subscribe_consumer(SubscribeOptions::new()).await;
    kit.advance(Duration::from_secs(5)).await; // five ticks, nobody asked
    kit.should_emit(Vec::<i64>::new());
    kit.ask(2).await;
    kit.should_emit([1i64, 2]);
    kit.ask(10).await;
    kit.should_emit([3i64, 4, 5]);
    kit.advance(Duration::from_secs(2)).await;
    kit.should_emit([6i64, 7]);
    kit.should_send_after().times(8);
}

#[tokio::test(start_paused = true)]
async fn a_producer_consumer_between_fake_producer_and_fake_consumer() {
    let mut kit = StageKit::<Doubler>::start(()).await.expect("start");
    kit.subscribe_producer(SubscribeOptions::new().max_demand(10).min_demand(5))
        .await;
    kit.should_monitor().once(); // the consumer side monitors its producer
    kit.should_ask(10);
    kit.subscribe_consumer(SubscribeOptions::new()).await;
    kit.should_monitor().once();
    kit.ask(4).await;
    kit.events([1i64, 2, 3]).await;
    kit.should_emit([2i64, 4, 6]);
    kit.should_send().to("audit").message(Term::Int(3)).once();
    kit.events([4i64, 5, 6]).await;
    // Four asked: one doubled event went out, two wait in the buffer.
    kit.should_emit([8i64]);
    kit.should_send().to("audit").once();
    // Automatic demand (GenStage's): each batch handled is asked for again.
    kit.should_ask(6);
    kit.ask(5).await;
    kit.should_emit([10i64, 12]);
    kit.no_more_effects();
}

#[tokio::test(start_paused = true)]
async fn ask_before_subscribing_is_a_test_error() {
    let mut kit = StageKit::<Counter>::start(0).await.expect("start");
    let failure = tokio::spawn(async move { kit.ask(1).await })
        .await
        .expect_err("panics");
    assert!(failure.is_panic());
}

/// A hand-rolled producer that sends its consumer events behind the engine's back, ignoring
/// the demand: what `should_emit`'s demand check is for.
struct Flooder {
    consumer: Option<StageFrom>,
}

#[gen_stage]
impl Flooder {
    async fn init(_args: ()) -> StageInit<Self> {
        StageInit::producer(Flooder { consumer: None })
    }
    async fn handle_subscribe(
        &mut self,
        _role: ergo::stage::Role,
        _options: &Term,
        from: &StageFrom,
    ) -> ergo::stage::SubscribeMode {
        self.consumer = Some(from.clone());
        ergo::stage::SubscribeMode::Automatic
    }
    async fn handle_info(&mut self, ctx: &mut Context, _flood: Term) -> Emit<i64> {
        if let Some(to) = &self.consumer {
            let flood = ergo::stage::ToConsumer {
                from: StageFrom::new(ctx.pid().clone(), to.tag.clone()),
                payload: ergo::stage::ConsumerPayload::Events(
                    (0..5).map(Term::Int).collect::<Vec<_>>().into(),
                ),
            };
            let _ = ctx.send(to.dest(), flood);
        }
        Emit::none()
    }
}

#[tokio::test(start_paused = true)]
async fn should_emit_fails_when_the_stage_sent_more_than_was_asked() {
    let mut kit = StageKit::<Flooder>::start(()).await.expect("start");
    kit.subscribe_consumer(SubscribeOptions::new()).await;
    kit.ask(2).await;
    kit.info(Term::atom("flood")).await;
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kit.should_emit([0i64, 1, 2, 3, 4]);
    }))
    .expect_err("five events for a demand of two");
    let text = failure
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains("dispatched 5 event(s) to the fake consumer, which asked 2"),
        "{text}"
    );
}
