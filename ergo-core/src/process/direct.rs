//! Direct requests: plain Rust values sent to a local process (never a term, never on the wire),
//! each type naming the type of its answer ([`DirectRequest`]). In a mailbox the request travels
//! type-erased ([`DirectEnvelope`]); the receiver takes it back as its own type together with a
//! handle ([`DirectReplyTo`]) that accepts only that type's answer, so the caller's answer type
//! and the server's are the same by construction. Owns these types; must not know the node.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use ergo_etf::Term;
use tokio::sync::oneshot;

/// A request from plain Rust code to a local process, with the type of its answer.
///
/// ```
/// use ergo_core::process::DirectRequest;
/// /// How many entries the store holds.
/// struct Len;
/// impl DirectRequest for Len {
///     type Reply = usize;
/// }
/// ```
pub trait DirectRequest: Send + 'static {
    /// What the receiver answers.
    type Reply: Send + 'static;
}

/// The answer as it travels back: the reply (type-erased, of the request's `Reply` type) or why
/// the request was refused.
type ErasedAnswer = Result<Box<dyn Any + Send>, Term>;

/// Why a direct request got no answer.
#[derive(Debug)]
pub enum DirectFailure {
    /// The receiver refused it (it does not take requests of this type, or said no).
    Refused(Term),
    /// The receiver dropped it unanswered (it exited, or the request never reached a mailbox).
    NoReply,
}

/// The caller's side of a direct request: resolves to the typed reply.
pub struct DirectAnswer<T> {
    answered: oneshot::Receiver<ErasedAnswer>,
    reply: PhantomData<fn() -> T>,
}

impl<T: 'static> Future for DirectAnswer<T> {
    type Output = Result<T, DirectFailure>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.answered)
            .poll(cx)
            .map(|answer| match answer {
                // Only the DirectReplyTo<T> made by taking the request as its own type answers
                // with a value, so the value is a T.
                Ok(Ok(value)) => value
                    .downcast::<T>()
                    .map(|value| *value)
                    .map_err(|_| DirectFailure::NoReply),
                Ok(Err(reason)) => Err(DirectFailure::Refused(reason)),
                Err(_) => Err(DirectFailure::NoReply),
            })
    }
}

/// A direct request in a mailbox. Take it back as its type with [`DirectEnvelope::take`], or
/// refuse it; dropped unanswered, its caller gets `CallError::NoReply`.
pub struct DirectEnvelope {
    request: Box<dyn Any + Send>,
    answer: oneshot::Sender<ErasedAnswer>,
}

impl std::fmt::Debug for DirectEnvelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectEnvelope(..)")
    }
}

impl DirectEnvelope {
    /// The envelope of `request`, and the future of its answer.
    pub fn new<R: DirectRequest>(request: R) -> (DirectEnvelope, DirectAnswer<R::Reply>) {
        let (answer, answered) = oneshot::channel();
        let envelope = DirectEnvelope {
            request: Box::new(request),
            answer,
        };
        let answered = DirectAnswer {
            answered,
            reply: PhantomData,
        };
        (envelope, answered)
    }

    /// True when the request is an `R`.
    pub fn is<R: DirectRequest>(&self) -> bool {
        self.request.is::<R>()
    }

    /// The request as an `R` and the handle to answer it, or the envelope back when the request
    /// is of another type.
    pub fn take<R: DirectRequest>(self) -> Result<(R, DirectReplyTo<R::Reply>), DirectEnvelope> {
        let DirectEnvelope { request, answer } = self;
        match request.downcast::<R>() {
            Ok(request) => Ok((
                *request,
                DirectReplyTo {
                    answer,
                    reply: PhantomData,
                },
            )),
            Err(request) => Err(DirectEnvelope { request, answer }),
        }
    }

    /// Refuses the request: its caller gets `CallError::BadRequest(reason)`.
    pub fn refuse(self, reason: Term) {
        let _ = self.answer.send(Err(reason));
    }
}

/// The handle that answers one direct request, with a value of the request's `Reply` type.
/// Dropped unanswered, the caller gets `CallError::NoReply`.
pub struct DirectReplyTo<T> {
    answer: oneshot::Sender<ErasedAnswer>,
    reply: PhantomData<fn(T)>,
}

impl<T> std::fmt::Debug for DirectReplyTo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectReplyTo(..)")
    }
}

impl<T: Send + 'static> DirectReplyTo<T> {
    /// Answers the request; false when the caller is gone (it timed out).
    pub fn reply(self, value: T) -> bool {
        self.answer.send(Ok(Box::new(value))).is_ok()
    }

    /// Refuses the request: its caller gets `CallError::BadRequest(reason)`.
    pub fn refuse(self, reason: Term) {
        let _ = self.answer.send(Err(reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Len;
    impl DirectRequest for Len {
        type Reply = usize;
    }

    #[derive(Debug)]
    struct Name;
    impl DirectRequest for Name {
        type Reply = String;
    }

    #[tokio::test]
    async fn a_request_is_taken_as_its_own_type_only() {
        let (envelope, answered) = DirectEnvelope::new(Len);
        assert!(envelope.is::<Len>() && !envelope.is::<Name>());
        let envelope = envelope.take::<Name>().expect_err("not a Name");
        let (Len, reply) = envelope.take::<Len>().expect("a Len");
        assert!(reply.reply(3));
        assert!(matches!(answered.await, Ok(3)));
    }

    #[tokio::test]
    async fn refusing_and_dropping_are_told_apart() {
        let (envelope, answered) = DirectEnvelope::new(Len);
        envelope.refuse(Term::atom("no"));
        assert!(
            matches!(answered.await, Err(DirectFailure::Refused(reason)) if reason == Term::atom("no"))
        );
        let (envelope, answered) = DirectEnvelope::new(Name);
        let (Name, reply) = envelope.take::<Name>().expect("a Name");
        drop(reply);
        assert!(matches!(answered.await, Err(DirectFailure::NoReply)));
    }
}
