//! Every distribution control message as a typed enum, its control tuple's encoding and
//! decoding (written and read field by field, never through a [`Term`] tuple), and whether a
//! payload term follows it.
//!
//! Owns the control tuples only; it must not touch framing, the atom cache or sockets. Trace
//! tokens of the `*_TT` forms are kept as terms and otherwise ignored.

use bytes::Bytes;
use ergo_etf::{
    Atom, AtomDecoder, AtomEncoder, EncodeError, Pid, Reference, Term, TermReader, TermWriter,
};
use num_bigint::BigInt;

use super::error::FrameError;

/// A process given by pid or by registered name (MONITOR_P and friends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessRef {
    /// A pid.
    Pid(Pid),
    /// A registered name.
    Name(Atom),
}

/// SPAWN_REQUEST's fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SpawnRequestFields {
    /// The request's id; the reply carries it.
    pub req_id: Reference,
    /// The requesting process.
    pub from: Pid,
    /// The group leader the new process is to have.
    pub group_leader: Pid,
    /// The module of the function to run.
    pub module: Atom,
    /// The function.
    pub function: Atom,
    /// Its arity (the payload is the argument list).
    pub arity: u8,
    /// The spawn options.
    pub opts: Term,
}

/// The table of control messages: each operation once, with its number, its name in OTP's
/// protocol documentation, the arity of its control tuple, whether a payload term follows it,
/// and its variant. Generates the [`ControlMessage`] enum, the [`op`] constants, and the
/// variant -> number, arity and payload mappings; decoding maps number -> variant through the
/// [`op`] constants.
macro_rules! control_messages {
    ($(
        $(#[$doc:meta])*
        $name:ident = $num:literal, arity $arity:literal $(, $payload:ident)? =>
            $variant:ident $({ $($field:ident: $fty:ty),* $(,)? })? $(( $($tty:ty),* ))?;
    )*) => {
        /// A distribution control message.
        ///
        /// Rare, large parts (trace tokens, exit reasons beside a token or a reference, spawn
        /// requests and replies) are boxed, so the enum stays at 128 bytes: every message is
        /// moved several times between the socket and its process.
        #[allow(missing_docs)] // fields are named as in the OTP protocol documentation
        #[derive(Clone, Debug, PartialEq)]
        pub enum ControlMessage {
            $(
                $(#[$doc])*
                #[doc = ""]
                #[doc = concat!(
                    "Operation ", stringify!($num), " (`", stringify!($name), "`), ",
                    "a ", stringify!($arity), "-tuple",
                    control_messages!(@payload_text $($payload)?),
                )]
                $variant $({ $($field: $fty),* })? $(( $($tty),* ))?,
            )*
        }

        /// The operation numbers of the control messages (the first element of a control
        /// tuple), named as in OTP's distribution protocol documentation.
        pub mod op {
            $(
                #[doc = concat!(
                    "The operation number of [`ControlMessage::", stringify!($variant),
                    "`](super::ControlMessage::", stringify!($variant), ")."
                )]
                pub const $name: u8 = $num;
            )*
        }

        impl ControlMessage {
            /// The operation number.
            pub fn op(&self) -> u8 {
                match self {
                    $(ControlMessage::$variant { .. } => op::$name,)*
                }
            }

            /// Whether a payload term follows this control message.
            pub fn has_payload(&self) -> bool {
                match self {
                    $(ControlMessage::$variant { .. } => control_messages!(@payload $($payload)?),)*
                }
            }

            /// The number of elements of this message's control tuple.
            fn arity(&self) -> usize {
                match self {
                    $(ControlMessage::$variant { .. } => $arity,)*
                }
            }
        }

        /// The number of elements of the control tuple of operation `op`, if there is one.
        fn arity_of(op: u8) -> Option<usize> {
            match op {
                $(op::$name => Some($arity),)*
                _ => None,
            }
        }
    };
    (@payload) => { false };
    (@payload payload) => { true };
    (@payload_text) => { "." };
    (@payload_text payload) => { ", followed by a payload term." };
}

