//! Wrapping std types and the term model's own parts: `Option<T>` (`undefined` or the value),
//! `Result<T, E>` (`{ok, T}` / `{error, E}`), `Box<T>`, `Arc<T>`, and `Atom`,
//! `Pid`, `Reference`, `Port`, `Map` (themselves).

use std::sync::Arc;

use crate::{Atom, ConvertError, FromTerm, IntoTerm, Map, Pid, Port, Reference, Term};

/// `None` is the atom `undefined`, `Some(x)` is `x` itself (Erlang's usual convention).
impl<T: IntoTerm> IntoTerm for Option<T> {
    fn into_term(self) -> Term {
        match self {
            None => Term::atom("undefined"),
            Some(value) => value.into_term(),
        }
    }
}

/// `undefined` always reads as `None`, even when `T` could hold that atom.
impl<T: FromTerm> FromTerm for Option<T> {
    fn from_term(term: Term) -> Result<Option<T>, ConvertError> {
        if term.is_atom("undefined") {
            Ok(None)
        } else {
            T::from_term(term).map(Some)
        }
    }
}

/// `Ok(x)` is `{ok, X}`, `Err(e)` is `{error, E}`.
impl<T: IntoTerm, E: IntoTerm> IntoTerm for Result<T, E> {
    fn into_term(self) -> Term {
        match self {
            Ok(value) => Term::Tuple(vec![Term::atom("ok"), value.into_term()]),
            Err(error) => Term::Tuple(vec![Term::atom("error"), error.into_term()]),
        }
    }
}

impl<T: FromTerm, E: FromTerm> FromTerm for Result<T, E> {
    fn from_term(term: Term) -> Result<Result<T, E>, ConvertError> {
        if let Term::Tuple(elems) = &term {
            if let [tag, _] = elems.as_slice() {
                let is_ok = tag.is_atom("ok");
                if is_ok || tag.is_atom("error") {
                    let value = match term {
                        Term::Tuple(mut elems) => elems.pop().unwrap_or_else(Term::nil),
                        _ => Term::nil(),
                    };
                    return if is_ok {
                        T::from_term(value).map(Ok).map_err(|e| e.within("ok"))
                    } else {
                        E::from_term(value).map(Err).map_err(|e| e.within("error"))
                    };
                }
            }
        }
        Err(ConvertError::new("Result", "{ok, _} or {error, _}", &term))
    }
}

impl<T: IntoTerm> IntoTerm for Box<T> {
    fn into_term(self) -> Term {
        (*self).into_term()
    }
}

impl<T: FromTerm> FromTerm for Box<T> {
    fn from_term(term: Term) -> Result<Box<T>, ConvertError> {
        T::from_term(term).map(Box::new)
    }
}

/// Clones the value out when the `Arc` is shared.
impl<T: IntoTerm + Clone> IntoTerm for Arc<T> {
    fn into_term(self) -> Term {
        Arc::unwrap_or_clone(self).into_term()
    }
}

impl<T: FromTerm> FromTerm for Arc<T> {
    fn from_term(term: Term) -> Result<Arc<T>, ConvertError> {
        T::from_term(term).map(Arc::new)
    }
}

/// The term model's own parts convert to and from themselves.
macro_rules! term_part {
    ($($t:ident => $variant:ident, $expected:literal;)*) => {$(
        impl IntoTerm for $t {
            fn into_term(self) -> Term {
                Term::$variant(self)
            }
        }
        impl FromTerm for $t {
            fn from_term(term: Term) -> Result<$t, ConvertError> {
                match term {
                    Term::$variant(value) => Ok(value),
                    other => Err(ConvertError::new(stringify!($t), $expected, &other)),
                }
            }
        }
    )*};
}
term_part! {
    Atom => Atom, "an atom";
    Pid => Pid, "a pid";
    Reference => Reference, "a reference";
    Port => Port, "a port";
    Map => Map, "a map";
}
