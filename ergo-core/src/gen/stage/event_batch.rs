//! A batch of events as a stage carries it: terms, or the typed `Vec<T>` a typed stage emitted
//! (`#[gen_stage]` with `Emit<T>`), kept as that Rust vector while it stays on this node. A
//! typed batch becomes terms only where terms are needed: on the wire, for an untyped consumer
//! (`handle_events(Vec<Term>)`), for a consumer of another event type, in the buffer and in
//! dispatchers that read events (broadcast selectors, partition hashes). So the terms path is
//! always the fallback and a consumer cannot tell the two apart, as long as
//! `T::from_term(t.into_term())` gives `t` back (the contract of `#[derive(Term)]` and of the
//! primitive conversions). Owns the batch and its conversions; must not send or dispatch.

use std::any::Any;

use ergo_etf::{FromTerm, IntoTerm, Term};

/// A typed batch: a `Vec<T>` of events that can be counted, cut, and rendered as terms.
/// Implemented for every `Vec<T>` with `T: IntoTerm + Send + 'static`.
pub trait TypedEvents: Any + Send {
    /// The number of events.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Keeps the first `at` events and returns the rest (`Vec::split_off`).
    fn split_off(&mut self, at: usize) -> Box<dyn TypedEvents>;
    /// The events as terms.
    fn into_terms(self: Box<Self>) -> Vec<Term>;
    /// The vector as a boxed `Any`, to take it by downcast.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
    /// The vector as `Any`, to test its type.
    fn as_any(&self) -> &dyn Any;
}

impl<T: IntoTerm + Send + 'static> TypedEvents for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn split_off(&mut self, at: usize) -> Box<dyn TypedEvents> {
        Box::new(Vec::split_off(self, at))
    }
    fn into_terms(self: Box<Self>) -> Vec<Term> {
        self.into_iter().map(IntoTerm::into_term).collect()
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A batch of events: terms (from the wire, an untyped stage, a buffer), or a typed vector
/// from a typed stage on this node.
pub enum EventBatch {
    /// Events as terms.
    Terms(Vec<Term>),
    /// A typed `Vec<T>` (never a `Vec<Term>`: that is `Terms`).
    Typed(Box<dyn TypedEvents>),
}

impl std::fmt::Debug for EventBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventBatch::Terms(events) => f.debug_tuple("Terms").field(events).finish(),
            EventBatch::Typed(events) => write!(f, "Typed({} events)", events.len()),
        }
    }
}

impl Default for EventBatch {
    fn default() -> EventBatch {
        EventBatch::Terms(Vec::new())
    }
}

impl From<Vec<Term>> for EventBatch {
    fn from(events: Vec<Term>) -> EventBatch {
        EventBatch::Terms(events)
    }
}

impl EventBatch {
    /// Wraps typed events; a `Vec<Term>` becomes `Terms` (no conversion, no box).
    pub fn typed<T: IntoTerm + Send + 'static>(events: Vec<T>) -> EventBatch {
        let mut slot = Some(events);
        if let Some(terms) = (&mut slot as &mut dyn Any).downcast_mut::<Option<Vec<Term>>>() {
            return EventBatch::Terms(terms.take().unwrap_or_default());
        }
        match slot {
            Some(events) => EventBatch::Typed(Box::new(events)),
            None => EventBatch::default(),
        }
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        match self {
            EventBatch::Terms(events) => events.len(),
            EventBatch::Typed(events) => events.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the first `at` events and returns the rest, in the same representation.
    pub fn split_off(&mut self, at: usize) -> EventBatch {
        match self {
            EventBatch::Terms(events) => EventBatch::Terms(events.split_off(at)),
            EventBatch::Typed(events) => EventBatch::Typed(events.split_off(at)),
        }
    }

    /// The events as terms (converts a typed batch).
    pub fn into_terms(self) -> Vec<Term> {
        match self {
            EventBatch::Terms(events) => events,
            EventBatch::Typed(events) => events.into_terms(),
        }
    }

    /// The events as `Vec<T>`: taken as they are when the batch holds `Vec<T>` (or `T` is
    /// `Term`), else converted through terms; an event that does not decode is logged (what
    /// was expected, what was found) and dropped, the rest go on.
    pub fn into_vec<T: FromTerm + 'static>(self) -> Vec<T> {
        let terms = match self {
            EventBatch::Typed(events) if events.as_any().is::<Vec<T>>() => {
                return match events.into_any().downcast::<Vec<T>>() {
                    Ok(events) => *events,
                    Err(_) => Vec::new(),
                };
            }
            other => other.into_terms(),
        };
        let mut slot = Some(terms);
        if let Some(as_t) = (&mut slot as &mut dyn Any).downcast_mut::<Option<Vec<T>>>() {
            return as_t.take().unwrap_or_default();
        }
        let terms = slot.unwrap_or_default();
        let mut out = Vec::with_capacity(terms.len());
        // Each term moves into its conversion (no copy kept for the log: the error says what
        // was found).
        for event in terms {
            match T::from_term(event) {
                Ok(value) => out.push(value),
                Err(error) => tracing::warn!(
                    expected = std::any::type_name::<T>(),
                    %error,
                    "gen_stage: an event does not decode as the type handle_events takes; dropped"
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Celsius(i64);

    impl IntoTerm for Celsius {
        fn into_term(self) -> Term {
            Term::tuple(vec![Term::atom("celsius"), Term::Int(self.0)])
        }
    }

    #[test]
    fn a_typed_batch_is_taken_without_conversion_by_its_own_type() {
        let batch = EventBatch::typed(vec![1i64, 2, 3]);
        assert!(matches!(batch, EventBatch::Typed(_)));
        assert_eq!(batch.into_vec::<i64>(), vec![1, 2, 3]);
    }

    #[test]
    fn a_vec_of_terms_stays_terms() {
        let batch = EventBatch::typed(vec![Term::Int(1)]);
        assert!(matches!(batch, EventBatch::Terms(_)));
    }

    #[test]
    fn an_untyped_or_other_typed_consumer_gets_the_terms() {
        let terms = EventBatch::typed(vec![Celsius(5), Celsius(-2)]).into_vec::<Term>();
        assert_eq!(
            terms,
            vec![
                Term::tuple(vec![Term::atom("celsius"), Term::Int(5)]),
                Term::tuple(vec![Term::atom("celsius"), Term::Int(-2)]),
            ]
        );
        // u32 events read as i64: through terms.
        let wider = EventBatch::typed(vec![7u32, 8]).into_vec::<i64>();
        assert_eq!(wider, vec![7, 8]);
    }

    #[test]
    fn an_event_that_does_not_decode_is_dropped_and_the_rest_go_on() {
        let batch = EventBatch::Terms(vec![Term::Int(1), Term::atom("x"), Term::Int(3)]);
        assert_eq!(batch.into_vec::<i64>(), vec![1, 3]);
    }

    #[test]
    fn split_off_keeps_the_representation_and_order() {
        let mut batch = EventBatch::typed((0..10i64).collect::<Vec<_>>());
        let rest = batch.split_off(4);
        assert_eq!(batch.len(), 4);
        assert_eq!(rest.into_vec::<i64>(), (4..10).collect::<Vec<_>>());
        assert_eq!(
            batch.into_terms(),
            (0..4).map(Term::Int).collect::<Vec<_>>()
        );
    }
}
