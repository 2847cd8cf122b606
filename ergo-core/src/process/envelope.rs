//! What a mailbox carries: a structured envelope (plain message, gen_server call or cast, exit
//! signal, monitor down, direct request) that renders OTP's exact term shapes on demand. Owns the
//! `Envelope` type and its conversions to and from terms; must not touch the process table.

use ergo_etf::{Atom, Pid, Reference, Term};

use super::Payload;
use super::{DirectEnvelope, ReplyTo};

/// One item in a mailbox.
pub enum Envelope {
    /// A plain message (`Pid ! Msg`).
    Message(Payload),
    /// A gen_server call: `{'$gen_call', {Pid, Tag}, Request}`.
    Call {
        /// Who to reply to.
        from: ReplyTo,
        /// The request.
        request: Payload,
    },
    /// A gen_server cast: `{'$gen_cast', Request}`.
    Cast(Payload),
    /// An exit signal (from a link, or `exit/2`).
    Exit {
        /// The process that sent the signal.
        from: Pid,
        /// The exit reason.
        reason: Term,
        /// True when the signal comes from a broken link (then `kill` is trappable).
        via_link: bool,
    },
    /// A monitor fired: `{'DOWN', Ref, process, Who, Reason}`.
    Down {
        /// The monitor reference.
        reference: Reference,
        /// The monitored pid, or `{Name, Node}` for a monitor by name.
        who: Term,
        /// The exit reason (`noproc` when the target was already gone).
        reason: Term,
    },
    /// A request from plain Rust code (not a term, never crosses the wire).
    Direct(DirectEnvelope),
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Envelope::Message(p) => write!(f, "Message({p:?})"),
            Envelope::Call { from, request } => write!(f, "Call({from:?}, {request:?})"),
            Envelope::Cast(p) => write!(f, "Cast({p:?})"),
            Envelope::Exit { from, reason, .. } => write!(f, "Exit({from:?}, {reason:?})"),
            Envelope::Down {
                reference, reason, ..
            } => write!(f, "Down({reference:?}, {reason:?})"),
            Envelope::Direct(_) => f.write_str("Direct(..)"),
        }
    }
}

fn atom(text: &str) -> Term {
    Term::Atom(Atom::new(text))
}

impl Envelope {
    /// The envelope as the term an Erlang process would receive (OTP's shapes). A `Direct`
    /// request has no term form: it becomes `{'$direct', undefined}` and its caller gets an error.
    pub fn into_term(self) -> Term {
        match self {
            Envelope::Message(p) => p.into_term(),
            Envelope::Call { from, request } => {
                let (pid, tag) = from.into_pid_and_tag();
                Term::tuple(vec![
                    atom("$gen_call"),
                    Term::tuple(vec![Term::Pid(pid), tag]),
                    request.into_term(),
                ])
            }
            Envelope::Cast(p) => Term::tuple(vec![atom("$gen_cast"), p.into_term()]),
            Envelope::Exit { from, reason, .. } => {
                Term::tuple(vec![atom("EXIT"), Term::Pid(from), reason])
            }
            Envelope::Down {
                reference,
                who,
                reason,
            } => Term::tuple(vec![
                atom("DOWN"),
                Term::Reference(reference),
                atom("process"),
                who,
                reason,
            ]),
            Envelope::Direct(request) => {
                request.refuse(atom("no_term_form"));
                Term::tuple(vec![atom("$direct"), atom("undefined")])
            }
        }
    }
}