control_messages! {
    /// `{LINK, From, To}`.
    LINK = 1, arity 3 => Link { from: Pid, to: Pid };
    /// `{SEND, '', To}`.
    SEND = 2, arity 3, payload => Send { to: Pid };
    /// `{EXIT, From, To, Reason}`.
    EXIT = 3, arity 4 => Exit { from: Pid, to: Pid, reason: Term };
    /// `{UNLINK, From, To}` (the old unlink, without an id).
    UNLINK = 4, arity 3 => Unlink { from: Pid, to: Pid };
    /// `{NODE_LINK}`.
    NODE_LINK = 5, arity 1 => NodeLink;
    /// `{REG_SEND, From, '', ToName}`.
    REG_SEND = 6, arity 4, payload => RegSend { from: Pid, to_name: Atom };
    /// `{GROUP_LEADER, From, To}`.
    GROUP_LEADER = 7, arity 3 => GroupLeader { from: Pid, to: Pid };
    /// `{EXIT2, From, To, Reason}`.
    EXIT2 = 8, arity 4 => Exit2 { from: Pid, to: Pid, reason: Term };
    /// `{SEND_TT, '', To, Token}`.
    SEND_TT = 12, arity 4, payload => SendTt { to: Pid, token: Box<Term> };
    /// `{EXIT_TT, From, To, Token, Reason}`.
    EXIT_TT = 13, arity 5 => ExitTt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
        reason: Box<Term>,
    };
    /// `{REG_SEND_TT, From, '', ToName, Token}`.
    REG_SEND_TT = 16, arity 5, payload => RegSendTt {
        from: Pid,
        to_name: Atom,
        token: Box<Term>,
    };
    /// `{EXIT2_TT, From, To, Token, Reason}`.
    EXIT2_TT = 18, arity 5 => Exit2Tt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
        reason: Box<Term>,
    };
    /// `{MONITOR_P, From, PidOrName, Ref}`.
    MONITOR_P = 19, arity 4 => MonitorP {
        from: Pid,
        target: ProcessRef,
        reference: Reference,
    };
    /// `{DEMONITOR_P, From, PidOrName, Ref}`.
    DEMONITOR_P = 20, arity 4 => DemonitorP {
        from: Pid,
        target: ProcessRef,
        reference: Reference,
    };
    /// `{MONITOR_P_EXIT, PidOrName, To, Ref, Reason}`.
    MONITOR_P_EXIT = 21, arity 5 => MonitorPExit {
        target: ProcessRef,
        to: Pid,
        reference: Reference,
        reason: Box<Term>,
    };
    /// `{SEND_SENDER, From, To}`.
    SEND_SENDER = 22, arity 3, payload => SendSender { from: Pid, to: Pid };
    /// `{SEND_SENDER_TT, From, To, Token}`.
    SEND_SENDER_TT = 23, arity 4, payload => SendSenderTt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
    };
    /// `{PAYLOAD_EXIT, From, To}`; the payload is the reason.
    PAYLOAD_EXIT = 24, arity 3, payload => PayloadExit { from: Pid, to: Pid };
    /// `{PAYLOAD_EXIT_TT, From, To, Token}`; the payload is the reason.
    PAYLOAD_EXIT_TT = 25, arity 4, payload => PayloadExitTt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
    };
    /// `{PAYLOAD_EXIT2, From, To}`; the payload is the reason.
    PAYLOAD_EXIT2 = 26, arity 3, payload => PayloadExit2 { from: Pid, to: Pid };
    /// `{PAYLOAD_EXIT2_TT, From, To, Token}`; the payload is the reason.
    PAYLOAD_EXIT2_TT = 27, arity 4, payload => PayloadExit2Tt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
    };
    /// `{PAYLOAD_MONITOR_P_EXIT, PidOrName, To, Ref}`; the payload is the reason.
    PAYLOAD_MONITOR_P_EXIT = 28, arity 4, payload => PayloadMonitorPExit {
        target: ProcessRef,
        to: Pid,
        reference: Reference,
    };
    /// `{SPAWN_REQUEST, ReqId, From, GroupLeader, {M, F, Arity}, Opts}`; the payload is the
    /// argument list.
    SPAWN_REQUEST = 29, arity 6, payload => SpawnRequest(Box<SpawnRequestFields>);
    /// `{SPAWN_REQUEST_TT, ReqId, From, GroupLeader, {M, F, Arity}, Opts, Token}`; the payload
    /// is the argument list.
    SPAWN_REQUEST_TT = 30, arity 7, payload => SpawnRequestTt(Box<SpawnRequestFields>, Box<Term>);
    /// `{SPAWN_REPLY, ReqId, To, Flags, Result}`: Result is the new pid or an error atom.
    SPAWN_REPLY = 31, arity 5 => SpawnReply {
        req_id: Reference,
        to: Pid,
        flags: u8,
        result: Box<Term>,
    };
    /// `{SPAWN_REPLY_TT, ReqId, To, Flags, Result, Token}`.
    SPAWN_REPLY_TT = 32, arity 6 => SpawnReplyTt {
        req_id: Reference,
        to: Pid,
        flags: u8,
        result: Box<Term>,
        token: Box<Term>,
    };
    /// `{ALIAS_SEND, From, Alias}`.
    ALIAS_SEND = 33, arity 3, payload => AliasSend { from: Pid, alias: Reference };
    /// `{ALIAS_SEND_TT, From, Alias, Token}`.
    ALIAS_SEND_TT = 34, arity 4, payload => AliasSendTt {
        from: Pid,
        alias: Reference,
        token: Box<Term>,
    };
    /// `{UNLINK_ID, Id, From, To}`.
    UNLINK_ID = 35, arity 4 => UnlinkId { id: u64, from: Pid, to: Pid };
    /// `{UNLINK_ID_ACK, Id, From, To}`.
    UNLINK_ID_ACK = 36, arity 4 => UnlinkIdAck { id: u64, from: Pid, to: Pid };
}

