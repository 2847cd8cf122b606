//! The pieces `global`'s messages are made of: lists read leniently ([`ListOf`]), known-node
//! entries, name-list entries and name operations, lock ids, `new_nodes`' extra information,
//! and the two parts of `init_connect` (the `{Vsn, Tag}` pair and the `{locker, ...}` tuple).
//! Owns these shapes only; must not know which message carries them.

use ergo_etf::{Atom, ConvertError, FromTerm, IntoTerm, Pid, Term};

/// A list read the way `global`'s list comprehensions read one: elements that are not a `T`
/// are skipped, and anything but a proper list reads as `[]` (decoding never fails). Written
/// as a proper list of the elements.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ListOf<T>(pub(crate) Vec<T>);

impl<T: IntoTerm> IntoTerm for ListOf<T> {
    fn into_term(self) -> Term {
        self.0.into_term()
    }
}

impl<T: FromTerm> FromTerm for ListOf<T> {
    fn from_term(term: Term) -> Result<ListOf<T>, ConvertError> {
        let Term::List(items) = term else {
            return Ok(ListOf(Vec::new()));
        };
        Ok(ListOf(
            items
                .into_iter()
                .filter_map(|item| T::from_term(item).ok())
                .collect(),
        ))
    }
}

/// One entry of a known-node list: written `{Node, Vsn}` (`mk_known_list`); read from that or
/// from a bare `Node` (an older peer's plain list), whose version is then 0 (unknown).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KnownNode {
    /// The node.
    pub(crate) node: Atom,
    /// Its `global` protocol version (0: unknown).
    pub(crate) vsn: i64,
}

impl IntoTerm for KnownNode {
    fn into_term(self) -> Term {
        (self.node, self.vsn).into_term()
    }
}

impl FromTerm for KnownNode {
    fn from_term(term: Term) -> Result<KnownNode, ConvertError> {
        match term {
            Term::Atom(node) => Ok(KnownNode { node, vsn: 0 }),
            other => {
                let (node, vsn) = <(Atom, i64)>::from_term(other)?;
                Ok(KnownNode { node, vsn })
            }
        }
    }
}

/// `{Name, Pid, Method}`: one registered name as `exchange` lists them (`get_names()`). Read
/// from any tuple that starts so (further elements are ignored).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NameEntry {
    /// The name.
    pub(crate) name: Term,
    /// The process it names.
    pub(crate) pid: Pid,
    /// Its resolve method (`fun global:random_exit_name/3` by default).
    pub(crate) method: Term,
}

impl IntoTerm for NameEntry {
    fn into_term(self) -> Term {
        (self.name, self.pid, self.method).into_term()
    }
}

impl FromTerm for NameEntry {
    fn from_term(term: Term) -> Result<NameEntry, ConvertError> {
        match term.as_tuple() {
            Some([name, Term::Pid(pid), method, ..]) => Ok(NameEntry {
                name: name.clone(),
                pid: pid.clone(),
                method: method.clone(),
            }),
            _ => Err(ConvertError::new(
                "NameEntry",
                "{Name, Pid, Method, ...}",
                &term,
            )),
        }
    }
}

/// One name operation (`do_ops`): what `exchange_names` produces and `resolved` / `new_nodes`
/// carry.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum NameOp {
    /// `{insert, {Name, Pid, Method}}`: the name means that pid now.
    Insert((Term, Pid, Term)),
    /// `{delete, Name}`: the name is no longer registered.
    Delete(Term),
}

/// `{global, LockRequesterId}`: a lock on the resource `global`, the one every connect and
/// every registration takes (`?GLOBAL_RID`).
#[derive(ergo_macros::Term, Debug, Clone, PartialEq, Eq, Hash)]
#[term(crate = "::ergo_etf", tag = "global")]
pub(crate) struct GlobalLockId {
    /// Who asks: the sorted lockers of a connect, or a registrar's pid.
    pub(crate) requester: Term,
}

impl GlobalLockId {
    /// The resource id, `global`, as the lock table keys it.
    pub(crate) fn resource() -> Term {
        Term::atom("global")
    }
}

/// One item of `new_nodes`' `ExtraInfo` list.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum ExtraInfo {
    /// `{vsn, Vsn}`: the protocol version of the node the sender synced with.
    Vsn(i64),
    /// `{lock, {Resource, Requester}}`: the lock the sender's connect held.
    Lock((Term, Term)),
}

/// `{locker, no_longer_a_pid, Known, TheLocker}`: the last element of `init_connect`. Only the
/// locker is read (`global` ignores the other two).
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf", tag = "locker")]
pub(crate) struct LockerInfo {
    /// The atom `no_longer_a_pid` (a pid before version 7).
    pub(crate) no_longer_a_pid: Term,
    /// The sender's known nodes, `#{Node => Vsn}`.
    pub(crate) known: Term,
    /// The sender's locker.
    pub(crate) the_locker: Pid,
}

/// `{Vsn, Tag}`, the second element of `init_connect`: the sender's protocol version and its
/// tag for the connect. Read from any tuple that starts with an integer (further elements are
/// ignored, as `global` does).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConnectVsn {
    /// The sender's protocol version.
    pub(crate) vsn: i64,
    /// The sender's tag for this connect.
    pub(crate) tag: Term,
}

impl IntoTerm for ConnectVsn {
    fn into_term(self) -> Term {
        (self.vsn, self.tag).into_term()
    }
}

impl FromTerm for ConnectVsn {
    fn from_term(term: Term) -> Result<ConnectVsn, ConvertError> {
        match term.as_tuple() {
            Some([Term::Int(vsn), tag, ..]) => Ok(ConnectVsn {
                vsn: *vsn,
                tag: tag.clone(),
            }),
            _ => Err(ConvertError::new("ConnectVsn", "{Vsn, Tag, ...}", &term)),
        }
    }
}
