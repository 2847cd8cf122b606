//! `pg`'s messages between scopes, as OTP 25's pg.erl writes them: the plain messages a scope
//! gets ([`Info`]: a peer's `join`, `leave` and `discover`, its monitors' `'DOWN'`, and
//! `nodeup`/`nodedown` from `net_kernel:monitor_nodes`) and the one cast ([`Sync`]). Owns the
//! shapes only (the same types are sent and received); what a scope does with them is
//! `scope.rs`'s. Must not change a shape: Erlang scopes crash with `badarg` on one they do not
//! know.

use ergo_etf::{Atom, ConvertError, FromTerm, IntoTerm, Pid, Reference, Term};

/// What a scope receives as plain messages (pg.erl's `handle_info/2` clauses).
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum Info {
    /// `{join, Peer, Group, PidOrPids}`: members of the peer scope's node joined `group`.
    Join {
        /// The peer scope.
        peer: Pid,
        /// The group (any term).
        group: Term,
        /// Who joined.
        pids: PidOrPids,
    },
    /// `{leave, Peer, PidOrPids, Groups}`: members of the peer scope's node left `groups`.
    Leave {
        /// The peer scope.
        peer: Pid,
        /// Who left.
        pids: PidOrPids,
        /// The groups they left (a group left twice appears twice).
        groups: Vec<Term>,
    },
    /// `{discover, Peer}`: a scope of the same name found this one; it wants a [`Sync`].
    Discover {
        /// The peer scope.
        peer: Pid,
    },
    /// `{'DOWN', MRef, process, Pid, Info}`: a monitored member or peer scope ended.
    #[term(rename = "DOWN")]
    Down {
        /// The monitor.
        monitor: Reference,
        /// What was monitored (`process`).
        kind: Term,
        /// The process that ended.
        pid: Pid,
        /// Its exit reason.
        reason: Term,
    },
    /// `{nodeup, Node}`.
    Nodeup(Atom),
    /// `{nodedown, Node}`.
    Nodedown(Term),
}

/// `{sync, Peer, [{Group, Pids}]}`, cast to a peer scope: every local member, by group; it
/// replaces all the receiver knew of the sender's members.
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) struct Sync {
    /// The sending scope.
    pub peer: Pid,
    /// Its groups with their members on its node.
    pub groups: Vec<(Term, Vec<Pid>)>,
}

/// A pid or a list of pids: pg sends what `pg:join/3` or `pg:leave/3` was given, and a single
/// process as itself.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PidOrPids {
    /// One process, sent as the pid.
    One(Pid),
    /// Any number of processes, sent as a list.
    Many(Vec<Pid>),
}

impl PidOrPids {
    /// One pid as itself, any other number as a list (how the API's `&[Pid]` goes out).
    pub(crate) fn new(mut pids: Vec<Pid>) -> PidOrPids {
        match pids.pop() {
            Some(one) if pids.is_empty() => PidOrPids::One(one),
            Some(last) => {
                pids.push(last);
                PidOrPids::Many(pids)
            }
            None => PidOrPids::Many(pids),
        }
    }

    /// The processes, in order.
    pub(crate) fn into_vec(self) -> Vec<Pid> {
        match self {
            PidOrPids::One(pid) => vec![pid],
            PidOrPids::Many(pids) => pids,
        }
    }
}

impl IntoTerm for PidOrPids {
    fn into_term(self) -> Term {
        match self {
            PidOrPids::One(pid) => Term::Pid(pid),
            PidOrPids::Many(pids) => pids.into_term(),
        }
    }
}

impl FromTerm for PidOrPids {
    fn from_term(term: Term) -> Result<PidOrPids, ConvertError> {
        match term {
            Term::Pid(pid) => Ok(PidOrPids::One(pid)),
            list @ Term::List(_) => Vec::from_term(list).map(PidOrPids::Many),
            other => Err(ConvertError::new(
                "PidOrPids",
                "a pid or a list of pids",
                &other,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(id: u32) -> Pid {
        Pid {
            node: Atom::new("a@h"),
            id,
            serial: 0,
            creation: 1,
        }
    }

    fn tuple(elems: Vec<Term>) -> Term {
        Term::Tuple(elems)
    }

    #[test]
    fn shapes_are_pg_erl_s() {
        let me = pid(1);
        let g = Term::atom("g");
        let join = Info::Join {
            peer: me.clone(),
            group: g.clone(),
            pids: PidOrPids::new(vec![pid(2)]),
        };
        assert_eq!(
            join.into_term(),
            tuple(vec![
                Term::atom("join"),
                Term::Pid(me.clone()),
                g.clone(),
                Term::Pid(pid(2))
            ])
        );
        let leave = Info::Leave {
            peer: me.clone(),
            pids: PidOrPids::new(vec![pid(2), pid(3)]),
            groups: vec![g.clone()],
        };
        assert_eq!(
            leave.into_term(),
            tuple(vec![
                Term::atom("leave"),
                Term::Pid(me.clone()),
                Term::list(vec![Term::Pid(pid(2)), Term::Pid(pid(3))]),
                Term::list(vec![g.clone()]),
            ])
        );
        assert_eq!(
            Info::Discover { peer: me.clone() }.into_term(),
            tuple(vec![Term::atom("discover"), Term::Pid(me.clone())])
        );
        let sync = Sync {
            peer: me.clone(),
            groups: vec![(g.clone(), vec![pid(2)])],
        };
        assert_eq!(
            sync.into_term(),
            tuple(vec![
                Term::atom("sync"),
                Term::Pid(me),
                Term::list(vec![tuple(vec![g, Term::list(vec![Term::Pid(pid(2))])])]),
            ])
        );
    }

    #[test]
    fn down_and_node_messages_decode() {
        let r = Reference {
            node: Atom::new("a@h"),
            creation: 1,
            ids: ergo_etf::RefIds::new(&[1, 2, 3]).expect("three words are a valid id"),
        };
        let down = tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(r.clone()),
            Term::atom("process"),
            Term::Pid(pid(4)),
            Term::atom("normal"),
        ]);
        assert_eq!(
            Info::from_term(down),
            Ok(Info::Down {
                monitor: r,
                kind: Term::atom("process"),
                pid: pid(4),
                reason: Term::atom("normal"),
            })
        );
        let up = tuple(vec![Term::atom("nodeup"), Term::atom("b@h")]);
        assert_eq!(Info::from_term(up), Ok(Info::Nodeup(Atom::new("b@h"))));
    }

    #[test]
    fn pid_or_pids_reads_a_pid_or_a_list_of_pids_only() {
        assert_eq!(
            PidOrPids::from_term(Term::list(vec![])),
            Ok(PidOrPids::Many(vec![]))
        );
        assert!(PidOrPids::from_term(Term::atom("x")).is_err());
        assert!(PidOrPids::from_term(Term::list(vec![Term::atom("x")])).is_err());
        assert!(Info::from_term(tuple(vec![Term::atom("join"), Term::Pid(pid(1))])).is_err());
    }
}