/// A `fmt::Write` that keeps at most `left` bytes (whole characters) and then refuses more,
/// so describing a huge hostile term costs little.
struct Bounded {
    text: String,
    left: usize,
}

impl std::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for c in s.chars() {
            if c.len_utf8() > self.left {
                return Err(std::fmt::Error);
            }
            self.left -= c.len_utf8();
            self.text.push(c);
        }
        Ok(())
    }
}

fn bad(what: &str, t: &Term) -> FrameError {
    use std::fmt::Write;
    let mut out = Bounded {
        text: format!("{what}: "),
        left: 200,
    };
    let _ = write!(out, "{t:?}");
    FrameError::BadControl(out.text)
}

impl ControlMessage {
    /// Writes the control tuple (no 131 prefix), part by part: no [`Term`] is built.
    pub fn encode<A: AtomEncoder + ?Sized>(
        &self,
        w: &mut TermWriter<'_, A>,
    ) -> Result<(), EncodeError> {
        use ControlMessage::*;
        // The '' atom the protocol puts where no sender or name is given.
        let empty = || Atom::new("");
        let process = |w: &mut TermWriter<'_, A>, target: &ProcessRef| match target {
            ProcessRef::Pid(p) => w.pid(p),
            ProcessRef::Name(a) => w.atom(a),
        };
        w.tuple(self.arity())?;
        w.int(i64::from(self.op()));
        match self {
            Link { from, to }
            | Unlink { from, to }
            | GroupLeader { from, to }
            | SendSender { from, to }
            | PayloadExit { from, to }
            | PayloadExit2 { from, to } => {
                w.pid(from)?;
                w.pid(to)
            }
            Send { to } => {
                w.atom(&empty())?;
                w.pid(to)
            }
            Exit { from, to, reason } | Exit2 { from, to, reason } => {
                w.pid(from)?;
                w.pid(to)?;
                w.term(reason)
            }
            NodeLink => Ok(()),
            RegSend { from, to_name } => {
                w.pid(from)?;
                w.atom(&empty())?;
                w.atom(to_name)
            }
            SendTt { to, token } => {
                w.atom(&empty())?;
                w.pid(to)?;
                w.term(token)
            }
            ExitTt {
                from,
                to,
                token,
                reason,
            }
            | Exit2Tt {
                from,
                to,
                token,
                reason,
            } => {
                w.pid(from)?;
                w.pid(to)?;
                w.term(token)?;
                w.term(reason)
            }
            RegSendTt {
                from,
                to_name,
                token,
            } => {
                w.pid(from)?;
                w.atom(&empty())?;
                w.atom(to_name)?;
                w.term(token)
            }
            MonitorP {
                from,
                target,
                reference,
            }
            | DemonitorP {
                from,
                target,
                reference,
            } => {
                w.pid(from)?;
                process(w, target)?;
                w.reference(reference)
            }
            MonitorPExit {
                target,
                to,
                reference,
                reason,
            } => {
                process(w, target)?;
                w.pid(to)?;
                w.reference(reference)?;
                w.term(reason)
            }
            SendSenderTt { from, to, token }
            | PayloadExitTt { from, to, token }
            | PayloadExit2Tt { from, to, token } => {
                w.pid(from)?;
                w.pid(to)?;
                w.term(token)
            }
            PayloadMonitorPExit {
                target,
                to,
                reference,
            } => {
                process(w, target)?;
                w.pid(to)?;
                w.reference(reference)
            }
            SpawnRequest(spawn) | SpawnRequestTt(spawn, _) => {
                let token = match self {
                    SpawnRequestTt(_, token) => Some(token),
                    _ => None,
                };
                w.reference(&spawn.req_id)?;
                w.pid(&spawn.from)?;
                w.pid(&spawn.group_leader)?;
                w.tuple(3)?;
                w.atom(&spawn.module)?;
                w.atom(&spawn.function)?;
                w.int(i64::from(spawn.arity));
                w.term(&spawn.opts)?;
                token.map_or(Ok(()), |t| w.term(t))
            }
            SpawnReply {
                req_id,
                to,
                flags,
                result,
            }
            | SpawnReplyTt {
                req_id,
                to,
                flags,
                result,
                ..
            } => {
                let token = match self {
                    SpawnReplyTt { token, .. } => Some(token),
                    _ => None,
                };
                w.reference(req_id)?;
                w.pid(to)?;
                w.int(i64::from(*flags));
                w.term(result)?;
                token.map_or(Ok(()), |t| w.term(t))
            }
            AliasSend { from, alias } => {
                w.pid(from)?;
                w.reference(alias)
            }
            AliasSendTt { from, alias, token } => {
                w.pid(from)?;
                w.reference(alias)?;
                w.term(token)
            }
            UnlinkId { id, from, to } | UnlinkIdAck { id, from, to } => {
                match i64::try_from(*id) {
                    Ok(v) => w.int(v),
                    Err(_) => w.term(&Term::bigint(BigInt::from(*id)))?,
                }
                w.pid(from)?;
                w.pid(to)
            }
        }
    }

    /// Reads a control tuple part by part (no [`Term`] is built for it) from the start of
    /// `input`; returns the message and the bytes it took. A well-formed term of the wrong
    /// shape is refused with a description of the whole term.
    pub fn decode<A: AtomDecoder + ?Sized>(
        input: &Bytes,
        atoms: &A,
    ) -> Result<(ControlMessage, usize), FrameError> {
        let mut r = TermReader::new(input, atoms);
        match read_control(&mut r) {
            Ok(msg) => Ok((msg, r.position())),
            Err(what) => Err(describe_bad(input, atoms, what)),
        }
    }
}

