//! What stage callbacks return and what `init` configures: the stage's kind and options, the
//! events a callback emits or its stop, the subscription mode. Must not run anything.

use ergo_etf::{IntoTerm, Term};

use super::buffer::BufferKeep;
use super::dispatcher::Dispatcher;
use super::event_batch::EventBatch;
use super::options::SubscribeOptions;
use crate::node::Dest;
use crate::process::Payload;

/// Whether a producer hands demand to `handle_demand` at once or holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DemandMode {
    /// Demand goes to `handle_demand` as it comes (the default).
    #[default]
    Forward,
    /// Demand (and events emitted meanwhile) is held until the mode is set to `Forward`.
    Accumulate,
}

/// The three kinds of stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// Emits events on demand.
    Producer,
    /// Receives events and emits events.
    ProducerConsumer,
    /// Receives events.
    Consumer,
}

impl StageKind {
    /// GenStage's atom for it.
    pub fn as_atom(self) -> &'static str {
        match self {
            StageKind::Producer => "producer",
            StageKind::ProducerConsumer => "producer_consumer",
            StageKind::Consumer => "consumer",
        }
    }
}

/// `init`'s options (GenStage's third element of `{:producer, state, opts}`); what does not
/// apply to the kind is refused at start with `{bad_opts, Message}`.
#[derive(Default)]
pub struct StageOptions {
    /// The dispatcher (producers, producer_consumers); the demand dispatcher when `None`.
    pub dispatcher: Option<Box<dyn Dispatcher>>,
    /// The buffer's size: `Some(Some(n))` a bound, `Some(None)` unbounded; `None` the kind's
    /// default (10,000 for a producer, unbounded for a producer_consumer).
    pub buffer_size: Option<Option<usize>>,
    /// Which side of the buffer survives an overflow.
    pub buffer_keep: BufferKeep,
    /// Producers only: forward or accumulate demand.
    pub demand: DemandMode,
    /// Consumers and producer_consumers: producers to subscribe to at start.
    pub subscribe_to: Vec<(Dest, SubscribeOptions)>,
}

impl std::fmt::Debug for StageOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageOptions")
            .field("dispatcher", &self.dispatcher.is_some())
            .field("buffer_size", &self.buffer_size)
            .field("buffer_keep", &self.buffer_keep)
            .field("demand", &self.demand)
            .field("subscribe_to", &self.subscribe_to.len())
            .finish()
    }
}

impl StageOptions {
    /// Uses this dispatcher.
    pub fn dispatcher(mut self, dispatcher: impl Dispatcher) -> StageOptions {
        self.dispatcher = Some(Box::new(dispatcher));
        self
    }

    /// Bounds the buffer (`None`: unbounded).
    pub fn buffer_size(mut self, size: Option<usize>) -> StageOptions {
        self.buffer_size = Some(size);
        self
    }

    /// Sets `buffer_keep`.
    pub fn buffer_keep(mut self, keep: BufferKeep) -> StageOptions {
        self.buffer_keep = keep;
        self
    }

    /// Sets the demand mode.
    pub fn demand(mut self, mode: DemandMode) -> StageOptions {
        self.demand = mode;
        self
    }

    /// Subscribes to `to` at start.
    pub fn subscribe_to(mut self, to: impl Into<Dest>, options: SubscribeOptions) -> StageOptions {
        self.subscribe_to.push((to.into(), options));
        self
    }
}

/// The result of `init`.
pub enum StageInit<S> {
    /// Start as this kind with this state and options.
    Ok(StageKind, S, StageOptions),
    /// Do not start; the starter gets `SpawnError::Ignored`.
    Ignore,
    /// Do not start; the process exits with this reason.
    Stop(Term),
}

