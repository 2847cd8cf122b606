//! `StageKit`: one `#[gen_stage]` under test on the kit's private node, the test playing its
//! consumer (a fake subscription: `subscribe_consumer`, `ask`; the batches dispatched to it
//! are recorded, not delivered, and `should_emit` checks them with the demand respected) or its
//! producer (`subscribe_producer`, `events`; `should_ask` checks the demand it sent back). Owns
//! the fake subscriptions; the driving and the other assertions are `ProcessKit`'s.

use std::marker::PhantomData;

use ergo_core::gen::stage::{
    self, ConsumerPayload, GenStage, ProducerRequest, StageFrom, SubscribeOptions, ToConsumer,
    ToProducer,
};
use ergo_core::Effect;

use super::expect::listing;
use super::kit::ProcessKit;
use super::recorder::lock;
use crate::{IntoTerm, SpawnError, SpawnOptions, Term};

/// One `#[gen_stage]` (any [`GenStage`]) under test, with no node to set up: see the
/// [module docs](super). Derefs to [`ProcessKit`] for `call`, `cast`, `info`, `exit`, `advance`
/// and the effect assertions.
pub struct StageKit<S: GenStage> {
    kit: ProcessKit,
    /// The fake consumer's subscription tag, once subscribed, and the demand it asked in all.
    consumer: Option<(Term, u64)>,
    /// The fake producer's subscription tag, once subscribed.
    producer: Option<Term>,
    _stage: PhantomData<fn() -> S>,
}

impl<S: GenStage> std::fmt::Debug for StageKit<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageKit")
            .field("stage", &std::any::type_name::<S>())
            .field("kit", &self.kit)
            .finish()
    }
}

impl<S: GenStage> std::ops::Deref for StageKit<S> {
    type Target = ProcessKit;
    fn deref(&self) -> &ProcessKit {
        &self.kit
    }
}

impl<S: GenStage> std::ops::DerefMut for StageKit<S> {
    fn deref_mut(&mut self) -> &mut ProcessKit {
        &mut self.kit
    }
}

impl<S: GenStage> StageKit<S> {
    /// Starts the stage with `args` on a private local node and waits for its `init`. Its
    /// `subscribe_to` subscriptions (if its options have any) go to real processes that do not
    /// exist there: they are recorded sends; play its producer with
    /// [`StageKit::subscribe_producer`] instead.
    pub async fn start(args: S::Args) -> Result<StageKit<S>, SpawnError> {
        let kit = ProcessKit::start(std::any::type_name::<S>(), move |node| async move {
            node.start_stage::<S>(args, SpawnOptions::default()).await
        })
        .await?;
        Ok(StageKit {
            kit,
            consumer: None,
            producer: None,
            _stage: PhantomData,
        })
    }

    /// The fake consumer subscribes to the stage (a producer or producer_consumer) with
    /// `options` (`max_demand`... as a consumer would send them); it asks nothing yet.
    pub async fn subscribe_consumer(&mut self, options: SubscribeOptions) {
        let tag = Term::Reference(self.kit.node().make_ref());
        let request = ProducerRequest::Subscribe {
            current: None,
            options: options.to_keyword(),
        };
        self.to_stage_as_consumer(&tag, request);
        self.consumer = Some((tag, 0));
        self.kit.settle().await;
    }

    /// The fake consumer asks the stage for `n` more events (`{ask, N}`), and the kit waits
    /// until it has handled the demand. Panics before `subscribe_consumer`.
    pub async fn ask(&mut self, n: u64) {
        let Some((tag, asked)) = self.consumer.as_mut() else {
            panic!("ask before subscribe_consumer: the stage has no fake consumer");
        };
        *asked += n;
        let tag = tag.clone();
        self.to_stage_as_consumer(&tag, ProducerRequest::Ask(n));
        self.kit.settle().await;
    }

    /// The fake consumer cancels its subscription with `reason`.
    pub async fn cancel_consumer(&mut self, reason: impl IntoTerm) {
        let Some((tag, _)) = self.consumer.clone() else {
            panic!("cancel before subscribe_consumer: the stage has no fake consumer");
        };
        self.to_stage_as_consumer(&tag, ProducerRequest::Cancel(reason.into_term()));
        self.kit.settle().await;
    }

    /// The stage (a consumer or producer_consumer) subscribes to the fake producer with
    /// `options`, as `GenStage.sync_subscribe` asks it to; the stage's `subscribe` message and
    /// the demand it sends back are recorded (check the demand with [`StageKit::should_ask`]).
    pub async fn subscribe_producer(&mut self, options: SubscribeOptions) {
        let node = self.kit.node().clone();
        let stage = self.kit.pid().clone();
        let fake = self.kit.helper_pid().clone();
        match stage::subscribe(&node, stage, fake.clone(), &options).await {
            Ok(tag) => self.producer = Some(tag),
            Err(error) => panic!(
                "the stage refused the fake producer: {error}\neffects so far:\n{}",
                listing(self.kit.recorder())
            ),
        }
        // The stage's `subscribe` request to the fake producer: the kit's own doing.
        claim(self.kit.recorder(), |effect| {
            to_producer(effect, &fake).is_some_and(|(_, request)| {
                matches!(request.as_tuple(), Some([s, _, _]) if s.is_atom("subscribe"))
            })
        });
        self.kit.settle().await;
    }

