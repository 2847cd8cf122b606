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
    /// An exit signal (from a link, or `exit/2`). Boxed, like `Down`: both are rare, and
    /// unboxed they made every envelope 160 bytes, moved on each push and pop.
    Exit(Box<ExitSignal>),
    /// A monitor fired: `{'DOWN', Ref, process, Who, Reason}`.
    Down(Box<DownSignal>),
    /// A request from plain Rust code (not a term, never crosses the wire).
    Direct(DirectEnvelope),
}

/// The content of [`Envelope::Exit`]: an exit signal.
#[derive(Debug)]
pub struct ExitSignal {
    /// The process that sent the signal.
    pub from: Pid,
    /// The exit reason.
    pub reason: Term,
    /// True when the signal comes from a broken link (then `kill` is trappable).
    pub via_link: bool,
}

/// The content of [`Envelope::Down`]: a monitor that fired.
#[derive(Debug)]
pub struct DownSignal {
    /// The monitor reference.
    pub reference: Reference,
    /// The monitored pid, or `{Name, Node}` for a monitor by name.
    pub who: Term,
    /// The exit reason (`noproc` when the target was already gone).
    pub reason: Term,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Envelope::Message(p) => write!(f, "Message({p:?})"),
            Envelope::Call { from, request } => write!(f, "Call({from:?}, {request:?})"),
            Envelope::Cast(p) => write!(f, "Cast({p:?})"),
            Envelope::Exit(exit) => write!(f, "Exit({:?}, {:?})", exit.from, exit.reason),
            Envelope::Down(down) => write!(f, "Down({:?}, {:?})", down.reference, down.reason),
            Envelope::Direct(_) => f.write_str("Direct(..)"),
        }
    }
}

fn atom(text: &str) -> Term {
    Term::Atom(Atom::new(text))
}

impl Envelope {
    /// An exit signal from `from`.
    pub fn exit(from: Pid, reason: Term, via_link: bool) -> Envelope {
        Envelope::Exit(Box::new(ExitSignal {
            from,
            reason,
            via_link,
        }))
    }

    /// A monitor's `DOWN` message.
    pub fn down(reference: Reference, who: Term, reason: Term) -> Envelope {
        Envelope::Down(Box::new(DownSignal {
            reference,
            who,
            reason,
        }))
    }

    /// The monitor reference, when this is a `DOWN` message.
    pub fn down_reference(&self) -> Option<&Reference> {
        match self {
            Envelope::Down(down) => Some(&down.reference),
            _ => None,
        }
    }

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
            Envelope::Exit(exit) => {
                let ExitSignal { from, reason, .. } = *exit;
                Term::tuple(vec![atom("EXIT"), Term::Pid(from), reason])
            }
            Envelope::Down(down) => {
                let DownSignal {
                    reference,
                    who,
                    reason,
                } = *down;
                Term::tuple(vec![
                    atom("DOWN"),
                    Term::Reference(reference),
                    atom("process"),
                    who,
                    reason,
                ])
            }
            Envelope::Direct(request) => {
                request.refuse(atom("no_term_form"));
                Term::tuple(vec![atom("$direct"), atom("undefined")])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Envelope;

    #[test]
    fn an_envelope_is_at_most_72_bytes() {
        // Every push, pop and receive moves one: the rare, large signals are boxed.
        assert!(
            std::mem::size_of::<Envelope>() <= 72,
            "{} bytes",
            std::mem::size_of::<Envelope>()
        );
    }
}
