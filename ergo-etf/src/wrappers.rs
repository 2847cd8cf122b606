//! Wrapper types that pick one of several possible encodings of the same Rust data:
//! [`Charlist`] (text as a list of codepoints), [`AtomText`] (text as an atom) and [`Binary`]
//! (bytes as a binary, where `Vec<u8>` would be a list). This module owns only these wrappers and
//! their conversions; the plain std mappings live in `convert_std`.

use std::fmt;

use bytes::Bytes;

use crate::{Atom, ConvertError, FromTerm, IntoTerm, Term};

/// Text encoded as an Erlang string: a proper list of Unicode codepoints (`"abc"` in Erlang,
/// `'abc'` or `~c"abc"` in Elixir). Reads any list of integers that are Unicode scalar values,
/// including the compact `STRING_EXT` form, and `[]` as the empty string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Charlist(pub String);

impl Charlist {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Encodes text as a charlist term.
    pub fn encode(text: &str) -> Term {
        Term::List(
            text.chars()
                .map(|c| Term::Int(i64::from(u32::from(c))))
                .collect(),
        )
    }

    /// Decodes a charlist term into text; `target` names the Rust type in the error.
    pub fn decode(target: &'static str, term: Term) -> Result<String, ConvertError> {
        let expected = "a list of Unicode codepoints (a charlist)";
        let Term::List(items) = term else {
            return Err(ConvertError::new(target, expected, &term));
        };
        let mut text = String::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ch = match item {
                Term::Int(v) => u32::try_from(*v).ok().and_then(char::from_u32),
                _ => None,
            };
            match ch {
                Some(c) => text.push(c),
                None => {
                    return Err(ConvertError::new(target, "a Unicode codepoint", item)
                        .within(format!("[{i}]")))
                }
            }
        }
        Ok(text)
    }
}

impl From<String> for Charlist {
    fn from(text: String) -> Charlist {
        Charlist(text)
    }
}

impl From<&str> for Charlist {
    fn from(text: &str) -> Charlist {
        Charlist(text.to_owned())
    }
}

impl fmt::Display for Charlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl IntoTerm for Charlist {
    fn into_term(self) -> Term {
        Charlist::encode(&self.0)
    }
}

impl FromTerm for Charlist {
    fn from_term(term: Term) -> Result<Charlist, ConvertError> {
        Charlist::decode("Charlist", term).map(Charlist)
    }
}

/// Text encoded as an atom. Encoding text longer than 255 characters still builds the atom (the
/// encoder refuses it when it is sent); prefer [`Atom`] when the text is a fixed name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AtomText(pub String);

impl From<&str> for AtomText {
    fn from(text: &str) -> AtomText {
        AtomText(text.to_owned())
    }
}

impl IntoTerm for AtomText {
    fn into_term(self) -> Term {
        Term::Atom(Atom::new(&self.0))
    }
}

impl FromTerm for AtomText {
    fn from_term(term: Term) -> Result<AtomText, ConvertError> {
        match term {
            Term::Atom(atom) => Ok(AtomText(atom.as_str().to_owned())),
            other => Err(ConvertError::new("AtomText", "an atom", &other)),
        }
    }
}

/// Bytes encoded as a binary (`Vec<u8>` alone is a list of integers). `bytes::Bytes` is also a
/// binary; this wrapper is for code that holds a `Vec<u8>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Binary(pub Vec<u8>);

impl From<Vec<u8>> for Binary {
    fn from(bytes: Vec<u8>) -> Binary {
        Binary(bytes)
    }
}

impl From<&[u8]> for Binary {
    fn from(bytes: &[u8]) -> Binary {
        Binary(bytes.to_vec())
    }
}

impl IntoTerm for Binary {
    fn into_term(self) -> Term {
        Term::Binary(Bytes::from(self.0))
    }
}

impl FromTerm for Binary {
    fn from_term(term: Term) -> Result<Binary, ConvertError> {
        match term {
            Term::Binary(bytes) => Ok(Binary(bytes.to_vec())),
            other => Err(ConvertError::new("Binary", "a binary", &other)),
        }
    }
}
