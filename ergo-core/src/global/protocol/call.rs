//! The calls `global_name_server` answers (`gen_server:call` / `multi_call` from other nodes'
//! lockers and registrars, and this node's locker and registrar to them), as `global.erl`'s
//! `handle_call` clauses match them, and the `yes` reply. Owns the shapes; must not act on them.

use ergo_etf::{Pid, Term};

/// A call to `global_name_server`.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) enum Call {
    /// `{set_lock, {ResourceId, LockRequesterId}}` (answer `true` or `false`).
    SetLock {
        /// The lock id, checked by the lock table.
        id: Term,
    },
    /// `{del_lock, {ResourceId, LockRequesterId}}` (answer `true`).
    DelLock {
        /// The lock id, checked by the lock table.
        id: Term,
    },
    /// `{register, Name, Pid, Method}` (answer `yes`).
    Register {
        /// The name.
        name: Term,
        /// The process.
        pid: Pid,
        /// Its resolve method.
        method: Term,
    },
    /// `{register_ext, Name, Pid, Method, RegNode}` (answer `yes`).
    RegisterExt {
        /// The name.
        name: Term,
        /// The process.
        pid: Pid,
        /// Its resolve method.
        method: Term,
        /// The node that registered it.
        reg_node: Term,
    },
    /// `{unregister, Name}` (answer `ok`).
    Unregister {
        /// The name.
        name: Term,
    },
    /// `get_known`: the known nodes.
    GetKnown,
    /// `get_synced`: the synced nodes.
    GetSynced,
    /// `get_protocol_version`: 8.
    GetProtocolVersion,
    /// `get_names_ext`: the external names (`[]` here).
    GetNamesExt,
}

/// The atom `yes`: the answer to a registration call.
#[derive(ergo_macros::Term, Debug, Clone, Copy, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(crate) struct Yes;