/// Why a control tuple was refused: the first field that was wrong.
type Shape<T> = Result<T, &'static str>;

/// The error for a refused control tuple: the term described, when the bytes are a term at
/// all (cold: only bad input gets here).
#[cold]
#[inline(never)]
fn describe_bad<A: AtomDecoder + ?Sized>(input: &Bytes, atoms: &A, what: &str) -> FrameError {
    match ergo_etf::decode_term_bytes(input, atoms) {
        Ok((t, _)) => bad(what, &t),
        Err(e) => FrameError::BadTerm {
            what: "control message",
            reason: e.to_string(),
        },
    }
}

/// The control tuple's fields, read in order.
struct Fields<'r, 'a, A: AtomDecoder + ?Sized>(&'r mut TermReader<'a, A>);

impl<A: AtomDecoder + ?Sized> Fields<'_, '_, A> {
    fn pid(&mut self) -> Shape<Pid> {
        self.0.pid().map_err(|_| "pid expected")
    }
    fn atom(&mut self) -> Shape<Atom> {
        self.0.atom().map_err(|_| "atom expected")
    }
    fn reference(&mut self) -> Shape<Reference> {
        self.0.reference().map_err(|_| "reference expected")
    }
    fn term(&mut self) -> Shape<Term> {
        self.0.term().map_err(|_| "term expected")
    }
    fn boxed(&mut self) -> Shape<Box<Term>> {
        self.term().map(Box::new)
    }
    /// A field the protocol fills with `''` and the receiver ignores.
    fn unused(&mut self) -> Shape<()> {
        self.term().map(drop)
    }
    fn process(&mut self) -> Shape<ProcessRef> {
        match self.term()? {
            Term::Pid(p) => Ok(ProcessRef::Pid(p)),
            Term::Atom(a) => Ok(ProcessRef::Name(a)),
            _ => Err("pid or name expected"),
        }
    }
    fn small(&mut self) -> Shape<u8> {
        let i = self.0.int().map_err(|_| "integer expected")?;
        u8::try_from(i).map_err(|_| "small integer expected")
    }
    fn u64(&mut self) -> Shape<u64> {
        match self.term()? {
            Term::Int(v) => u64::try_from(v).map_err(|_| "unsigned id expected"),
            Term::BigInt(b) => u64::try_from(&*b).map_err(|_| "64-bit id expected"),
            _ => Err("integer expected"),
        }
    }
    fn mfa(&mut self) -> Shape<(Atom, Atom, u8)> {
        if self.0.tuple() != Ok(3) {
            return Err("{M, F, A} expected");
        }
        Ok((self.atom()?, self.atom()?, self.small()?))
    }
}

