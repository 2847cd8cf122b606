//! The protocol types against hand-built terms: every message this node sends encodes to the
//! same ETF bytes as the tuple `global.erl` builds (and this port built by hand before the
//! types), and decoding is as lenient as the hand-written matches were.

use std::collections::BTreeMap;

use ergo_etf::{to_bytes, Atom, Export, FromTerm, IntoTerm, Map, Pid, Term};

use super::*;

fn pid(node: &str, id: u32) -> Pid {
    Pid {
        node: Atom::new(node),
        id,
        serial: 0,
        creation: 1,
    }
}

fn atom(text: &str) -> Term {
    Term::atom(text)
}

fn node(text: &str) -> Term {
    Term::Atom(Atom::new(text))
}

fn tuple(elems: Vec<Term>) -> Term {
    Term::Tuple(elems)
}

/// Same term, same bytes on the wire.
fn assert_wire(value: impl IntoTerm, expected: Term) {
    let term = value.into_term();
    assert_eq!(term, expected);
    assert_eq!(to_bytes(&term).ok(), to_bytes(&expected).ok());
}

#[test]
fn init_connect_is_global_erls_shape() {
    let known = BTreeMap::from([(Atom::new("b@h"), 8), (Atom::new("c@h"), 7)]);
    let locker = pid("a@h", 7);
    let expected = tuple(vec![
        atom("init_connect"),
        tuple(vec![Term::Int(8), Term::Int(3)]),
        node("a@h"),
        tuple(vec![
            atom("locker"),
            atom("no_longer_a_pid"),
            Term::Map(Map::from_pairs([
                (node("b@h"), Term::Int(8)),
                (node("c@h"), Term::Int(7)),
            ])),
            Term::Pid(locker.clone()),
        ]),
    ]);
    assert_wire(
        Cast::init_connect(VSN, 3, Atom::new("a@h"), known, locker),
        expected,
    );
}

#[test]
fn init_connect_ack_and_cancel_connect() {
    assert_wire(
        Info::init_connect_ack(Atom::new("a@h"), Term::Int(-576), 3),
        tuple(vec![
            atom("init_connect_ack"),
            node("a@h"),
            Term::Int(-576),
            Term::Int(3),
        ]),
    );
    assert_wire(
        Info::cancel_connect(Atom::new("a@h"), Term::Int(-576)),
        tuple(vec![atom("cancel_connect"), node("a@h"), Term::Int(-576)]),
    );
}

#[test]
fn lock_set_both_arities() {
    let locker = pid("a@h", 7);
    let known = vec![Atom::new("b@h")];
    assert_wire(
        Cast::LockSet {
            locker: locker.clone(),
            set: true,
            known: ListOf(known.clone()),
            tag: Term::Int(-5),
        },
        tuple(vec![
            atom("lock_set"),
            Term::Pid(locker.clone()),
            atom("true"),
            Term::list(vec![node("b@h")]),
            Term::Int(-5),
        ]),
    );
    assert_wire(
        Info::LockSetUntagged {
            locker: locker.clone(),
            set: false,
            known: ListOf(known),
        },
        tuple(vec![
            atom("lock_set"),
            Term::Pid(locker),
            atom("false"),
            Term::list(vec![node("b@h")]),
        ]),
    );
}

#[test]
fn exchange_resolved_new_nodes_in_sync() {
    let p = pid("a@h", 9);
    let method = Term::Export(Box::new(Export {
        module: Atom::new("global"),
        function: Atom::new("random_exit_name"),
        arity: 3,
    }));
    let entry = NameEntry {
        name: atom("n"),
        pid: p.clone(),
        method: method.clone(),
    };
    assert_wire(
        Cast::exchange(Atom::new("a@h"), vec![entry], Term::Int(-1)),
        tuple(vec![
            atom("exchange"),
            node("a@h"),
            Term::list(vec![tuple(vec![
                atom("n"),
                Term::Pid(p.clone()),
                method.clone(),
            ])]),
            Term::nil(),
            Term::Int(-1),
        ]),
    );

    let insert = NameOp::Insert((atom("n"), p.clone(), method.clone())).into_term();
    assert_eq!(
        insert,
        tuple(vec![
            atom("insert"),
            tuple(vec![atom("n"), Term::Pid(p.clone()), method.clone()]),
        ])
    );
    assert_eq!(
        NameOp::Delete(atom("n")).into_term(),
        tuple(vec![atom("delete"), atom("n")])
    );

    let known = vec![KnownNode {
        node: Atom::new("b@h"),
        vsn: 8,
    }];
    assert_wire(
        Cast::resolved(
            Atom::new("a@h"),
            vec![insert.clone()],
            known.clone(),
            Term::Int(-1),
        ),
        tuple(vec![
            atom("resolved"),
            node("a@h"),
            Term::list(vec![insert.clone()]),
            Term::list(vec![tuple(vec![node("b@h"), Term::Int(8)])]),
            atom("unused"),
            Term::nil(),
            Term::Int(-1),
        ]),
    );

    let requester = Term::list(vec![Term::Pid(p.clone())]);
    let lock_id = GlobalLockId {
        requester: requester.clone(),
    };
    assert_eq!(
        lock_id.clone().into_term(),
        tuple(vec![atom("global"), requester.clone()])
    );
    assert_wire(
        Cast::NewNodes {
            node: Atom::new("a@h"),
            ops: ListOf(vec![insert.clone()]),
            names_ext: Term::nil(),
            nodes: ListOf(known),
            extra: ListOf(vec![
                ExtraInfo::Vsn(VSN),
                ExtraInfo::Lock((GlobalLockId::resource(), requester.clone())),
            ]),
        },
        tuple(vec![
            atom("new_nodes"),
            node("a@h"),
            Term::list(vec![insert]),
            Term::nil(),
            Term::list(vec![tuple(vec![node("b@h"), Term::Int(8)])]),
            Term::list(vec![
                tuple(vec![atom("vsn"), Term::Int(8)]),
                tuple(vec![atom("lock"), lock_id.into_term()]),
            ]),
        ]),
    );

    assert_wire(
        Cast::in_sync(Atom::new("a@h")),
        tuple(vec![atom("in_sync"), node("a@h"), atom("true")]),
    );
}

