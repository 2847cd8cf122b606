//! Erlang's External Term Format (ETF) for ergo.
//!
//! This crate owns the term model ([`Term`] and its parts), the binary codec for every ETF tag
//! (`decode`, `encode`), the conversions between Rust types and terms ([`IntoTerm`],
//! [`FromTerm`]), the type registry used by `#[derive(Term)]`, and Erlang-syntax text. It knows
//! nothing of processes, nodes or sockets: the runtime (`ergo-core`) builds on it, never the
//! other way round.
#![deny(unreachable_pub)]
#![deny(missing_docs)]

mod atom;
mod codec_error;
mod compress;
mod convert;
mod convert_std;
mod decode;
mod encode;
pub mod iovec;
mod proplist;
mod reader;
mod ref_ids;
pub mod registry;
pub mod tag;
mod term;
pub mod text;
mod wrappers;
mod writer;

pub use atom::{Atom, MAX_ATOM_CHARS};
pub use codec_error::{DecodeError, DecodeErrorKind, EncodeError};
#[cfg(feature = "compression")]
pub use compress::to_bytes_compressed;
pub use convert::{ConvertError, FromTerm, IntoTerm};
pub use decode::{
    decode_term, decode_term_bytes, from_bytes, from_bytes_shared, from_bytes_with_limit,
    AtomDecoder, DEFAULT_MAX_DECOMPRESSED_SIZE, MAX_NESTING_DEPTH,
};
pub use encode::{encode_term_into, encode_term_spliced, to_bytes, AtomEncoder, NoAtomCache};
pub use iovec::{to_iovec, IoVec, Splice};
pub use proplist::{from_proplist, missing_field, proplist_to_fields, take_field, FromFields};
pub use reader::TermReader;
pub use ref_ids::{RefIds, MAX_REF_IDS};
pub use term::{BitBinary, Export, Fun, Map, Pid, Port, Reference, Term};
pub use wrappers::{AtomText, Binary, Charlist};
pub use writer::{write_term, TermWriter};

/// Items the macros' generated code names (`#[derive(Term)]` with `#[term(crate = "::ergo_etf")]`
/// reaches `inventory` through here); not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
}
