//! Every distribution control message as a typed enum, with conversion to and from the control
//! tuple, and whether a payload term follows it.
//!
//! Owns the control tuples only; it must not touch framing, the atom cache or sockets. Trace
//! tokens of the `*_TT` forms are kept as terms and otherwise ignored.

use ergo_etf::{Atom, Pid, Reference, Term};
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

impl ProcessRef {
    fn to_term(&self) -> Term {
        match self {
            ProcessRef::Pid(p) => Term::Pid(p.clone()),
            ProcessRef::Name(a) => Term::Atom(a.clone()),
        }
    }
}

/// A distribution control message. Variants marked "+ payload" are followed by a payload term.
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
    SendTt { to: Pid, token: Term },
    /// `{13, From, To, Token, Reason}`.
    ExitTt {
        from: Pid,
        to: Pid,
        token: Term,
        reason: Term,
    },
    /// `{16, From, '', ToName, Token}` + payload.
    RegSendTt {
        from: Pid,
        to_name: Atom,
        token: Term,
    },
    /// `{18, From, To, Token, Reason}`.
    Exit2Tt {
        from: Pid,
        to: Pid,
        token: Term,
        reason: Term,
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
        reason: Term,
    },
    /// `{22, From, To}` + payload.
    SendSender { from: Pid, to: Pid },
    /// `{23, From, To, Token}` + payload.
    SendSenderTt { from: Pid, to: Pid, token: Term },
    /// `{24, From, To}` + reason payload.
    PayloadExit { from: Pid, to: Pid },
    /// `{25, From, To, Token}` + reason payload.
    PayloadExitTt { from: Pid, to: Pid, token: Term },
    /// `{26, From, To}` + reason payload.
    PayloadExit2 { from: Pid, to: Pid },
    /// `{27, From, To, Token}` + reason payload.
    PayloadExit2Tt { from: Pid, to: Pid, token: Term },
    /// `{28, PidOrName, To, Ref}` + reason payload.
    PayloadMonitorPExit {
        target: ProcessRef,
        to: Pid,
        reference: Reference,
    },
    /// `{29, ReqId, From, GroupLeader, {M, F, Arity}, Opts}` + argument list payload.
    SpawnRequest {
        req_id: Reference,
        from: Pid,
        group_leader: Pid,
        module: Atom,
        function: Atom,
        arity: u8,
        opts: Term,
    },
    /// `{30, ReqId, From, GroupLeader, {M, F, Arity}, Opts, Token}` + argument list payload.
    SpawnRequestTt {
        req_id: Reference,
        from: Pid,
        group_leader: Pid,
        module: Atom,
        function: Atom,
        arity: u8,
        opts: Term,
        token: Term,
    },
    /// `{31, ReqId, To, Flags, Result}`: Result is the new pid or an error atom.
    SpawnReply {
        req_id: Reference,
        to: Pid,
        flags: u8,
        result: Term,
    },
    /// `{32, ReqId, To, Flags, Result, Token}`.
    SpawnReplyTt {
        req_id: Reference,
        to: Pid,
        flags: u8,
        result: Term,
        token: Term,
    },
    /// `{33, From, Alias}` + payload.
    AliasSend { from: Pid, alias: Reference },
    /// `{34, From, Alias, Token}` + payload.
    AliasSendTt {
        from: Pid,
        alias: Reference,
        token: Term,
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

struct Fields<'a> {
    elems: &'a [Term],
    whole: &'a Term,
}