#[test]
fn calls_and_replies() {
    let p = pid("a@h", 9);
    let id = tuple(vec![atom("global"), Term::Pid(p.clone())]);
    assert_wire(
        Call::SetLock { id: id.clone() },
        tuple(vec![atom("set_lock"), id.clone()]),
    );
    assert_wire(
        Call::DelLock { id: id.clone() },
        tuple(vec![atom("del_lock"), id]),
    );
    assert_wire(
        Call::Register {
            name: atom("n"),
            pid: p.clone(),
            method: atom("m"),
        },
        tuple(vec![atom("register"), atom("n"), Term::Pid(p), atom("m")]),
    );
    assert_wire(
        Call::Unregister { name: atom("n") },
        tuple(vec![atom("unregister"), atom("n")]),
    );
    assert_wire(Call::GetKnown, atom("get_known"));
    assert_wire(Call::GetProtocolVersion, atom("get_protocol_version"));
    assert_wire(Yes, atom("yes"));
    assert_wire(
        RpcCall {
            module: Atom::new("global"),
            function: Atom::new("resolve_it"),
            args: vec![atom("x")],
            group_leader: Atom::new("user"),
        },
        tuple(vec![
            atom("call"),
            atom("global"),
            atom("resolve_it"),
            Term::list(vec![atom("x")]),
            atom("user"),
        ]),
    );
}

#[test]
fn internal_messages_round_trip() {
    let lock_id = GlobalLockId {
        requester: Term::list(vec![Term::Pid(pid("a@h", 1))]),
    };
    let locked = Info::ErgoGlobalLocked {
        node: Atom::new("b@h"),
        tag: 4,
        lock_id,
        ok: true,
    };
    assert_eq!(
        Info::from_term(locked.clone().into_term()).ok(),
        Some(locked)
    );
    let try_lock = Info::ErgoGlobalTry {
        node: Atom::new("b@h"),
        tag: 4,
    };
    assert_eq!(
        Info::from_term(try_lock.clone().into_term()).ok(),
        Some(try_lock)
    );
}

#[test]
fn lists_read_leniently() {
    // Not a list: empty. Elements that do not read are skipped.
    assert_eq!(
        ListOf::<Atom>::from_term(atom("x")).ok(),
        Some(ListOf(vec![]))
    );
    let known = Term::list(vec![
        node("a@h"),
        tuple(vec![node("b@h"), Term::Int(7)]),
        Term::Int(3),
        tuple(vec![node("c@h"), atom("x")]),
    ]);
    let read = ListOf::<KnownNode>::from_term(known).map(|l| l.0).ok();
    assert_eq!(
        read,
        Some(vec![
            KnownNode {
                node: Atom::new("a@h"),
                vsn: 0
            },
            KnownNode {
                node: Atom::new("b@h"),
                vsn: 7
            },
        ])
    );
    // A name entry may carry further elements; one without a pid is skipped.
    let p = pid("a@h", 2);
    let names = Term::list(vec![
        tuple(vec![
            atom("n"),
            Term::Pid(p.clone()),
            atom("m"),
            atom("extra"),
        ]),
        tuple(vec![atom("o"), atom("not_a_pid"), atom("m")]),
    ]);
    let read = ListOf::<NameEntry>::from_term(names).map(|l| l.0).ok();
    assert_eq!(
        read,
        Some(vec![NameEntry {
            name: atom("n"),
            pid: p,
            method: atom("m"),
        }])
    );
}

#[test]
fn init_connect_parts_read_as_global_does() {
    let vsn = ConnectVsn::from_term(tuple(vec![Term::Int(8), Term::Int(-3), atom("more")]));
    assert_eq!(
        vsn.ok(),
        Some(ConnectVsn {
            vsn: 8,
            tag: Term::Int(-3)
        })
    );
    assert!(ConnectVsn::from_term(Term::Int(8)).is_err());
    let locker = pid("b@h", 5);
    let info = LockerInfo::from_term(tuple(vec![
        atom("locker"),
        Term::Int(0),
        Term::nil(),
        Term::Pid(locker.clone()),
    ]));
    assert_eq!(info.ok().map(|i| i.the_locker), Some(locker));
}

#[test]
fn unknown_shapes_do_not_decode() {
    assert!(Cast::from_term(tuple(vec![atom("init_connect_ack"), node("a@h")])).is_err());
    assert!(Info::from_term(tuple(vec![atom("exchange"), node("a@h")])).is_err());
    assert!(Call::from_term(atom("get_state")).is_err());
}
