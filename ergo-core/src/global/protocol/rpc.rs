//! The `rpc:call(Node, global, resolve_it, Args)` this node makes to resolve a name clash with
//! the method of a name registered on an Erlang node: the request to that node's `rex` server
//! and its `{badrpc, Reason}` answer. Owns the shapes; must not make the call (`names.rs`).

use ergo_etf::{Atom, Term};

/// `{call, Module, Function, Args, GroupLeader}`: a call to `rex`.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf", tag = "call")]
pub(crate) struct RpcCall {
    /// The module.
    pub(crate) module: Atom,
    /// The function.
    pub(crate) function: Atom,
    /// The arguments.
    pub(crate) args: Vec<Term>,
    /// The group leader (`user`).
    pub(crate) group_leader: Atom,
}

/// `{badrpc, Reason}`: `rex`'s answer when the call failed.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) struct Badrpc {
    /// Why.
    pub(crate) reason: Term,
}
