//! The terms of `global`'s protocol (version 8, OTP 25's `global.erl`), as Rust types: what
//! `global_name_server`s cast to each other (`cast.rs`), the plain messages a server receives
//! from peers, the runtime and its own locker and timers (`info.rs`), the calls other nodes'
//! lockers and registrars make (`call.rs`), the `rpc:call` that resolves a name clash on an
//! Erlang node (`rpc.rs`), and the pieces those messages are made of (`parts.rs`). The message
//! families are `#[derive(Term)]` enums, so each type's variants are the shapes `global.erl`
//! sends and matches, byte for byte.
//!
//! Decoding is as forgiving as `global` needs and no more: a field the receiver ignores or
//! checks itself is a `Term`; lists read through [`ListOf`] skip what they cannot read. A
//! message that matches no variant is the caller's to log. Owns the shapes only; must not act
//! on a message (that is `server.rs`, `connect/`, `names.rs`, `locker.rs`, `registrar.rs`).

mod call;
mod cast;
mod info;
mod parts;
mod rpc;
#[cfg(test)]
mod tests;

pub(crate) use call::{Call, Yes};
pub(crate) use cast::Cast;
pub(crate) use info::Info;
pub(crate) use parts::{
    ConnectVsn, ExtraInfo, GlobalLockId, KnownNode, ListOf, LockerInfo, NameEntry, NameOp,
};
pub(crate) use rpc::{Badrpc, RpcCall};

/// `global`'s protocol version: what this node speaks and says it speaks.
pub(crate) const VSN: i64 = 8;
