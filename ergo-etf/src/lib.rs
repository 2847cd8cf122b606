//! Erlang's External Term Format (ETF) for ergo.
//!
//! This crate owns the term model ([`Term`] and its parts), the binary codec for every ETF tag
//! (`decode`, `encode`), the conversions between Rust types and terms ([`IntoTerm`],
//! [`FromTerm`]), the type registry used by `#[derive(Term)]`, and Erlang-syntax text. It knows
//! nothing of processes, nodes or sockets: the runtime (`ergo-core`) builds on it, never the
//! other way round.
#![deny(missing_docs)]

mod atom;
mod convert;
mod term;

pub use atom::{Atom, MAX_ATOM_CHARS};
pub use convert::{ConvertError, FromTerm, IntoTerm};
pub use term::{BitBinary, Export, Fun, Map, Pid, Port, Reference, Term};
