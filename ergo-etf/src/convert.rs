//! Conversions between Rust values and terms: the [`IntoTerm`] and [`FromTerm`] traits and the
//! error a failed conversion gives. The implementations for standard types live in `convert_std`;
//! `#[derive(Term)]` implements both traits for user types.

use crate::Term;

/// A Rust value that can become a term.
pub trait IntoTerm {
    /// Converts the value into a term.
    fn into_term(self) -> Term;
}

/// A Rust value that can be read from a term.
pub trait FromTerm: Sized {
    /// Reads the value from a term, or says what was expected and what was found.
    fn from_term(term: Term) -> Result<Self, ConvertError>;
}

/// Why a term could not become the Rust value asked for. The message names the Rust type (and
/// the field or variant, when a derived type failed inside) and what was found instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot convert to {target}{}: expected {expected}, found {found}", path_suffix(.path))]
pub struct ConvertError {
    /// The Rust type being built.
    pub target: &'static str,
    /// Field or variant names from the outside in, e.g. `["user", "age"]`.
    pub path: Vec<String>,
    /// What shape was expected.
    pub expected: String,
    /// What was found, as Erlang text (shortened when long).
    pub found: String,
}

fn path_suffix(path: &[String]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" (at {})", path.join("."))
    }
}

impl ConvertError {
    /// A conversion to `target` that expected `expected` and found `found`.
    pub fn new(target: &'static str, expected: impl Into<String>, found: &Term) -> ConvertError {
        ConvertError {
            target,
            path: Vec::new(),
            expected: expected.into(),
            found: describe(found),
        }
    }

    /// Adds a field or variant name in front of the path (used while unwinding nested types).
    pub fn within(mut self, outer: impl Into<String>) -> ConvertError {
        self.path.insert(0, outer.into());
        self
    }
}

/// A short description of a term for error messages: its Erlang text (`~p`, on one line) cut at
/// 80 characters.
fn describe(term: &Term) -> String {
    let mut s = term.to_string();
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

impl IntoTerm for Term {
    fn into_term(self) -> Term {
        self
    }
}

impl FromTerm for Term {
    fn from_term(term: Term) -> Result<Term, ConvertError> {
        Ok(term)
    }
}
