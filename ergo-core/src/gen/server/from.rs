//! `From`: the handle a gen_server uses to answer a call, now or later. A local caller is
//! answered through its reply slot (no term conversion, no table lookup); a remote or untyped
//! caller gets OTP's `{Tag, Reply}` sent to its alias (`[alias|Ref]` tags) or pid. A `From` is
//! one pointer, so envelopes stay small. Must not know the call's request or the server's state.

use std::sync::Arc;

use ergo_etf::{Atom, IntoTerm, Pid, Reference, Term};

use crate::node::{Dest, Node};
use crate::process::{Envelope, Payload, ReplySlot};

/// A caller that sent `{'$gen_call', {Pid, Tag}, Req}` as a term.
struct RemoteCaller {
    node: Node,
    caller: Pid,
    tag: Term,
}

enum Path {
    /// A local caller waiting on its slot.
    Local(Arc<ReplySlot>),
    /// Reply `{Tag, Reply}` by message.
    Remote(Arc<RemoteCaller>),
    /// Already handed over (to a term rendering).
    Spent,
}

/// Who to answer: the caller's pid and call tag. Clone it to reply later (`Reply::NoReply`);
/// the first reply wins, later ones are discarded.
pub struct From {
    path: Path,
}

impl std::fmt::Debug for From {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid() {
            Some(p) => write!(f, "From({})", Term::Pid(p.clone())),
            None => f.write_str("From(spent)"),
        }
    }
}

impl Clone for From {
    fn clone(&self) -> From {
        let path = match &self.path {
            Path::Local(slot) => {
                slot.add_holder();
                Path::Local(Arc::clone(slot))
            }
            Path::Remote(r) => Path::Remote(Arc::clone(r)),
            Path::Spent => Path::Spent,
        };
        From { path }
    }
}

impl Drop for From {
    fn drop(&mut self) {
        if let Path::Local(slot) = &self.path {
            slot.release_holder();
        }
    }
}

fn alias_tag(alias: Reference) -> Term {
    Term::cons(vec![Term::Atom(Atom::new("alias"))], Term::Reference(alias))
}

impl From {
    pub(crate) fn local(slot: Arc<ReplySlot>) -> From {
        slot.add_holder();
        From {
            path: Path::Local(slot),
        }
    }

    /// A `From` for a caller that sent `{'$gen_call', {Caller, Tag}, Req}` as a term.
    pub fn remote(node: Node, caller: Pid, tag: Term) -> From {
        From {
            path: Path::Remote(Arc::new(RemoteCaller { node, caller, tag })),
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

    /// Answers the call with `value`; false if the caller is gone or already answered.
    pub fn reply(&self, value: impl IntoTerm + Send + 'static) -> bool {
        self.reply_payload(Payload::new(value))
    }

    /// Answers with a payload.
    pub fn reply_payload(&self, value: Payload) -> bool {
        match &self.path {
            Path::Local(slot) => slot.fulfil(Ok(value)),
            Path::Remote(r) => {
                let to = match &r.tag {
                    Term::ImproperList(head, tail)
                        if head.len() == 1 && head.first().is_some_and(|h| h.is_atom("alias")) =>
                    {
                        match tail.as_ref() {
                            Term::Reference(alias) => Dest::Alias(alias.clone()),
                            _ => Dest::Pid(r.caller.clone()),
                        }
                    }
                    _ => Dest::Pid(r.caller.clone()),
                };
                let message = Term::tuple(vec![r.tag.clone(), value.into_term()]);
                r.node
                    .send_envelope(None, &to, Envelope::Message(Payload::Term(message)))
                    .is_ok()
            }
            Path::Spent => false,
        }
    }

    /// Refuses the call: a local caller gets `CallError::BadRequest(reason)`; a remote caller gets
    /// no reply (it times out, as with an OTP server that crashes on the request).
    pub(crate) fn refuse(&self, reason: Term) {
        if let Path::Local(slot) = &self.path {
            slot.fulfil(Err(crate::process::CallFailure::Refused(reason)));
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
                slot.node().register_reply_alias(alias, slot.clone());
                (caller, tag)
            }
            Path::Remote(r) => (r.caller.clone(), r.tag.clone()),
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
