//! What `global_name_server`s cast to each other (`gen_server:cast({global_name_server, Node},
//! Msg)`), as `global.erl`'s `handle_cast` clauses match it, with constructors for the ones
//! this node sends. Owns the shapes; must not act on them.

use std::collections::BTreeMap;

use ergo_etf::{Atom, IntoTerm, Pid, Term};

use super::parts::{ConnectVsn, ExtraInfo, KnownNode, ListOf, LockerInfo, NameEntry};

/// A cast between `global_name_server`s.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum Cast {
    /// `{init_connect, {Vsn, Tag}, Node, {locker, no_longer_a_pid, Known, TheLocker}}`: a peer
    /// starts a connect. `vsn` ([`ConnectVsn`]) and `locker` ([`LockerInfo`]) are checked by
    /// the receiver, which logs what it cannot read.
    InitConnect {
        /// `{Vsn, Tag}`.
        vsn: Term,
        /// The sender's node.
        node: Atom,
        /// `{locker, no_longer_a_pid, Known, TheLocker}`.
        locker: Term,
    },
    /// `{lock_set, Locker, IsSet, Known, Tag}`: the sender's locker has (or has not) locked
    /// its side for the connect with the receiver's tag `tag`.
    #[term(rename = "lock_set")]
    LockSet {
        /// The sender's locker.
        locker: Pid,
        /// Whether the lock is set.
        set: bool,
        /// The sender's known nodes (ignored on receipt).
        known: ListOf<Atom>,
        /// The receiver's tag for the connect.
        tag: Term,
    },
    /// `{lock_set, Locker, IsSet, Known}`: the same, from a peer older than version 8 (no tag).
    #[term(rename = "lock_set")]
    LockSetUntagged {
        /// The sender's locker.
        locker: Pid,
        /// Whether the lock is set.
        set: bool,
        /// The sender's known nodes (ignored on receipt).
        known: ListOf<Atom>,
    },
    /// `{exchange, Node, NameList, NameExtList, Tag}`: the sender's names, once both sides
    /// hold the connect's lock.
    Exchange {
        /// The sender's node.
        node: Atom,
        /// The sender's registered names.
        names: ListOf<NameEntry>,
        /// Its `register_name_external` names (always `[]` from this node).
        names_ext: Term,
        /// The receiver's tag for the connect.
        tag: Term,
    },
    /// `{resolved, Node, Resolved, Known, unused, NamesExt, Tag}`: the operations the sender
    /// resolved for the receiver to apply, and the nodes it knows.
    Resolved {
        /// The sender's node.
        node: Atom,
        /// Name operations ([`NameOp`](super::NameOp) terms, kept as sent).
        resolved: ListOf<Term>,
        /// The sender's known nodes.
        known: ListOf<KnownNode>,
        /// The atom `unused`.
        unused: Term,
        /// The sender's external names.
        names_ext: Term,
        /// The receiver's tag for the connect.
        tag: Term,
    },
    /// `{new_nodes, Node, Ops, NamesExt, Nodes, ExtraInfo}`: the sender synced with `nodes`;
    /// apply `ops`.
    NewNodes {
        /// The sender's node.
        node: Atom,
        /// Name operations ([`NameOp`](super::NameOp) terms, kept as sent).
        ops: ListOf<Term>,
        /// External names.
        names_ext: Term,
        /// The nodes the sender now knows of.
        nodes: ListOf<KnownNode>,
        /// `[{vsn, Vsn}, {lock, LockId}]`.
        extra: ListOf<ExtraInfo>,
    },
    /// `{in_sync, Node, IsKnown}`: the sender synced with the receiver through a third node.
    InSync {
        /// The sender's node.
        node: Atom,
        /// `true` (ignored on receipt, as by `global`).
        is_known: Term,
    },
    /// `{async_del_name, Name, Pid}`: an old peer's notice, ignored (as by `global`).
    AsyncDelName {
        /// The name.
        name: Term,
        /// Its pid.
        pid: Term,
    },
    /// `{async_del_lock, ResourceId, Pid}`: an old peer's notice, ignored (as by `global`).
    AsyncDelLock {
        /// The resource.
        resource: Term,
        /// The holder.
        pid: Term,
    },
}

impl Cast {
    /// `{init_connect, {Vsn, MyTag}, Us, {locker, no_longer_a_pid, Known, OurLocker}}`.
    pub(crate) fn init_connect(
        vsn: i64,
        my_tag: i64,
        us: Atom,
        known: BTreeMap<Atom, i64>,
        our_locker: Pid,
    ) -> Cast {
        let vsn = ConnectVsn {
            vsn,
            tag: Term::Int(my_tag),
        };
        let locker = LockerInfo {
            no_longer_a_pid: Term::atom("no_longer_a_pid"),
            known: known.into_term(),
            the_locker: our_locker,
        };
        Cast::InitConnect {
            vsn: vsn.into_term(),
            node: us,
            locker: locker.into_term(),
        }
    }

    /// `{exchange, Us, Names, [], HisTag}`.
    pub(crate) fn exchange(us: Atom, names: Vec<NameEntry>, his_tag: Term) -> Cast {
        Cast::Exchange {
            node: us,
            names: ListOf(names),
            names_ext: Term::nil(),
            tag: his_tag,
        }
    }

    /// `{resolved, Us, Resolved, Known, unused, [], HisTag}`.
    pub(crate) fn resolved(
        us: Atom,
        resolved: Vec<Term>,
        known: Vec<KnownNode>,
        his_tag: Term,
    ) -> Cast {
        Cast::Resolved {
            node: us,
            resolved: ListOf(resolved),
            known: ListOf(known),
            unused: Term::atom("unused"),
            names_ext: Term::nil(),
            tag: his_tag,
        }
    }

    /// `{in_sync, Us, true}`.
    pub(crate) fn in_sync(us: Atom) -> Cast {
        Cast::InSync {
            node: us,
            is_known: true.into_term(),
        }
    }
}
