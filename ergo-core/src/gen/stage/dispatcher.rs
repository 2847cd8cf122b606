//! The dispatcher seam (GenStage's `GenStage.Dispatcher` behaviour): how a producer shares its
//! events among its consumers. A dispatcher sees subscriptions, cancels, asks and batches of
//! events, answers with the demand to pass upstream (to `handle_demand`), sends batches through
//! an [`Outbox`], and hands back the events it could not place (the producer buffers them).
//! Events come as terms (`dispatch`), or as an [`EventBatch`] (`dispatch_batch`, which a
//! dispatcher that only counts events implements to keep a typed batch typed; the default
//! converts it to terms). Owns the trait and the outbox seam; the three GenStage dispatchers
//! live in their own files.

use ergo_etf::Term;

use super::event_batch::EventBatch;
use super::messages::StageFrom;

/// Where a dispatcher's messages go: batches to consumers, messages to its own stage.
pub trait Outbox {
    /// Sends `{'$gen_consumer', {Self, Ref}, Events}` to the consumer of `to` (never empty).
    fn send_events(&mut self, to: &StageFrom, events: Vec<Term>);
    /// Sends a batch as it is (a typed batch stays typed for a consumer on this node). The
    /// default sends it as terms.
    fn send_batch(&mut self, to: &StageFrom, events: EventBatch) {
        self.send_events(to, events.into_terms());
    }
    /// Sends a message to the producer itself (an info's delivery, broadcast's re-ask).
    fn send_self(&mut self, message: Term);
}

/// A producer's dispatcher. `from` is always `{ConsumerPid, Ref}`.
pub trait Dispatcher: Send + 'static {
    /// A consumer subscribed with `options` (the keyword list it sent). Returns the demand to
    /// pass upstream, or the reason to cancel this subscription with.
    fn subscribe(
        &mut self,
        options: &Term,
        from: &StageFrom,
        out: &mut dyn Outbox,
    ) -> Result<u64, Term>;

    /// The subscription `from` ended. Returns the demand to pass upstream.
    fn cancel(&mut self, from: &StageFrom, out: &mut dyn Outbox) -> u64;

    /// The consumer of `from` asked `counter` more events. Returns the demand to pass upstream.
    fn ask(&mut self, counter: u64, from: &StageFrom, out: &mut dyn Outbox) -> u64;

    /// Sends what it can of `events` (in order); returns the rest, to be buffered.
    fn dispatch(&mut self, events: Vec<Term>, out: &mut dyn Outbox) -> Vec<Term>;

    /// Sends what it can of a batch (in order); returns the rest. What the producer calls. The
    /// default converts a typed batch to terms and calls `dispatch`; a dispatcher that does
    /// not read the events overrides it to pass typed batches on as they are.
    fn dispatch_batch(&mut self, events: EventBatch, out: &mut dyn Outbox) -> EventBatch {
        EventBatch::Terms(self.dispatch(events.into_terms(), out))
    }

    /// Delivers an info message (`sync_info`/`async_info`) once the events dispatched before it
    /// reached their consumers; the default sends it to the stage at once.
    fn info(&mut self, message: Term, out: &mut dyn Outbox) {
        out.send_self(message);
    }
}

/// An outbox that records what it was given (tests of dispatchers).
#[derive(Debug, Default)]
pub struct RecordingOutbox {
    /// The batches sent, with their subscription.
    pub sent: Vec<(StageFrom, Vec<Term>)>,
    /// The messages sent to the stage itself.
    pub to_self: Vec<Term>,
}

impl Outbox for RecordingOutbox {
    fn send_events(&mut self, to: &StageFrom, events: Vec<Term>) {
        self.sent.push((to.clone(), events));
    }
    fn send_self(&mut self, message: Term) {
        self.to_self.push(message);
    }
}
