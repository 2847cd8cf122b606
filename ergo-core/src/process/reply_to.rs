//! `ReplyTo`: the handle a gen_server uses to answer a call, now or later. A local caller is
//! answered through its reply slot (no term conversion, no table lookup); a remote or untyped
//! caller gets OTP's `{Tag, Reply}` sent to its alias (`[alias|Ref]` tags) or pid. A `ReplyTo` is
//! one pointer, so envelopes stay small. The handle is typed by what the call answers
//! (`ReplyTo<R>`, `Term` when untyped): `#[gen_server]` hands `handle_call` the type its
//! parameter names, so a deferred reply is checked like a `Reply<R>`. Must not know the call's
//! request or the server's state, nor the node's tables: what leaves the slot goes through the
//! node's [`ReplyRoute`].

use std::marker::PhantomData;
use std::sync::Arc;

use ergo_etf::{Atom, IntoTerm, Pid, Reference, Term};

use super::{CallFailure, Payload, ReplyRoute, ReplySlot};

/// A caller that sent `{'$gen_call', {Pid, Tag}, Req}` as a term.
struct RemoteCaller {
    route: Arc<dyn ReplyRoute>,
    caller: Pid,
    tag: Term,
    /// Set by [`ReplyTo::answer_error_if_dropped`]: the reason of the `{error, Reason}` reply
    /// sent when the last handle goes without any reply (a remote caller has no reply slot
    /// to close, and monitors the process it called, not the one the call was handed to).
    on_drop: Option<Term>,
    /// True once a reply left (or the call was rendered as a term, which takes the duty over).
    answered: std::sync::atomic::AtomicBool,
}

impl RemoteCaller {
    fn send(&self, value: Payload) -> bool {
        self.answered
            .store(true, std::sync::atomic::Ordering::Release);
        let alias = match &self.tag {
            Term::ImproperList(head, tail)
                if head.len() == 1 && head.first().is_some_and(|h| h.is_atom("alias")) =>
            {
                match tail.as_ref() {
                    Term::Reference(alias) => Some(alias.clone()),
                    _ => None,
                }
            }
            _ => None,
        };
        let message = Term::tuple(vec![self.tag.clone(), value.into_term()]);
        self.route.send_reply(&self.caller, alias, message)
    }
}

impl Drop for RemoteCaller {
    fn drop(&mut self) {
        if let Some(reason) = self.on_drop.take() {
            if !self.answered.load(std::sync::atomic::Ordering::Acquire) {
                let error = Term::tuple(vec![Term::Atom(Atom::new("error")), reason]);
                self.send(Payload::Term(error));
            }
        }
    }
}

enum Path {
    /// A local caller waiting on its slot.
    Local(Arc<ReplySlot>),
    /// Reply `{Tag, Reply}` by message.
    Remote(Arc<RemoteCaller>),
    /// Already handed over (to a term rendering).
    Spent,
}

/// Who to answer, and with what: the caller's pid and call tag, and `R`, the type of the answer
/// (`Term` for a handle that answers anything). Clone it to reply later (`Reply::NoReply`); the
/// first reply wins, later ones are discarded.
pub struct ReplyTo<R = Term> {
    path: Path,
    answer: PhantomData<fn(R)>,
}

impl<R> std::fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid() {
            Some(p) => write!(f, "ReplyTo({})", Term::Pid(p.clone())),
            None => f.write_str("ReplyTo(spent)"),
        }
    }
}

impl<R> Clone for ReplyTo<R> {
    fn clone(&self) -> ReplyTo<R> {
        let path = match &self.path {
            Path::Local(slot) => {
                slot.add_holder();
                Path::Local(Arc::clone(slot))
            }
            Path::Remote(r) => Path::Remote(Arc::clone(r)),
            Path::Spent => Path::Spent,
        };
        ReplyTo {
            path,
            answer: PhantomData,
        }
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Path::Local(slot) = &self.path {
            slot.release_holder();
        }
    }
}

fn alias_tag(alias: Reference) -> Term {
    Term::cons(vec![Term::Atom(Atom::new("alias"))], Term::Reference(alias))
}

impl ReplyTo {
    pub(crate) fn local(slot: Arc<ReplySlot>) -> ReplyTo {
        slot.add_holder();
        ReplyTo {
            path: Path::Local(slot),
            answer: PhantomData,
        }
    }

    /// A `ReplyTo` for a caller that sent `{'$gen_call', {Caller, Tag}, Req}` as a term.
    pub fn remote(route: Arc<dyn ReplyRoute>, caller: Pid, tag: Term) -> ReplyTo {
        ReplyTo {
            path: Path::Remote(Arc::new(RemoteCaller {
                route,
                caller,
                tag,
                on_drop: None,
                answered: std::sync::atomic::AtomicBool::new(false),
            })),
            answer: PhantomData,
        }
    }
}