impl<'a> Fields<'a> {
    fn get(&self, i: usize) -> Result<&'a Term, FrameError> {
        self.elems
            .get(i)
            .ok_or_else(|| bad("too few elements", self.whole))
    }
    fn pid(&self, i: usize) -> Result<Pid, FrameError> {
        match self.get(i)? {
            Term::Pid(p) => Ok(p.clone()),
            _ => Err(bad("pid expected", self.whole)),
        }
    }
    fn atom(&self, i: usize) -> Result<Atom, FrameError> {
        match self.get(i)? {
            Term::Atom(a) => Ok(a.clone()),
            _ => Err(bad("atom expected", self.whole)),
        }
    }
    fn reference(&self, i: usize) -> Result<Reference, FrameError> {
        match self.get(i)? {
            Term::Reference(r) => Ok(r.clone()),
            _ => Err(bad("reference expected", self.whole)),
        }
    }
    fn process(&self, i: usize) -> Result<ProcessRef, FrameError> {
        match self.get(i)? {
            Term::Pid(p) => Ok(ProcessRef::Pid(p.clone())),
            Term::Atom(a) => Ok(ProcessRef::Name(a.clone())),
            _ => Err(bad("pid or name expected", self.whole)),
        }
    }
    fn term(&self, i: usize) -> Result<Term, FrameError> {
        self.get(i).cloned()
    }
    fn small(&self, i: usize) -> Result<u8, FrameError> {
        match self.get(i)? {
            Term::Int(v) => u8::try_from(*v).map_err(|_| bad("small integer expected", self.whole)),
            _ => Err(bad("integer expected", self.whole)),
        }
    }
    fn u64(&self, i: usize) -> Result<u64, FrameError> {
        match self.get(i)? {
            Term::Int(v) => u64::try_from(*v).map_err(|_| bad("unsigned id expected", self.whole)),
            Term::BigInt(b) => {
                u64::try_from(&**b).map_err(|_| bad("64-bit id expected", self.whole))
            }
            _ => Err(bad("integer expected", self.whole)),
        }
    }
    fn mfa(&self, i: usize) -> Result<(Atom, Atom, u8), FrameError> {
        match self.get(i)? {
            Term::Tuple(t) if t.len() == 3 => {
                let f = Fields {
                    elems: t,
                    whole: self.whole,
                };
                Ok((f.atom(0)?, f.atom(1)?, f.small(2)?))
            }
            _ => Err(bad("{M, F, A} expected", self.whole)),
        }
    }
}

fn id_term(id: u64) -> Term {
    match i64::try_from(id) {
        Ok(v) => Term::Int(v),
        Err(_) => Term::bigint(BigInt::from(id)),
    }
}