    /// The fake producer sends the stage `events` (one batch, to its `handle_events`), and the
    /// kit waits until it has handled them. Panics before `subscribe_producer`.
    pub async fn events<E: IntoTerm>(&mut self, events: impl IntoIterator<Item = E>) {
        let Some(tag) = self.producer.clone() else {
            panic!("events before subscribe_producer: the stage has no fake producer");
        };
        let message = ToConsumer {
            from: StageFrom::new(self.kit.helper_pid().clone(), tag),
            payload: ConsumerPayload::Events(
                events
                    .into_iter()
                    .map(IntoTerm::into_term)
                    .collect::<Vec<_>>()
                    .into(),
            ),
        };
        if let Err(error) = self.kit.node().send(self.kit.pid().clone(), message) {
            panic!("events to the stage under test: {error}");
        }
        self.kit.settle().await;
    }

    /// The stage dispatched exactly `events`, in this order, to the fake consumer since the
    /// last `should_emit` (claiming those batches), and never more than the fake consumer asked
    /// in all. Panics with the effects otherwise.
    #[track_caller]
    pub fn should_emit<E: IntoTerm>(&self, events: impl IntoIterator<Item = E>) {
        let Some((tag, asked)) = self.consumer.clone() else {
            panic!("should_emit before subscribe_consumer: the stage has no fake consumer");
        };
        let want: Vec<Term> = events.into_iter().map(IntoTerm::into_term).collect();
        let recorder = self.kit.recorder();
        let fake = self.kit.helper_pid();
        let (mut got, mut total, mut batches) = (Vec::new(), 0u64, Vec::new());
        {
            let effects = lock(&recorder.effects);
            for (i, r) in effects.iter().enumerate() {
                if let Some(batch) = batch_to(&r.effect, fake, &tag) {
                    total += batch.len() as u64;
                    if !r.claimed {
                        got.extend(batch);
                        batches.push(i);
                    }
                }
            }
        }
        if total > asked {
            panic!(
                "the stage dispatched {total} event(s) to the fake consumer, which asked {asked}\neffects so far:\n{}",
                listing(recorder)
            );
        }
        if got != want {
            panic!(
                "expected the stage to emit {}, it emitted {}\neffects so far ([x]: claimed by an earlier assertion):\n{}",
                Term::List(want),
                Term::List(got),
                listing(recorder)
            );
        }
        let mut effects = lock(&recorder.effects);
        for i in batches {
            effects[i].claimed = true;
        }
    }

    /// The stage asked the fake producer for `n` events in all since the last `should_ask`
    /// (claiming those `{ask, N}` messages).
    #[track_caller]
    pub fn should_ask(&self, n: u64) {
        let recorder = self.kit.recorder();
        let fake = self.kit.helper_pid().clone();
        let Some(tag) = self.producer.clone() else {
            panic!("should_ask before subscribe_producer: the stage has no fake producer");
        };
        let asks = |effect: &Effect| -> Option<u64> {
            let (from_tag, request) = to_producer(effect, &fake)?;
            match request.as_tuple() {
                Some([ask, Term::Int(n)]) if ask.is_atom("ask") && from_tag == tag => {
                    u64::try_from(*n).ok()
                }
                _ => None,
            }
        };
        let found: u64 = lock(&recorder.effects)
            .iter()
            .filter(|r| !r.claimed)
            .filter_map(|r| asks(&r.effect))
            .sum();
        if found != n {
            panic!(
                "expected the stage to ask the fake producer for {n} event(s), it asked {found}\neffects so far ([x]: claimed by an earlier assertion):\n{}",
                listing(recorder)
            );
        }
        claim(recorder, |effect| asks(effect).is_some());
    }

    fn to_stage_as_consumer(&self, tag: &Term, request: ProducerRequest) {
        let message = ToProducer {
            from: StageFrom::new(self.kit.helper_pid().clone(), tag.clone()),
            request,
        };
        if let Err(error) = self.kit.node().send(self.kit.pid().clone(), message) {
            panic!("demand to the stage under test: {error}");
        }
    }
}

/// Claims every unclaimed effect `pick` selects.
fn claim(recorder: &super::recorder::Recorder, pick: impl Fn(&Effect) -> bool) {
    for r in lock(&recorder.effects).iter_mut() {
        if !r.claimed && pick(&r.effect) {
            r.claimed = true;
        }
    }
}

/// A send to the fake peer `fake` of `{'$gen_producer', {_, Tag}, Request}`: its tag and request.
fn to_producer(effect: &Effect, fake: &crate::Pid) -> Option<(Term, Term)> {
    let Effect::Send { to, message } = effect else {
        return None;
    };
    if *to != crate::Dest::Pid(fake.clone()) {
        return None;
    }
    match message.as_tuple() {
        Some([kind, from, request]) if kind.is_atom("$gen_producer") => match from.as_tuple() {
            Some([_, tag]) => Some((tag.clone(), request.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// A batch of events sent to the fake peer `fake` on the subscription `tag`.
fn batch_to(effect: &Effect, fake: &crate::Pid, tag: &Term) -> Option<Vec<Term>> {
    let Effect::Send { to, message } = effect else {
        return None;
    };
    if *to != crate::Dest::Pid(fake.clone()) {
        return None;
    }
    match message.as_tuple() {
        Some([kind, from, Term::List(events)]) if kind.is_atom("$gen_consumer") => {
            match from.as_tuple() {
                Some([_, t]) if t == tag => Some(events.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}