impl<R: IntoTerm + Send + 'static> ReplyTo<R> {
    /// Answers the call with `value`; false if the caller is gone or already answered.
    pub fn reply(&self, value: R) -> bool {
        self.reply_payload(Payload::new(value))
    }
}

impl<R> ReplyTo<R> {
    /// The same handle, answering with values of type `T` (what `#[gen_server]` does for a
    /// `from: ReplyTo<T>` parameter).
    pub fn typed<T>(mut self) -> ReplyTo<T> {
        ReplyTo {
            path: std::mem::replace(&mut self.path, Path::Spent),
            answer: PhantomData,
        }
    }

    /// The caller's pid (the node's outside pid for calls from outside any process); `None`
    /// only for a handle whose call was already rendered as a term.
    pub fn pid(&self) -> Option<&Pid> {
        match &self.path {
            Path::Local(slot) => Some(slot.caller()),
            Path::Remote(r) => Some(&r.caller),
            Path::Spent => None,
        }
    }

    /// The call tag as OTP writes it: `[alias | Ref]` for local callers.
    pub fn tag(&self) -> Term {
        match &self.path {
            Path::Local(slot) => alias_tag(slot.tag()),
            Path::Remote(r) => r.tag.clone(),
            Path::Spent => Term::nil(),
        }
    }

    /// Answers with a payload.
    pub fn reply_payload(&self, value: Payload) -> bool {
        match &self.path {
            Path::Local(slot) => slot.fulfil(Ok(value)),
            Path::Remote(r) => r.send(value),
            Path::Spent => false,
        }
    }

    /// Answers the call with an error at once: a local caller gets `CallError::Rejected(reason)`,
    /// a remote caller the reply `{error, Reason}` (what a pool answers when no worker can take
    /// the call).
    pub fn reject(&self, reason: Term) -> bool {
        match &self.path {
            Path::Local(slot) => slot.fulfil(Err(CallFailure::Rejected(reason))),
            Path::Remote(r) => {
                let error = Term::tuple(vec![Term::Atom(Atom::new("error")), reason]);
                r.send(Payload::Term(error))
            }
            Path::Spent => false,
        }
    }

    /// The same handle, but when its last clone goes without any reply, a remote caller gets
    /// `{error, Reason}` (a local caller gets `CallError::NoReply` anyway: its slot closes). A
    /// pool marks the calls it hands to a worker this way, so a call lost with a crashed worker
    /// is answered at once instead of at the caller's timeout.
    pub fn answer_error_if_dropped(mut self, reason: Term) -> ReplyTo<R> {
        if let Path::Remote(r) = &mut self.path {
            // Only the pool holds the handle when it marks it: take the caller over.
            let replaced = RemoteCaller {
                route: Arc::clone(&r.route),
                caller: r.caller.clone(),
                tag: r.tag.clone(),
                on_drop: Some(reason),
                answered: std::sync::atomic::AtomicBool::new(
                    r.answered.load(std::sync::atomic::Ordering::Acquire),
                ),
            };
            // The old record must not answer on its own drop.
            r.answered.store(true, std::sync::atomic::Ordering::Release);
            *r = Arc::new(replaced);
        }
        self
    }

    /// Refuses the call at once: a local caller gets `CallError::BadRequest(reason)`, a remote
    /// caller the reply `{error, Reason}`.
    pub(crate) fn refuse(&self, reason: Term) {
        match &self.path {
            Path::Local(slot) => {
                slot.fulfil(Err(CallFailure::Refused(reason)));
            }
            Path::Remote(_) => {
                let refusal = Term::tuple(vec![Term::Atom(Atom::new("error")), reason]);
                self.reply_payload(Payload::Term(refusal));
            }
            Path::Spent => {}
        }
    }

    /// The caller's pid and the tag, for rendering `{'$gen_call', {Pid, Tag}, Req}`. A local
    /// caller's reply slot is registered under its alias so a `{Tag, Reply}` message finds it.
    pub(crate) fn into_pid_and_tag(mut self) -> (Pid, Term) {
        match std::mem::replace(&mut self.path, Path::Spent) {
            Path::Local(slot) => {
                let alias = slot.tag();
                let tag = alias_tag(alias.clone());
                let caller = slot.caller().clone();
                // This handle's holder count moves to the alias entry: not released here.
                slot.route().register_reply_alias(alias, slot.clone());
                (caller, tag)
            }
            Path::Remote(r) => {
                // Whoever gets the term answers it now.
                r.answered.store(true, std::sync::atomic::Ordering::Release);
                (r.caller.clone(), r.tag.clone())
            }
            Path::Spent => (
                Pid {
                    node: Atom::new("nonode@nohost"),
                    id: 0,
                    serial: 0,
                    creation: 0,
                },
                Term::nil(),
            ),
        }
    }
}
