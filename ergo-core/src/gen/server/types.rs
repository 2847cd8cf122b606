//! What gen_server callbacks return: `Init`, `Reply`, `Status`, and the untyped `CallOutcome`
//! the run loop acts on. Must not run anything.

use ergo_etf::{IntoTerm, Term};

use crate::process::Payload;

/// The result of `init`.
#[derive(Debug)]
pub enum Init<S> {
    /// Start with this state.
    Ok(S),
    /// Do not start; the starter gets `SpawnError::Ignored` and the process exits `normal`.
    Ignore,
    /// Do not start; the process exits with this reason.
    Stop(Term),
}

impl<S, E: IntoTerm> std::convert::From<Result<S, E>> for Init<S> {
    fn from(r: Result<S, E>) -> Init<S> {
        match r {
            Ok(s) => Init::Ok(s),
            Err(e) => Init::Stop(e.into_term()),
        }
    }
}

/// What `handle_call` returns.
#[derive(Debug)]
pub enum Reply<R> {
    /// Reply now and keep going.
    Reply(R),
    /// Do not reply now (reply later through a cloned `ReplyTo`).
    NoReply,
    /// Stop with a reason, replying first when a value is given.
    Stop(Term, Option<R>),
}

impl<R> Reply<R> {
    /// `Reply::Reply(value)`.
    pub fn ok(value: R) -> Reply<R> {
        Reply::Reply(value)
    }
}

/// What `handle_cast`, `handle_info` return.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Keep going.
    Continue,
    /// Stop with this reason (`terminate` runs first).
    Stop(Term),
}

impl Status {
    /// `Status::Stop(normal)`.
    pub fn stop_normal() -> Status {
        Status::Stop(Term::atom("normal"))
    }
}

/// An untyped `handle_call` result, what the run loop acts on.
#[derive(Debug)]
pub enum CallOutcome {
    /// Reply with this payload.
    Reply(Payload),
    /// No reply now.
    NoReply,
    /// Stop, replying first when a payload is given.
    Stop(Term, Option<Payload>),
    /// The request was not understood: a local caller gets `CallError::BadRequest`.
    Refuse(Term),
}

/// Converts a typed callback result into a [`CallOutcome`].
pub trait IntoCallOutcome {
    /// The conversion.
    fn into_outcome(self) -> CallOutcome;
}

impl<R: IntoTerm + Send + 'static> IntoCallOutcome for Reply<R> {
    fn into_outcome(self) -> CallOutcome {
        match self {
            Reply::Reply(r) => CallOutcome::Reply(Payload::new(r)),
            Reply::NoReply => CallOutcome::NoReply,
            Reply::Stop(reason, r) => CallOutcome::Stop(reason, r.map(Payload::new)),
        }
    }
}

impl IntoCallOutcome for CallOutcome {
    fn into_outcome(self) -> CallOutcome {
        self
    }
}

/// Converts a typed `init` result into [`Init`].
pub trait IntoInit<S> {
    /// The conversion.
    fn into_init(self) -> Init<S>;
}

impl<S> IntoInit<S> for Init<S> {
    fn into_init(self) -> Init<S> {
        self
    }
}

impl<S, E: IntoTerm> IntoInit<S> for Result<S, E> {
    fn into_init(self) -> Init<S> {
        Init::from(self)
    }
}

/// Converts a typed cast/info result into [`Status`] (`()` means continue).
pub trait IntoStatus {
    /// The conversion.
    fn into_status(self) -> Status;
}

impl IntoStatus for Status {
    fn into_status(self) -> Status {
        self
    }
}

impl IntoStatus for () {
    fn into_status(self) -> Status {
        Status::Continue
    }
}
