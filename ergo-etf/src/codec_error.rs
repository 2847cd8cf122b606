//! The errors of the binary codec: [`DecodeError`] (with the byte offset where decoding failed)
//! and [`EncodeError`].
//!
//! This module owns only the error types; it must not know how terms are laid out (that is
//! `decode`, `encode` and `compress`).

/// Why bytes could not be decoded into a term, and where.
///
/// `offset` counts from the start of the slice handed to the decoder (for [`crate::from_bytes`]
/// that includes the leading 131). Inside a compressed term (tag 80) offsets count within the
/// decompressed payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {kind}")]
pub struct DecodeError {
    /// The byte offset of the field that could not be decoded.
    pub offset: usize,
    /// What was wrong there.
    pub kind: DecodeErrorKind,
}

/// What was wrong with the bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The input ended before the term did.
    #[error("input ends early: {needed} more byte(s) needed")]
    UnexpectedEnd {
        /// How many more bytes the field needed at least.
        needed: usize,
    },
    /// The first byte was not the version byte 131.
    #[error("expected version byte 131, found {found:?}")]
    BadVersion {
        /// The byte found instead (`None` for empty input).
        found: Option<u8>,
    },
    /// A tag byte no OTP release defines.
    #[error("unknown tag {0}")]
    UnknownTag(u8),
    /// A tag that exists but is refused here (LOCAL_EXT, the removed FUN_EXT, or a compressed term
    /// nested inside another).
    #[error("tag {tag} ({name}) is not accepted")]
    UnsupportedTag {
        /// The tag byte.
        tag: u8,
        /// Its name in the ETF documentation.
        name: &'static str,
    },
    /// Bytes were left over after a complete term.
    #[error("{0} trailing byte(s) after the term")]
    TrailingBytes(usize),
    /// An atom longer than 255 characters.
    #[error("atom has {chars} characters (the limit is 255)")]
    AtomTooLong {
        /// How many characters (or bytes, for Latin-1 atoms) it declared.
        chars: usize,
    },
    /// Atom text that is not valid UTF-8.
    #[error("atom text is not valid UTF-8")]
    InvalidUtf8,
    /// ATOM_CACHE_REF to an index the atom cache does not hold.
    #[error("atom cache reference {0} is not in the cache")]
    AtomCacheMiss(u8),
    /// A place that needs an atom (a node or module name) held another tag.
    #[error("expected an atom, found tag {0}")]
    ExpectedAtom(u8),
    /// A place that needs a small integer (an export's arity, a fun's old index) held something else.
    #[error("expected {0}")]
    ExpectedInteger(&'static str),
    /// A term of another kind where a reader of a term's parts expected this one.
    #[error("expected {0}")]
    Expected(&'static str),
    /// A fun's pid field held something other than a pid.
    #[error("fun pid field is not a pid")]
    ExpectedPid,
    /// A float that is NaN or infinite (Erlang has neither).
    #[error("float is NaN or infinite")]
    NonFiniteFloat,
    /// FLOAT_EXT text that is not a number.
    #[error("FLOAT_EXT text is not a number")]
    InvalidFloatText,
    /// A big integer sign byte other than 0 or 1.
    #[error("big integer sign byte {0} (must be 0 or 1)")]
    InvalidSign(u8),
    /// BIT_BINARY with a bit count outside 1..=8 (or bits on an empty binary).
    #[error("bit binary with {0} bits in its last byte (must be 1..=8)")]
    InvalidBitCount(u8),
    /// A map with the same key twice (`binary_to_term` refuses these).
    #[error("map has a duplicate key")]
    DuplicateMapKey,
    /// A reference with a number of id words outside 1..=5.
    #[error("reference with {0} id words (must be 1..=5)")]
    InvalidReferenceLength(u16),
    /// A NEW_FUN whose size field disagrees with its contents.
    #[error("fun declares {declared} bytes but holds {actual}")]
    FunSizeMismatch {
        /// The size field.
        declared: u32,
        /// The bytes actually taken by the fun.
        actual: usize,
    },
    /// Terms nested deeper than [`crate::MAX_NESTING_DEPTH`].
    #[error("terms nested deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A compressed term declares a size above the configured cap.
    #[error("compressed term declares {declared} bytes, above the limit of {limit}")]
    DecompressedTooLarge {
        /// The declared uncompressed size.
        declared: u64,
        /// The cap in force.
        limit: usize,
    },
    /// A compressed term inflated to a size other than the one declared.
    #[error("compressed term inflates to a size other than the declared {declared} bytes")]
    DecompressedSizeMismatch {
        /// The declared uncompressed size.
        declared: u32,
    },
    /// The zlib stream was corrupt.
    #[error("zlib stream is corrupt: {0}")]
    Inflate(String),
}

impl DecodeError {
    /// An error of this kind at this offset.
    pub fn new(offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { offset, kind }
    }
}

/// Why a term could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// An atom longer than 255 characters.
    #[error("atom {text:?}... has {chars} characters (the limit is 255)")]
    AtomTooLong {
        /// The first characters of the atom.
        text: String,
        /// Its length in characters.
        chars: usize,
    },
    /// NaN or an infinity: Erlang has neither.
    #[error("float {0} cannot be encoded (Erlang has no NaN or infinity)")]
    NonFiniteFloat(String),
    /// A bitstring whose `bits_in_last` is outside 1..=8, or that has no bytes.
    #[error("bit binary with {bits} bits in the last of {len} byte(s) is invalid")]
    InvalidBitBinary {
        /// `bits_in_last`.
        bits: u8,
        /// The byte length.
        len: usize,
    },
    /// A length that does not fit the 32-bit field ETF has for it.
    #[error("{what} of length {len} does not fit in 32 bits")]
    TooLong {
        /// What was too long (`binary`, `list`, `tuple`, `map`, `integer`).
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A fun whose parts cannot be laid out (an old index or uniq that is not an integer, a pid
    /// that is not a pid, or too many free variables).
    #[error("fun cannot be encoded: {0}")]
    InvalidFun(&'static str),
    /// Terms nested deeper than [`crate::MAX_NESTING_DEPTH`].
    #[error("terms nested deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// zlib compression failed.
    #[error("compression failed: {0}")]
    Compress(String),
}
