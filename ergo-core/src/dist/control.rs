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

/// A distribution control message. Variants marked "+ payload" are followed by a payload term.
///
/// Rare, large parts (trace tokens, exit reasons beside a token or a reference, spawn requests
/// and replies) are boxed, so the enum stays at 128 bytes: every message is moved several times
/// between the socket and its process.
#[allow(missing_docs)] // fields are named as in the OTP protocol documentation
#[derive(Clone, Debug, PartialEq)]
pub enum ControlMessage {
    /// `{1, From, To}`.
    Link { from: Pid, to: Pid },
    /// `{2, '', To}` + payload.
    Send { to: Pid },
    /// `{3, From, To, Reason}`.
    Exit { from: Pid, to: Pid, reason: Term },
    /// `{4, From, To}` (old unlink).
    Unlink { from: Pid, to: Pid },
    /// `{5}`.
    NodeLink,
    /// `{6, From, '', ToName}` + payload.
    RegSend { from: Pid, to_name: Atom },
    /// `{7, From, To}`.
    GroupLeader { from: Pid, to: Pid },
    /// `{8, From, To, Reason}`.
    Exit2 { from: Pid, to: Pid, reason: Term },
    /// `{12, '', To, Token}` + payload.
    SendTt { to: Pid, token: Box<Term> },
    /// `{13, From, To, Token, Reason}`.
    ExitTt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
        reason: Box<Term>,
    },
    /// `{16, From, '', ToName, Token}` + payload.
    RegSendTt {
        from: Pid,
        to_name: Atom,
        token: Box<Term>,
    },
    /// `{18, From, To, Token, Reason}`.
    Exit2Tt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
        reason: Box<Term>,
    },
    /// `{19, From, PidOrName, Ref}`.
    MonitorP {
        from: Pid,
        target: ProcessRef,
        reference: Reference,
    },
    /// `{20, From, PidOrName, Ref}`.
    DemonitorP {
        from: Pid,
        target: ProcessRef,
        reference: Reference,
    },
    /// `{21, PidOrName, To, Ref, Reason}`.
    MonitorPExit {
        target: ProcessRef,
        to: Pid,
        reference: Reference,
        reason: Box<Term>,
    },
    /// `{22, From, To}` + payload.
    SendSender { from: Pid, to: Pid },
    /// `{23, From, To, Token}` + payload.
    SendSenderTt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
    },
    /// `{24, From, To}` + reason payload.
    PayloadExit { from: Pid, to: Pid },
    /// `{25, From, To, Token}` + reason payload.
    PayloadExitTt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
    },
    /// `{26, From, To}` + reason payload.
    PayloadExit2 { from: Pid, to: Pid },
    /// `{27, From, To, Token}` + reason payload.
    PayloadExit2Tt {
        from: Pid,
        to: Pid,
        token: Box<Term>,
    },
    /// `{28, PidOrName, To, Ref}` + reason payload.
    PayloadMonitorPExit {
        target: ProcessRef,
        to: Pid,
        reference: Reference,
    },
    /// `{29, ReqId, From, GroupLeader, {M, F, Arity}, Opts}` + argument list payload.
    SpawnRequest(Box<SpawnRequestFields>),
    /// `{30, ReqId, From, GroupLeader, {M, F, Arity}, Opts, Token}` + argument list payload.
    SpawnRequestTt(Box<SpawnRequestFields>, Box<Term>),
    /// `{31, ReqId, To, Flags, Result}`: Result is the new pid or an error atom.
    SpawnReply {
        req_id: Reference,
        to: Pid,
        flags: u8,
        result: Box<Term>,
    },
    /// `{32, ReqId, To, Flags, Result, Token}`.
    SpawnReplyTt {
        req_id: Reference,
        to: Pid,
        flags: u8,
        result: Box<Term>,
        token: Box<Term>,
    },
    /// `{33, From, Alias}` + payload.
    AliasSend { from: Pid, alias: Reference },
    /// `{34, From, Alias, Token}` + payload.
    AliasSendTt {
        from: Pid,
        alias: Reference,
        token: Box<Term>,
    },
    /// `{35, Id, From, To}`.
    UnlinkId { id: u64, from: Pid, to: Pid },
    /// `{36, Id, From, To}`.
    UnlinkIdAck { id: u64, from: Pid, to: Pid },
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
    /// The operation number.
    pub fn op(&self) -> u8 {
        use ControlMessage::*;
        match self {
            Link { .. } => 1,
            Send { .. } => 2,
            Exit { .. } => 3,
            Unlink { .. } => 4,
            NodeLink => 5,
            RegSend { .. } => 6,
            GroupLeader { .. } => 7,
            Exit2 { .. } => 8,
            SendTt { .. } => 12,
            ExitTt { .. } => 13,
            RegSendTt { .. } => 16,
            Exit2Tt { .. } => 18,
            MonitorP { .. } => 19,
            DemonitorP { .. } => 20,
            MonitorPExit { .. } => 21,
            SendSender { .. } => 22,
            SendSenderTt { .. } => 23,
            PayloadExit { .. } => 24,
            PayloadExitTt { .. } => 25,
            PayloadExit2 { .. } => 26,
            PayloadExit2Tt { .. } => 27,
            PayloadMonitorPExit { .. } => 28,
            SpawnRequest(_) => 29,
            SpawnRequestTt(..) => 30,
            SpawnReply { .. } => 31,
            SpawnReplyTt { .. } => 32,
            AliasSend { .. } => 33,
            AliasSendTt { .. } => 34,
            UnlinkId { .. } => 35,
            UnlinkIdAck { .. } => 36,
        }
    }

    /// Whether a payload term follows this control message.
    pub fn has_payload(&self) -> bool {
        matches!(self.op(), 2 | 6 | 12 | 16 | 22..=30 | 33 | 34)
    }

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
        let head = |w: &mut TermWriter<'_, A>, arity: usize| {
            w.tuple(arity)?;
            w.int(i64::from(self.op()));
            Ok::<(), EncodeError>(())
        };
        match self {
            Link { from, to }
            | Unlink { from, to }
            | GroupLeader { from, to }
            | SendSender { from, to }
            | PayloadExit { from, to }
            | PayloadExit2 { from, to } => {
                head(w, 3)?;
                w.pid(from)?;
                w.pid(to)
            }
            Send { to } => {
                head(w, 3)?;
                w.atom(&empty())?;
                w.pid(to)
            }
            Exit { from, to, reason } | Exit2 { from, to, reason } => {
                head(w, 4)?;
                w.pid(from)?;
                w.pid(to)?;
                w.term(reason)
            }
            NodeLink => head(w, 1),
            RegSend { from, to_name } => {
                head(w, 4)?;
                w.pid(from)?;
                w.atom(&empty())?;
                w.atom(to_name)
            }
            SendTt { to, token } => {
                head(w, 4)?;
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
                head(w, 5)?;
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
                head(w, 5)?;
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
                head(w, 4)?;
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
                head(w, 5)?;
                process(w, target)?;
                w.pid(to)?;
                w.reference(reference)?;
                w.term(reason)
            }
            SendSenderTt { from, to, token }
            | PayloadExitTt { from, to, token }
            | PayloadExit2Tt { from, to, token } => {
                head(w, 4)?;
                w.pid(from)?;
                w.pid(to)?;
                w.term(token)
            }
            PayloadMonitorPExit {
                target,
                to,
                reference,
            } => {
                head(w, 4)?;
                process(w, target)?;
                w.pid(to)?;
                w.reference(reference)
            }
            SpawnRequest(spawn) | SpawnRequestTt(spawn, _) => {
                let token = match self {
                    SpawnRequestTt(_, token) => Some(token),
                    _ => None,
                };
                head(w, if token.is_some() { 7 } else { 6 })?;
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
                head(w, if token.is_some() { 6 } else { 5 })?;
                w.reference(req_id)?;
                w.pid(to)?;
                w.int(i64::from(*flags));
                w.term(result)?;
                token.map_or(Ok(()), |t| w.term(t))
            }
            AliasSend { from, alias } => {
                head(w, 3)?;
                w.pid(from)?;
                w.reference(alias)
            }
            AliasSendTt { from, alias, token } => {
                head(w, 4)?;
                w.pid(from)?;
                w.reference(alias)?;
                w.term(token)
            }
            UnlinkId { id, from, to } | UnlinkIdAck { id, from, to } => {
                head(w, 4)?;
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
    let op = f.small().map_err(|_| "no operation")?;
    let want = |n: usize| {
        if arity == n {
            Ok(())
        } else {
            Err("wrong arity")
        }
    };
    let msg = match op {
        1 => {
            want(3)?;
            Link {
                from: f.pid()?,
                to: f.pid()?,
            }
        }
        2 => {
            want(3)?;
            f.unused()?;
            Send { to: f.pid()? }
        }
        3 => {
            want(4)?;
            Exit {
                from: f.pid()?,
                to: f.pid()?,
                reason: f.term()?,
            }
        }
        4 => {
            want(3)?;
            Unlink {
                from: f.pid()?,
                to: f.pid()?,
            }
        }
        5 => {
            want(1)?;
            NodeLink
        }
        6 => {
            want(4)?;
            let from = f.pid()?;
            f.unused()?;
            RegSend {
                from,
                to_name: f.atom()?,
            }
        }
        7 => {
            want(3)?;
            GroupLeader {
                from: f.pid()?,
                to: f.pid()?,
            }
        }
        8 => {
            want(4)?;
            Exit2 {
                from: f.pid()?,
                to: f.pid()?,
                reason: f.term()?,
            }
        }
        12 => {
            want(4)?;
            f.unused()?;
            SendTt {
                to: f.pid()?,
                token: f.boxed()?,
            }
        }
        13 => {
            want(5)?;
            ExitTt {
                from: f.pid()?,
                to: f.pid()?,
                token: f.boxed()?,
                reason: f.boxed()?,
            }
        }
        16 => {
            want(5)?;
            let from = f.pid()?;
            f.unused()?;
            RegSendTt {
                from,
                to_name: f.atom()?,
                token: f.boxed()?,
            }
        }
        18 => {
            want(5)?;
            Exit2Tt {
                from: f.pid()?,
                to: f.pid()?,
                token: f.boxed()?,
                reason: f.boxed()?,
            }
        }
        19 => {
            want(4)?;
            MonitorP {
                from: f.pid()?,
                target: f.process()?,
                reference: f.reference()?,
            }
        }
        20 => {
            want(4)?;
            DemonitorP {
                from: f.pid()?,
                target: f.process()?,
                reference: f.reference()?,
            }
        }
        21 => {
            want(5)?;
            MonitorPExit {
                target: f.process()?,
                to: f.pid()?,
                reference: f.reference()?,
                reason: f.boxed()?,
            }
        }
        22 => {
            want(3)?;
            SendSender {
                from: f.pid()?,
                to: f.pid()?,
            }
        }
        23 => {
            want(4)?;
            SendSenderTt {
                from: f.pid()?,
                to: f.pid()?,
                token: f.boxed()?,
            }
        }
        24 => {
            want(3)?;
            PayloadExit {
                from: f.pid()?,
                to: f.pid()?,
            }
        }
        25 => {
            want(4)?;
            PayloadExitTt {
                from: f.pid()?,
                to: f.pid()?,
                token: f.boxed()?,
            }
        }
        26 => {
            want(3)?;
            PayloadExit2 {
                from: f.pid()?,
                to: f.pid()?,
            }
        }
        27 => {
            want(4)?;
            PayloadExit2Tt {
                from: f.pid()?,
                to: f.pid()?,
                token: f.boxed()?,
            }
        }
        28 => {
            want(4)?;
            PayloadMonitorPExit {
                target: f.process()?,
                to: f.pid()?,
                reference: f.reference()?,
            }
        }
        29 | 30 => {
            want(if op == 29 { 6 } else { 7 })?;
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
            if op == 29 {
                SpawnRequest(spawn)
            } else {
                SpawnRequestTt(spawn, f.boxed()?)
            }
        }
        31 => {
            want(5)?;
            SpawnReply {
                req_id: f.reference()?,
                to: f.pid()?,
                flags: f.small()?,
                result: f.boxed()?,
            }
        }
        32 => {
            want(6)?;
            SpawnReplyTt {
                req_id: f.reference()?,
                to: f.pid()?,
                flags: f.small()?,
                result: f.boxed()?,
                token: f.boxed()?,
            }
        }
        33 => {
            want(3)?;
            AliasSend {
                from: f.pid()?,
                alias: f.reference()?,
            }
        }
        34 => {
            want(4)?;
            AliasSendTt {
                from: f.pid()?,
                alias: f.reference()?,
                token: f.boxed()?,
            }
        }
        35 => {
            want(4)?;
            UnlinkId {
                id: f.u64()?,
                from: f.pid()?,
                to: f.pid()?,
            }
        }
        36 => {
            want(4)?;
            UnlinkIdAck {
                id: f.u64()?,
                from: f.pid()?,
                to: f.pid()?,
            }
        }
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

    #[test]
    fn every_message_round_trips() {
        use ControlMessage::*;
        let tok = Box::new(Term::atom("tok"));
        let all = vec![
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
        ];
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