fn empty() -> Term {
    Term::atom("")
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
            SpawnRequest { .. } => 29,
            SpawnRequestTt { .. } => 30,
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

    /// The control tuple.
    pub fn to_term(&self) -> Term {
        use ControlMessage::*;
        let op = Term::Int(i64::from(self.op()));
        let p = |p: &Pid| Term::Pid(p.clone());
        let r = |r: &Reference| Term::Reference(r.clone());
        let a = |a: &Atom| Term::Atom(a.clone());
        let elems = match self {
            Link { from, to }
            | Unlink { from, to }
            | GroupLeader { from, to }
            | SendSender { from, to }
            | PayloadExit { from, to }
            | PayloadExit2 { from, to } => vec![op, p(from), p(to)],
            Send { to } => vec![op, empty(), p(to)],
            Exit { from, to, reason } | Exit2 { from, to, reason } => {
                vec![op, p(from), p(to), reason.clone()]
            }
            NodeLink => vec![op],
            RegSend { from, to_name } => vec![op, p(from), empty(), a(to_name)],
            SendTt { to, token } => vec![op, empty(), p(to), token.clone()],
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
                vec![op, p(from), p(to), token.clone(), reason.clone()]
            }
            RegSendTt {
                from,
                to_name,
                token,
            } => vec![op, p(from), empty(), a(to_name), token.clone()],
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
                vec![op, p(from), target.to_term(), r(reference)]
            }
            MonitorPExit {
                target,
                to,
                reference,
                reason,
            } => {
                vec![op, target.to_term(), p(to), r(reference), reason.clone()]
            }
            SendSenderTt { from, to, token }
            | PayloadExitTt { from, to, token }
            | PayloadExit2Tt { from, to, token } => {
                vec![op, p(from), p(to), token.clone()]
            }
            PayloadMonitorPExit {
                target,
                to,
                reference,
            } => vec![op, target.to_term(), p(to), r(reference)],
            SpawnRequest {
                req_id,
                from,
                group_leader,
                module,
                function,
                arity,
                opts,
            } => vec![
                op,
                r(req_id),
                p(from),
                p(group_leader),
                Term::tuple(vec![a(module), a(function), Term::Int(i64::from(*arity))]),
                opts.clone(),
            ],
            SpawnRequestTt {
                req_id,
                from,
                group_leader,
                module,
                function,
                arity,
                opts,
                token,
            } => vec![
                op,
                r(req_id),
                p(from),
                p(group_leader),
                Term::tuple(vec![a(module), a(function), Term::Int(i64::from(*arity))]),
                opts.clone(),
                token.clone(),
            ],
            SpawnReply {
                req_id,
                to,
                flags,
                result,
            } => {
                vec![
                    op,
                    r(req_id),
                    p(to),
                    Term::Int(i64::from(*flags)),
                    result.clone(),
                ]
            }
            SpawnReplyTt {
                req_id,
                to,
                flags,
                result,
                token,
            } => {
                vec![
                    op,
                    r(req_id),
                    p(to),
                    Term::Int(i64::from(*flags)),
                    result.clone(),
                    token.clone(),
                ]
            }
            AliasSend { from, alias } => vec![op, p(from), r(alias)],
            AliasSendTt { from, alias, token } => vec![op, p(from), r(alias), token.clone()],
            UnlinkId { id, from, to } | UnlinkIdAck { id, from, to } => {
                vec![op, id_term(*id), p(from), p(to)]
            }
        };
        Term::Tuple(elems)
    }

    /// Parses a control tuple.
    pub fn from_term(term: &Term) -> Result<ControlMessage, FrameError> {
        use ControlMessage::*;
        let Term::Tuple(elems) = term else {
            return Err(bad("not a tuple", term));
        };
        let f = Fields { elems, whole: term };
        let op = f.small(0).map_err(|_| bad("no operation", term))?;
        let arity = elems.len();
        let want = |n: usize| -> Result<(), FrameError> {
            if arity == n {
                Ok(())
            } else {
                Err(bad("wrong arity", term))
            }
        };
        let msg = match op {
            1 => {
                want(3)?;
                Link {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                }
            }
            2 => {
                want(3)?;
                Send { to: f.pid(2)? }
            }
            3 => {
                want(4)?;
                Exit {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                    reason: f.term(3)?,
                }
            }
            4 => {
                want(3)?;
                Unlink {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                }
            }
            5 => {
                want(1)?;
                NodeLink
            }
            6 => {
                want(4)?;
                RegSend {
                    from: f.pid(1)?,
                    to_name: f.atom(3)?,
                }
            }
            7 => {
                want(3)?;
                GroupLeader {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                }
            }
            8 => {
                want(4)?;
                Exit2 {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                    reason: f.term(3)?,
                }
            }
            12 => {
                want(4)?;
                SendTt {
                    to: f.pid(2)?,
                    token: f.term(3)?,
                }
            }
            13 => {
                want(5)?;
                ExitTt {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                    token: f.term(3)?,
                    reason: f.term(4)?,
                }
            }
            16 => {
                want(5)?;
                RegSendTt {
                    from: f.pid(1)?,
                    to_name: f.atom(3)?,
                    token: f.term(4)?,
                }
            }
            18 => {
                want(5)?;
                Exit2Tt {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                    token: f.term(3)?,
                    reason: f.term(4)?,
                }
            }
            19 => {
                want(4)?;
                MonitorP {
                    from: f.pid(1)?,
                    target: f.process(2)?,
                    reference: f.reference(3)?,
                }
            }
            20 => {
                want(4)?;
                DemonitorP {
                    from: f.pid(1)?,
                    target: f.process(2)?,
                    reference: f.reference(3)?,
                }
            }
            21 => {
                want(5)?;
                MonitorPExit {
                    target: f.process(1)?,
                    to: f.pid(2)?,
                    reference: f.reference(3)?,
                    reason: f.term(4)?,
                }
            }
            22 => {
                want(3)?;
                SendSender {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                }
            }
            23 => {
                want(4)?;
                SendSenderTt {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                    token: f.term(3)?,
                }
            }
            24 => {
                want(3)?;
                PayloadExit {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                }
            }
            25 => {
                want(4)?;
                PayloadExitTt {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                    token: f.term(3)?,
                }
            }
            26 => {
                want(3)?;
                PayloadExit2 {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                }
            }
            27 => {
                want(4)?;
                PayloadExit2Tt {
                    from: f.pid(1)?,
                    to: f.pid(2)?,
                    token: f.term(3)?,
                }
            }
            28 => {
                want(4)?;
                PayloadMonitorPExit {
                    target: f.process(1)?,
                    to: f.pid(2)?,
                    reference: f.reference(3)?,
                }
            }
            29 => {
                want(6)?;
                let (module, function, arity) = f.mfa(4)?;
                SpawnRequest {
                    req_id: f.reference(1)?,
                    from: f.pid(2)?,
                    group_leader: f.pid(3)?,
                    module,
                    function,
                    arity,
                    opts: f.term(5)?,
                }
            }
            30 => {
                want(7)?;
                let (module, function, arity) = f.mfa(4)?;
                SpawnRequestTt {
                    req_id: f.reference(1)?,
                    from: f.pid(2)?,
                    group_leader: f.pid(3)?,
                    module,
                    function,
                    arity,
                    opts: f.term(5)?,
                    token: f.term(6)?,
                }
            }
            31 => {
                want(5)?;
                SpawnReply {
                    req_id: f.reference(1)?,
                    to: f.pid(2)?,
                    flags: f.small(3)?,
                    result: f.term(4)?,
                }
            }
            32 => {
                want(6)?;
                SpawnReplyTt {
                    req_id: f.reference(1)?,
                    to: f.pid(2)?,
                    flags: f.small(3)?,
                    result: f.term(4)?,
                    token: f.term(5)?,
                }
            }
            33 => {
                want(3)?;
                AliasSend {
                    from: f.pid(1)?,
                    alias: f.reference(2)?,
                }
            }
            34 => {
                want(4)?;
                AliasSendTt {
                    from: f.pid(1)?,
                    alias: f.reference(2)?,
                    token: f.term(3)?,
                }
            }
            35 => {
                want(4)?;
                UnlinkId {
                    id: f.u64(1)?,
                    from: f.pid(2)?,
                    to: f.pid(3)?,
                }
            }
            36 => {
                want(4)?;
                UnlinkIdAck {
                    id: f.u64(1)?,
                    from: f.pid(2)?,
                    to: f.pid(3)?,
                }
            }
            _ => return Err(bad("unknown operation", term)),
        };
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::DistFlags;

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
        let tok = Term::atom("tok");
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
                reason: Term::Int(1),
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
                reason: Term::Int(1),
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
                reason: Term::atom("noproc"),
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
            SpawnRequest {
                req_id: reference(),
                from: pid(1),
                group_leader: pid(2),
                module: Atom::new("erpc"),
                function: Atom::new("execute_call"),
                arity: 4,
                opts: Term::nil(),
            },
            SpawnRequestTt {
                req_id: reference(),
                from: pid(1),
                group_leader: pid(2),
                module: Atom::new("m"),
                function: Atom::new("f"),
                arity: 0,
                opts: Term::nil(),
                token: tok.clone(),
            },
            SpawnReply {
                req_id: reference(),
                to: pid(1),
                flags: 2,
                result: Term::Pid(pid(9)),
            },
            SpawnReplyTt {
                req_id: reference(),
                to: pid(1),
                flags: 0,
                result: Term::atom("notsup"),
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
            let t = m.to_term();
            assert_eq!(ControlMessage::from_term(&t).unwrap(), m);
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
            match ControlMessage::from_term(&t) {
                Err(FrameError::BadControl(text)) => assert!(text.len() <= 230, "{}", text.len()),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn malformed_control_refused() {
        assert!(ControlMessage::from_term(&Term::atom("x")).is_err());
        assert!(ControlMessage::from_term(&Term::tuple(vec![Term::Int(99)])).is_err());
        assert!(ControlMessage::from_term(&Term::tuple(vec![Term::Int(1), Term::Int(2)])).is_err());
        assert!(ControlMessage::from_term(&Term::tuple(vec![
            Term::Int(2),
            Term::atom(""),
            Term::Int(1)
        ]))
        .is_err());
        assert!(ControlMessage::from_term(&Term::tuple(vec![
            Term::Int(35),
            Term::Int(-1),
            Term::Pid(pid(1)),
            Term::Pid(pid(2))
        ]))
        .is_err());
    }
}
