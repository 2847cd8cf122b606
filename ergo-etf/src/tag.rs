//! The tag bytes of the External Term Format, named as OTP's `erl_ext_dist` documentation names
//! them.
//!
//! Every byte that says what follows in an encoded term is one of these constants: the decoder
//! matches on them, the encoder writes them, and the distribution layer writes the header tags.
//! This module owns only the numbers; what follows each tag is `decode`'s and `encode`'s
//! business. Tags that OTP no longer emits are here too, as the decoder still reads (or
//! deliberately refuses) them.

/// The version magic that starts a stand-alone term (`term_to_binary`) and a distribution
/// header.
pub const VERSION_MAGIC: u8 = 131;

/// A zlib-compressed term: `80, UncompressedSize:32, Zlib` (only at the top level, right after
/// [`VERSION_MAGIC`]).
pub const COMPRESSED: u8 = 80;

/// The normal distribution header, after [`VERSION_MAGIC`] in a distribution message.
pub const DIST_HEADER: u8 = 68;
/// The header of a message's first fragment, after [`VERSION_MAGIC`].
pub const DIST_FRAG_HEADER: u8 = 69;
/// The header of a later fragment, after [`VERSION_MAGIC`]. The same number as
/// [`NEW_FLOAT_EXT`], in another place.
pub const DIST_FRAG_CONT: u8 = 70;

/// A reference to the distribution header's atom cache: `82, Index`.
pub const ATOM_CACHE_REF: u8 = 82;

/// An integer in `0..=255`: `97, Int:8`.
pub const SMALL_INTEGER_EXT: u8 = 97;
/// A signed 32-bit integer: `98, Int:32`.
pub const INTEGER_EXT: u8 = 98;
/// A float as 31 bytes of `printf` text (legacy): `99, Text:31/bytes`.
pub const FLOAT_EXT: u8 = 99;
/// A float as an IEEE 754 double: `70, Bits:64`.
pub const NEW_FLOAT_EXT: u8 = 70;
/// An integer of at most 255 bytes: `110, N:8, Sign:8, Digits:N/bytes` (little-endian).
pub const SMALL_BIG_EXT: u8 = 110;
/// An integer of any size: `111, N:32, Sign:8, Digits:N/bytes` (little-endian).
pub const LARGE_BIG_EXT: u8 = 111;

/// A Latin-1 atom of up to 65535 bytes (legacy): `100, Len:16, Text`.
pub const ATOM_EXT: u8 = 100;
/// A Latin-1 atom of up to 255 bytes (legacy): `115, Len:8, Text`.
pub const SMALL_ATOM_EXT: u8 = 115;
/// A UTF-8 atom: `118, Len:16, Text`.
pub const ATOM_UTF8_EXT: u8 = 118;
/// A UTF-8 atom of up to 255 bytes: `119, Len:8, Text`.
pub const SMALL_ATOM_UTF8_EXT: u8 = 119;

/// A tuple of up to 255 elements: `104, Arity:8, Elements`.
pub const SMALL_TUPLE_EXT: u8 = 104;
/// A tuple of any arity: `105, Arity:32, Elements`.
pub const LARGE_TUPLE_EXT: u8 = 105;
/// A map: `116, Arity:32, Key1, Value1, ...`.
pub const MAP_EXT: u8 = 116;
/// The empty list `[]`.
pub const NIL_EXT: u8 = 106;
/// A list of bytes: `107, Len:16, Bytes` (a proper list of integers in `0..=255`).
pub const STRING_EXT: u8 = 107;
/// A list: `108, Len:32, Elements, Tail` (the tail is `NIL_EXT` for a proper list).
pub const LIST_EXT: u8 = 108;
/// A binary: `109, Len:32, Bytes`.
pub const BINARY_EXT: u8 = 109;
/// A bitstring: `77, Len:32, Bits:8, Bytes` (`Bits` used bits in the last byte).
pub const BIT_BINARY_EXT: u8 = 77;

/// A pid with an 8-bit creation (legacy): `103, Node, Id:32, Serial:32, Creation:8`.
pub const PID_EXT: u8 = 103;
/// A pid: `88, Node, Id:32, Serial:32, Creation:32`.
pub const NEW_PID_EXT: u8 = 88;
/// A port with an 8-bit creation (legacy): `102, Node, Id:32, Creation:8`.
pub const PORT_EXT: u8 = 102;
/// A port: `89, Node, Id:32, Creation:32`.
pub const NEW_PORT_EXT: u8 = 89;
/// A port with a 64-bit id: `120, Node, Id:64, Creation:32`.
pub const V4_PORT_EXT: u8 = 120;
/// A reference of one id word (legacy): `101, Node, Id:32, Creation:8`.
pub const REFERENCE_EXT: u8 = 101;
/// A reference with an 8-bit creation (legacy): `114, Len:16, Node, Creation:8, Ids`.
pub const NEW_REFERENCE_EXT: u8 = 114;
/// A reference: `90, Len:16, Node, Creation:32, Ids`.
pub const NEWER_REFERENCE_EXT: u8 = 90;

/// A local fun: `112, Size:32, Arity:8, Uniq:16/bytes, Index:32, NumFree:32, Module,
/// OldIndex, OldUniq, Pid, FreeVars`.
pub const NEW_FUN_EXT: u8 = 112;
/// An external fun `fun M:F/A`: `113, Module, Function, Arity` (arity a `SMALL_INTEGER_EXT`).
pub const EXPORT_EXT: u8 = 113;
/// The old fun form, removed in OTP 23; refused when decoding.
pub const FUN_EXT: u8 = 117;
/// A term in a node-local encoding (`term_to_binary(T, [local])`); refused when decoding.
pub const LOCAL_EXT: u8 = 121;