impl<S> StageInit<S> {
    /// A producer with default options.
    pub fn producer(state: S) -> StageInit<S> {
        StageInit::Ok(StageKind::Producer, state, StageOptions::default())
    }
    /// A producer_consumer with default options.
    pub fn producer_consumer(state: S) -> StageInit<S> {
        StageInit::Ok(StageKind::ProducerConsumer, state, StageOptions::default())
    }
    /// A consumer with default options.
    pub fn consumer(state: S) -> StageInit<S> {
        StageInit::Ok(StageKind::Consumer, state, StageOptions::default())
    }
    /// Replaces the options of an `Ok`.
    pub fn with(self, options: StageOptions) -> StageInit<S> {
        match self {
            StageInit::Ok(kind, s, _) => StageInit::Ok(kind, s, options),
            other => other,
        }
    }
}

/// What `handle_demand`, `handle_events`, `handle_cancel`, `handle_cast`, `handle_info` return:
/// events to emit (a consumer's must be empty), or a stop. Typed events (`Emit<u64>`,
/// `Emit<MyEvent>` with `#[derive(Term)]`) become terms with [`Emit::into_terms`], or one
/// typed [`EventBatch`] with [`Emit::into_batch`].
#[derive(Debug, Clone, PartialEq)]
pub enum Emit<E = Term> {
    /// Emit these events (possibly none) and go on.
    Events(Vec<E>),
    /// Stop with this reason (`terminate` runs first).
    Stop(Term),
}

impl<E> Emit<E> {
    /// Go on, emitting nothing.
    pub fn none() -> Emit<E> {
        Emit::Events(Vec::new())
    }
}

impl<E: IntoTerm + 'static> Emit<E> {
    /// The events as terms (no conversion when they already are).
    pub fn into_terms(self) -> Emit {
        match self {
            Emit::Events(events) => {
                let mut slot = Some(events);
                if let Some(terms) =
                    (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Vec<Term>>>()
                {
                    return Emit::Events(terms.take().unwrap_or_default());
                }
                Emit::Events(
                    slot.unwrap_or_default()
                        .into_iter()
                        .map(IntoTerm::into_term)
                        .collect(),
                )
            }
            Emit::Stop(reason) => Emit::Stop(reason),
        }
    }
}

impl<E: IntoTerm + Send + 'static> Emit<E> {
    /// The events as one batch, typed as they are (`Err`: the stop's reason).
    pub fn into_batch(self) -> Result<EventBatch, Term> {
        match self {
            Emit::Events(events) => Ok(EventBatch::typed(events)),
            Emit::Stop(reason) => Err(reason),
        }
    }
}

/// What `handle_subscribe` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscribeMode {
    /// The stage manages demand itself (the default).
    Automatic,
    /// The user asks with [`super::ask`] (consumer side only: a producer answering it for a
    /// consumer stops with `{bad_return_value, manual}`, as GenStage does).
    Manual,
    /// Stop with this reason.
    Stop(Term),
}

/// Which side of a subscription a `handle_subscribe` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// This stage subscribed to a producer.
    Producer,
    /// A consumer subscribed to this stage.
    Consumer,
}

/// How a subscription ended, as `handle_cancel` sees it: `{cancel, Reason}` or `{down, Reason}`.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelKind {
    /// A cancel message (either side's).
    Cancel(Term),
    /// The other side's process went down.
    Down(Term),
}

impl CancelKind {
    /// The reason.
    pub fn reason(&self) -> &Term {
        match self {
            CancelKind::Cancel(r) | CancelKind::Down(r) => r,
        }
    }
}

/// What `handle_call` returns.
#[derive(Debug)]
pub enum StageReply {
    /// Reply with this payload and emit these events.
    Reply(Payload, Vec<Term>),
    /// Do not reply now; emit these events.
    NoReply(Vec<Term>),
    /// Stop, replying first when a payload is given.
    Stop(Term, Option<Payload>),
    /// The request was not understood: a local caller gets `CallError::BadRequest`, a remote
    /// one `{error, {bad_request, Req}}`; the stage goes on.
    Refuse(Term),
}