/// Reads the fields of a control tuple in wire order (a struct expression evaluates its fields
/// in the order written, so each variant below lists them as they arrive).
fn read_control<A: AtomDecoder + ?Sized>(r: &mut TermReader<'_, A>) -> Shape<ControlMessage> {
    use ControlMessage::*;
    let arity = r.tuple().map_err(|_| "not a tuple")?;
    if arity == 0 {
        return Err("no operation");
    }
    let mut f = Fields(r);
    let number = f.small().map_err(|_| "no operation")?;
    match arity_of(number) {
        None => return Err("unknown operation"),
        Some(n) if n != arity => return Err("wrong arity"),
        Some(_) => {}
    }
    let msg = match number {
        op::LINK => Link {
            from: f.pid()?,
            to: f.pid()?,
        },
        op::SEND => {
            f.unused()?;
            Send { to: f.pid()? }
        }
        op::EXIT => Exit {
            from: f.pid()?,
            to: f.pid()?,
            reason: f.term()?,
        },
        op::UNLINK => Unlink {
            from: f.pid()?,
            to: f.pid()?,
        },
        op::NODE_LINK => NodeLink,
        op::REG_SEND => {
            let from = f.pid()?;
            f.unused()?;
            RegSend {
                from,
                to_name: f.atom()?,
            }
        }
        op::GROUP_LEADER => GroupLeader {
            from: f.pid()?,
            to: f.pid()?,
        },
        op::EXIT2 => Exit2 {
            from: f.pid()?,
            to: f.pid()?,
            reason: f.term()?,
        },
        op::SEND_TT => {
            f.unused()?;
            SendTt {
                to: f.pid()?,
                token: f.boxed()?,
            }
        }
        op::EXIT_TT => ExitTt {
            from: f.pid()?,
            to: f.pid()?,
            token: f.boxed()?,
            reason: f.boxed()?,
        },
        op::REG_SEND_TT => {
            let from = f.pid()?;
            f.unused()?;
            RegSendTt {
                from,
                to_name: f.atom()?,
                token: f.boxed()?,
            }
        }
        op::EXIT2_TT => Exit2Tt {
            from: f.pid()?,
            to: f.pid()?,
            token: f.boxed()?,
            reason: f.boxed()?,
        },
        op::MONITOR_P => MonitorP {
            from: f.pid()?,
            target: f.process()?,
            reference: f.reference()?,
        },
        op::DEMONITOR_P => DemonitorP {
            from: f.pid()?,
            target: f.process()?,
            reference: f.reference()?,
        },
        op::MONITOR_P_EXIT => MonitorPExit {
            target: f.process()?,
            to: f.pid()?,
            reference: f.reference()?,
            reason: f.boxed()?,
        },
        op::SEND_SENDER => SendSender {
            from: f.pid()?,
            to: f.pid()?,
        },
        op::SEND_SENDER_TT => SendSenderTt {
            from: f.pid()?,
            to: f.pid()?,
            token: f.boxed()?,
        },
        op::PAYLOAD_EXIT => PayloadExit {
            from: f.pid()?,
            to: f.pid()?,
        },
        op::PAYLOAD_EXIT_TT => PayloadExitTt {
            from: f.pid()?,
            to: f.pid()?,
            token: f.boxed()?,
        },
        op::PAYLOAD_EXIT2 => PayloadExit2 {
            from: f.pid()?,
            to: f.pid()?,
        },
        op::PAYLOAD_EXIT2_TT => PayloadExit2Tt {
            from: f.pid()?,
            to: f.pid()?,
            token: f.boxed()?,
        },
        op::PAYLOAD_MONITOR_P_EXIT => PayloadMonitorPExit {
            target: f.process()?,
            to: f.pid()?,
            reference: f.reference()?,
        },
        op::SPAWN_REQUEST | op::SPAWN_REQUEST_TT => {
            let req_id = f.reference()?;
            let from = f.pid()?;
            let group_leader = f.pid()?;
            let (module, function, arity) = f.mfa()?;
            let spawn = Box::new(SpawnRequestFields {
                req_id,
                from,
                group_leader,
                module,
                function,
                arity,
                opts: f.term()?,
            });
            if number == op::SPAWN_REQUEST {
                SpawnRequest(spawn)
            } else {
                SpawnRequestTt(spawn, f.boxed()?)
            }
        }
        op::SPAWN_REPLY => SpawnReply {
            req_id: f.reference()?,
            to: f.pid()?,
            flags: f.small()?,
            result: f.boxed()?,
        },
        op::SPAWN_REPLY_TT => SpawnReplyTt {
            req_id: f.reference()?,
            to: f.pid()?,
            flags: f.small()?,
            result: f.boxed()?,
            token: f.boxed()?,
        },
        op::ALIAS_SEND => AliasSend {
            from: f.pid()?,
            alias: f.reference()?,
        },
        op::ALIAS_SEND_TT => AliasSendTt {
            from: f.pid()?,
            alias: f.reference()?,
            token: f.boxed()?,
        },
        op::UNLINK_ID => UnlinkId {
            id: f.u64()?,
            from: f.pid()?,
            to: f.pid()?,
        },
        op::UNLINK_ID_ACK => UnlinkIdAck {
            id: f.u64()?,
            from: f.pid()?,
            to: f.pid()?,
        },
        // arity_of refused every other number above.
        _ => return Err("unknown operation"),
    };
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::DistFlags;
    use ergo_etf::NoAtomCache;

    fn encoded(m: &ControlMessage) -> Bytes {
        let mut out = Vec::new();
        ergo_etf::write_term(&mut out, &mut NoAtomCache, |w| m.encode(w)).unwrap();
        Bytes::from(out)
    }

    /// A control tuple given as a term, decoded from its bytes.
    fn decode_term(t: &Term) -> Result<ControlMessage, FrameError> {
        let bytes = Bytes::from(ergo_etf::to_bytes(t).unwrap()).slice(1..);
        ControlMessage::decode(&bytes, &NoAtomCache).map(|(m, _)| m)
    }

    fn pid(n: u32) -> Pid {
        Pid {
            node: Atom::new("n@h"),
            id: n,
            serial: 0,
            creation: 1,
        }
    }
    fn reference() -> Reference {
        Reference {
            node: Atom::new("n@h"),
            creation: 1,
            ids: ergo_etf::RefIds::from([1, 2, 3]),
        }
    }

    /// One message of every operation.
    fn every_message() -> Vec<ControlMessage> {
        use ControlMessage::*;
        let tok = Box::new(Term::atom("tok"));
        vec![
            Link {
                from: pid(1),
                to: pid(2),
            },
            Send { to: pid(2) },
            Exit {
                from: pid(1),
                to: pid(2),
                reason: Term::atom("normal"),
            },
            Unlink {
                from: pid(1),
                to: pid(2),
            },
            NodeLink,
            RegSend {
                from: pid(1),
                to_name: Atom::new("net_kernel"),
            },
            GroupLeader {
                from: pid(1),
                to: pid(2),
            },
            Exit2 {
                from: pid(1),
                to: pid(2),
                reason: Term::atom("kill"),
            },
            SendTt {
                to: pid(2),
                token: tok.clone(),
            },
            ExitTt {
                from: pid(1),
                to: pid(2),
                token: tok.clone(),
                reason: Box::new(Term::Int(1)),
            },
            RegSendTt {
                from: pid(1),
                to_name: Atom::new("x"),
                token: tok.clone(),
            },
            Exit2Tt {
                from: pid(1),
                to: pid(2),
                token: tok.clone(),
                reason: Box::new(Term::Int(1)),
            },
            MonitorP {
                from: pid(1),
                target: ProcessRef::Name(Atom::new("x")),
                reference: reference(),
            },
            DemonitorP {
                from: pid(1),
                target: ProcessRef::Pid(pid(3)),
                reference: reference(),
            },
            MonitorPExit {
                target: ProcessRef::Pid(pid(3)),
                to: pid(1),
                reference: reference(),
                reason: Box::new(Term::atom("noproc")),
            },
            SendSender {
                from: pid(1),
                to: pid(2),
            },
            SendSenderTt {
                from: pid(1),
                to: pid(2),
                token: tok.clone(),
            },
            PayloadExit {
                from: pid(1),
                to: pid(2),
            },
            PayloadExitTt {
                from: pid(1),
                to: pid(2),
                token: tok.clone(),
            },
            PayloadExit2 {
                from: pid(1),
                to: pid(2),
            },
            PayloadExit2Tt {
                from: pid(1),
                to: pid(2),
                token: tok.clone(),
            },
            PayloadMonitorPExit {
                target: ProcessRef::Name(Atom::new("x")),
                to: pid(1),
                reference: reference(),
            },
            SpawnRequest(Box::new(SpawnRequestFields {
                req_id: reference(),
                from: pid(1),
                group_leader: pid(2),
                module: Atom::new("erpc"),
                function: Atom::new("execute_call"),
                arity: 4,
                opts: Term::nil(),
            })),
            SpawnRequestTt(
                Box::new(SpawnRequestFields {
                    req_id: reference(),
                    from: pid(1),
                    group_leader: pid(2),
                    module: Atom::new("m"),
                    function: Atom::new("f"),
                    arity: 0,
                    opts: Term::nil(),
                }),
                tok.clone(),
            ),
            SpawnReply {
                req_id: reference(),
                to: pid(1),
                flags: 2,
                result: Box::new(Term::Pid(pid(9))),
            },
            SpawnReplyTt {
                req_id: reference(),
                to: pid(1),
                flags: 0,
                result: Box::new(Term::atom("notsup")),
                token: tok.clone(),
            },
            AliasSend {
                from: pid(1),
                alias: reference(),
            },
            AliasSendTt {
                from: pid(1),
                alias: reference(),
                token: tok,
            },
            UnlinkId {
                id: u64::MAX,
                from: pid(1),
                to: pid(2),
            },
            UnlinkIdAck {
                id: 7,
                from: pid(1),
                to: pid(2),
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        let all = every_message();
        assert_eq!(all.len(), 30);
        for m in all {
            let mut bytes = encoded(&m).to_vec();
            bytes.extend_from_slice(b"payload");
            let bytes = Bytes::from(bytes);
            let (back, used) = ControlMessage::decode(&bytes, &NoAtomCache).unwrap();
            assert_eq!(back, m);
            assert_eq!(&bytes[used..], b"payload");
            // The bytes are a tuple led by the operation number.
            let (t, _) = ergo_etf::decode_term_bytes(&bytes, &NoAtomCache).unwrap();
            assert_eq!(
                t.as_tuple().map(|e| e[0].clone()),
                Some(Term::Int(i64::from(m.op())))
            );
        }
    }

    /// The table gives each operation OTP's number, arity and payload flag, and decoding
    /// maps the numbers back to the same arity.
    #[test]
    fn the_op_table_matches_the_protocol() {
        let ops: Vec<u8> = every_message().iter().map(ControlMessage::op).collect();
        let expected: Vec<u8> = (1..=8).chain([12, 13, 16, 18]).chain(19..=36).collect();
        assert_eq!(ops, expected);
        for m in every_message() {
            let payload = matches!(m.op(), 2 | 6 | 12 | 16 | 22..=30 | 33 | 34);
            assert_eq!(m.has_payload(), payload, "{m:?}");
            assert_eq!(arity_of(m.op()), Some(m.arity()), "{m:?}");
        }
        assert_eq!(
            (op::LINK, op::REG_SEND, op::SPAWN_REQUEST, op::UNLINK_ID_ACK),
            (1, 6, 29, 36)
        );
        for unknown in [0, 9, 10, 11, 14, 15, 17, 37, 255] {
            assert_eq!(arity_of(unknown), None, "op {unknown}");
        }
    }

    /// Fuzz finding: a bad control tuple whose description was cut inside a multi-byte
    /// character panicked (`String::truncate` off a char boundary).
    #[test]
    fn describing_bad_control_never_splits_a_character() {
        let crash: &[u8] = &[
            0x83, 0x44, 0x00, 0x68, 0x04, 0x61, 0x06, 0x58, 0x64, 0x00, 0x0d, 0x92, 0x90, 0x91,
            0x90, 0x97, 0xbf, 0x9b, 0x96, 0x6f, 0x65, 0x6f, 0x73, 0x74, 0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0xff, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x65, 0x64, 0x00,
            0x04, 0xfa, 0xfe, 0xee, 0xf3, 0xe3, 0x68, 0x6f, 0x68, 0x04, 0x64, 0x00, 0x05, 0x68,
            0x9a, 0x6c, 0x6c, 0x6f, 0x6b, 0x00, 0x07, 0x01, 0x02, 0x03, 0x6d, 0x00, 0x5d, 0x00,
            0x2f, 0x70, 0x83, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88,
            0x88,
        ];
        let mut decoder =
            crate::dist::FrameDecoder::new(DistFlags::IMPLEMENTED, &Default::default());
        assert!(decoder
            .decode(bytes::Bytes::copy_from_slice(crash))
            .is_err());
        // And directly: multi-byte characters right at the cut.
        for pad in 0..8 {
            let t = Term::tuple(vec![
                Term::Int(99),
                Term::atom(&format!("{}{}", "x".repeat(pad), "é".repeat(150))),
            ]);
            match decode_term(&t) {
                Err(FrameError::BadControl(text)) => assert!(text.len() <= 230, "{}", text.len()),
                other => panic!("{other:?}"),
            }
        }
    }

    /// Messages are moved several times between the socket and their process: the enum stays
    /// small by boxing its rare, large parts.
    #[test]
    fn control_messages_stay_small() {
        assert!(std::mem::size_of::<ControlMessage>() <= 128);
    }

    #[test]
    fn malformed_control_refused() {
        let refused = [
            Term::atom("x"),
            Term::tuple(vec![]),
            Term::tuple(vec![Term::Int(99)]),
            Term::tuple(vec![Term::Int(1), Term::Int(2)]),
            Term::tuple(vec![Term::Int(2), Term::atom(""), Term::Int(1)]),
            Term::tuple(vec![
                Term::Int(35),
                Term::Int(-1),
                Term::Pid(pid(1)),
                Term::Pid(pid(2)),
            ]),
            // MONITOR_P with a binary where the pid or name goes.
            Term::tuple(vec![
                Term::Int(19),
                Term::Pid(pid(1)),
                Term::binary(&b"x"[..]),
                Term::Reference(reference()),
            ]),
        ];
        for t in refused {
            match decode_term(&t) {
                Err(FrameError::BadControl(text)) => assert!(text.contains(&format!("{t:?}"))),
                other => panic!("{t:?}: {other:?}"),
            }
        }
        // Bytes that are no term at all: the decoder's error.
        let cut = encoded(&ControlMessage::SendSender {
            from: pid(1),
            to: pid(2),
        });
        let cut = cut.slice(..cut.len() - 1);
        assert!(matches!(
            ControlMessage::decode(&cut, &NoAtomCache),
            Err(FrameError::BadTerm { .. })
        ));
    }
}
