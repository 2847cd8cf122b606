//! Text-like and atom-like std types: `bool` (atoms `true`/`false`), `()` (atom `ok`), `String`,
//! `&str` and `Box<str>` (UTF-8 binaries), and `bytes::Bytes` (binaries). Charlists and
//! atoms-as-text are explicit wrappers in `wrappers`, not here.

use bytes::Bytes;

use crate::{ConvertError, FromTerm, IntoTerm, Term};

impl IntoTerm for bool {
    fn into_term(self) -> Term {
        Term::atom(if self { "true" } else { "false" })
    }
}

impl FromTerm for bool {
    fn from_term(term: Term) -> Result<bool, ConvertError> {
        match &term {
            Term::Atom(a) if a == "true" => Ok(true),
            Term::Atom(a) if a == "false" => Ok(false),
            _ => Err(ConvertError::new("bool", "the atom true or false", &term)),
        }
    }
}

/// `()` is the atom `ok`, what Erlang functions return when they have nothing to say.
impl IntoTerm for () {
    fn into_term(self) -> Term {
        Term::atom("ok")
    }
}

impl FromTerm for () {
    fn from_term(term: Term) -> Result<(), ConvertError> {
        if term.is_atom("ok") {
            Ok(())
        } else {
            Err(ConvertError::new("()", "the atom ok", &term))
        }
    }
}

impl IntoTerm for String {
    fn into_term(self) -> Term {
        Term::Binary(Bytes::from(self.into_bytes()))
    }
}

impl IntoTerm for &str {
    fn into_term(self) -> Term {
        Term::Binary(Bytes::copy_from_slice(self.as_bytes()))
    }
}

impl IntoTerm for &String {
    fn into_term(self) -> Term {
        self.as_str().into_term()
    }
}

impl IntoTerm for Box<str> {
    fn into_term(self) -> Term {
        String::from(self).into_term()
    }
}

/// Reads a UTF-8 binary. A charlist is refused (read it with `Charlist`), so that `""` and `[]`
/// stay distinct and a `String` always round-trips to the same term.
impl FromTerm for String {
    fn from_term(term: Term) -> Result<String, ConvertError> {
        match term {
            Term::Binary(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => Ok(text.to_owned()),
                Err(_) => Err(ConvertError::new(
                    "String",
                    "a UTF-8 binary",
                    &Term::Binary(bytes),
                )),
            },
            other => Err(ConvertError::new("String", "a UTF-8 binary", &other)),
        }
    }
}

impl FromTerm for Box<str> {
    fn from_term(term: Term) -> Result<Box<str>, ConvertError> {
        String::from_term(term)
            .map(String::into_boxed_str)
            .map_err(|e| ConvertError {
                target: "Box<str>",
                ..e
            })
    }
}

impl IntoTerm for Bytes {
    fn into_term(self) -> Term {
        Term::Binary(self)
    }
}

impl FromTerm for Bytes {
    fn from_term(term: Term) -> Result<Bytes, ConvertError> {
        match term {
            Term::Binary(bytes) => Ok(bytes),
            other => Err(ConvertError::new("Bytes", "a binary", &other)),
        }
    }
}
