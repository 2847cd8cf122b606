//! A message body: either a `Term` (from the wire, or built by hand) or a typed Rust value that
//! never gets converted while it stays on this node. Owns `LocalPayload` and `Payload`; must not
//! know about mailboxes or processes.

use std::any::Any;

use ergo_etf::{ConvertError, FromTerm, IntoTerm, Term};

/// A typed message body kept as a Rust value for local delivery. Every `IntoTerm + Send + 'static`
/// type is one (blanket impl); it becomes a term only when it must (untyped receiver, the wire).
pub trait LocalPayload: Any + Send {
    /// Renders the value as a term.
    fn into_term(self: Box<Self>) -> Term;
    /// The value as `Any`, to test its type.
    fn as_any(&self) -> &dyn Any;
    /// The value as a boxed `Any`, to take it by downcast.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<T: IntoTerm + Send + 'static> LocalPayload for T {
    fn into_term(self: Box<Self>) -> Term {
        (*self).into_term()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A message body: a term, or a typed local value.
pub enum Payload {
    /// An Erlang term.
    Term(Term),
    /// A typed Rust value (local delivery only).
    Local(Box<dyn LocalPayload>),
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Payload::Term(t) => write!(f, "Payload::Term({t:?})"),
            Payload::Local(_) => f.write_str("Payload::Local(..)"),
        }
    }
}

/// A payload that could not be read as the type asked for: the term it became and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct Undecodable {
    /// The payload as a term.
    pub term: Term,
    /// Why the conversion failed.
    pub error: ConvertError,
}

impl Payload {
    /// Wraps a typed value; a `Term` stays a `Term` (no double boxing).
    pub fn new<T: IntoTerm + Send + 'static>(value: T) -> Payload {
        let boxed: Box<dyn LocalPayload> = Box::new(value);
        if boxed.as_any().is::<Term>() {
            match boxed.into_any().downcast::<Term>() {
                Ok(term) => Payload::Term(*term),
                Err(_) => Payload::Term(Term::nil()),
            }
        } else {
            Payload::Local(boxed)
        }
    }

    /// The payload as a term (converts a typed value).
    pub fn into_term(self) -> Term {
        match self {
            Payload::Term(t) => t,
            Payload::Local(b) => b.into_term(),
        }
    }

    /// Takes the payload as `T`: by downcast when it is a `T`, else through `FromTerm`.
    // The failure path returns the term for the caller to inspect; it is the rare path.
    #[allow(clippy::result_large_err)]
    pub fn take<T: FromTerm + 'static>(self) -> Result<T, Undecodable> {
        let term = match self {
            Payload::Local(b) if b.as_any().is::<T>() => match b.into_any().downcast::<T>() {
                Ok(v) => return Ok(*v),
                Err(_) => Term::nil(),
            },
            other => other.into_term(),
        };
        // The untyped receiver: hand the term over without the clone below.
        let mut slot = Some(term);
        if let Some(as_t) = (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>() {
            if let Some(v) = as_t.take() {
                return Ok(v);
            }
        }
        let term = slot.unwrap_or(Term::nil());
        T::from_term(term.clone()).map_err(|error| Undecodable { term, error })
    }
}
