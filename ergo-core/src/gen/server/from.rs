//! `From`: the handle a gen_server uses to answer a call, now or later. A local caller is
//! answered through its reply slot (no term conversion); a remote or untyped caller gets OTP's
//! `{Tag, Reply}` sent to its alias (`[alias|Ref]` tags) or pid. Must not know the call's
//! request or the server's state.

use std::sync::Arc;

use ergo_etf::{Atom, IntoTerm, Pid, Reference, Term};

use crate::node::{Dest, Node};
use crate::process::{Envelope, Payload, ReplySlot};

enum Path {
    /// A local caller waiting on its slot; the tag is its alias.
    Local {
        tag: Reference,
        slot: Arc<ReplySlot>,
    },
    /// A caller that sent a `'$gen_call'` term: reply `{Tag, Reply}` by message.
    Remote { tag: Term },
    /// Already handed over (to a term rendering).
    Spent,
}

/// Who to answer: the caller's pid and call tag. Clone it to reply later (`Reply::NoReply`);
/// the first reply wins, later ones are discarded.
pub struct From {
    node: Node,
    caller: Pid,
    path: Path,
}

impl std::fmt::Debug for From {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "From({})", Term::Pid(self.caller.clone()))
    }
}

impl Clone for From {
    fn clone(&self) -> From {
        let path = match &self.path {
            Path::Local { tag, slot } => {
                slot.add_holder();
                Path::Local {
                    tag: tag.clone(),
                    slot: Arc::clone(slot),
                }
            }
            Path::Remote { tag } => Path::Remote { tag: tag.clone() },
            Path::Spent => Path::Spent,
        };
        From {
            node: self.node.clone(),
            caller: self.caller.clone(),
            path,
        }
    }
}

impl Drop for From {
    fn drop(&mut self) {
        if let Path::Local { slot, .. } = &self.path {
            slot.release_holder();
        }
    }
}

fn alias_tag(alias: &Reference) -> Term {
    Term::cons(
        vec![Term::Atom(Atom::new("alias"))],
        Term::Reference(alias.clone()),
    )
}

impl From {
    pub(crate) fn local(node: Node, caller: Pid, tag: Reference, slot: Arc<ReplySlot>) -> From {
        slot.add_holder();
        From {
            node,
            caller,
            path: Path::Local { tag, slot },
        }
    }

    /// A `From` for a caller that sent `{'$gen_call', {Caller, Tag}, Req}` as a term.
    pub fn remote(node: Node, caller: Pid, tag: Term) -> From {
        From {
            node,
            caller,
            path: Path::Remote { tag },
        }
    }

    /// The caller's pid (the node's outside pid for calls from outside any process).
    pub fn pid(&self) -> &Pid {
        &self.caller
    }

    /// The call tag as OTP writes it: `[alias | Ref]` for local callers.
    pub fn tag(&self) -> Term {
        match &self.path {
            Path::Local { tag, .. } => alias_tag(tag),
            Path::Remote { tag } => tag.clone(),
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
            Path::Local { slot, .. } => slot.fulfil(Ok(value)),
            Path::Remote { tag } => {
                let to = match tag {
                    Term::ImproperList(head, tail)
                        if head.len() == 1 && head.first().is_some_and(|h| h.is_atom("alias")) =>
                    {
                        match tail.as_ref() {
                            Term::Reference(r) => Dest::Alias(r.clone()),
                            _ => Dest::Pid(self.caller.clone()),
                        }
                    }
                    _ => Dest::Pid(self.caller.clone()),
                };
                let message = Term::tuple(vec![tag.clone(), value.into_term()]);
                self.node
                    .send_envelope(None, &to, Envelope::Message(Payload::Term(message)))
                    .is_ok()
            }
            Path::Spent => false,
        }
    }

    /// Refuses the call: a local caller gets `CallError::BadRequest(reason)`; a remote caller gets
    /// no reply (it times out, as with an OTP server that crashes on the request).
    pub(crate) fn refuse(&self, reason: Term) {
        if let Path::Local { slot, .. } = &self.path {
            slot.fulfil(Err(reason));
        }
    }

    /// The caller's pid and the tag, for rendering `{'$gen_call', {Pid, Tag}, Req}`. A local
    /// caller's reply slot is registered under its alias so a `{Tag, Reply}` message finds it.
    pub(crate) fn into_pid_and_tag(mut self) -> (Pid, Term) {
        let path = std::mem::replace(&mut self.path, Path::Spent);
        let tag = match path {
            Path::Local { tag, slot } => {
                let term = alias_tag(&tag);
                self.node.register_reply_alias(tag, Arc::clone(&slot));
                // This handle's holder count moves to the alias entry: not released here.
                term
            }
            Path::Remote { tag } => tag,
            Path::Spent => Term::nil(),
        };
        (self.caller.clone(), tag)
    }
}
