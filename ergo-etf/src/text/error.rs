//! The error of parsing Erlang term text: where it went wrong and what was expected there.
//!
//! This module owns the error types only; it must not parse.

/// Why text did not parse as a term, and where: a byte offset into the text and the same place
/// as a 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at line {line}, column {column} (byte offset {offset})")]
pub struct ParseError {
    /// The byte offset of the problem in the input.
    pub offset: usize,
    /// The 1-based line of the problem.
    pub line: usize,
    /// The 1-based column of the problem, counted in characters.
    pub column: usize,
    /// What the problem is.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// An error of `kind` at byte `offset` of `text` (line and column are computed from it).
    pub(crate) fn at(text: &str, offset: usize, kind: ParseErrorKind) -> ParseError {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        ParseError {
            offset,
            line,
            column,
            kind,
        }
    }
}

/// The kinds of problem [`ParseError`] reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// Something other than what the grammar allows here.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What would have been valid here.
        expected: &'static str,
        /// What was found, quoted.
        found: String,
    },
    /// The text ended too early.
    #[error("unexpected end of input, expected {expected}")]
    UnexpectedEnd {
        /// What would have been valid here.
        expected: &'static str,
    },
    /// A backslash escape that names no character.
    #[error("invalid escape sequence")]
    BadEscape,
    /// A malformed integer (bad digits, base, or `_` placement).
    #[error("malformed number: {0}")]
    BadNumber(&'static str),
    /// A float too large for a 64-bit float (Erlang refuses these too).
    #[error("float literal out of range")]
    FloatOutOfRange,
    /// An atom longer than 255 characters.
    #[error("atom longer than 255 characters")]
    AtomTooLong,
    /// A reserved word written as a bare atom.
    #[error("`{0}` is a reserved word: write the atom as '{0}'")]
    ReservedWord(String),
    /// A variable name where a literal term was expected.
    #[error("`{0}` is a variable: only literal terms can be parsed")]
    Variable(String),
    /// Pids, references, ports and funs print for people but have no parseable form.
    #[error("pids, references, ports and funs cannot be parsed from text")]
    Unparseable,
    /// Nesting deeper than the limit.
    #[error("terms nested deeper than {0} levels")]
    TooDeep(usize),
    /// A binary segment that cannot be built.
    #[error("bad binary segment: {0}")]
    BadSegment(String),
    /// A binary larger than the parser builds.
    #[error("binary larger than {0} bits")]
    BinaryTooLarge(u64),
}
