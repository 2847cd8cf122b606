//! `From<T> for Term`, so that `Term::from(x)` and `x.into()` build terms from plain values. Each
//! impl goes through the value's [`IntoTerm`]: one mapping, not two. The one exception is bytes:
//! `Vec<u8>` and `&[u8]` become a binary here (through [`Binary`]), where their `IntoTerm`, the
//! generic one of `Vec<T>` and `&[T]`, gives a list of integers.

use bytes::Bytes;

use crate::{Atom, AtomText, Binary, Charlist, IntoTerm, Map, Pid, Port, Reference, Term};

/// `From<T> for Term` as `T::into_term`.
macro_rules! from_into_term {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Term {
            /// The term [`IntoTerm::into_term`] makes of the value.
            fn from(value: $t) -> Term {
                value.into_term()
            }
        }
    )*};
}

from_into_term!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool,);
from_into_term!(&str, String, &String, Box<str>, Bytes);
from_into_term!(Atom, Pid, Reference, Port, Map);
from_into_term!(Binary, Charlist, AtomText);

impl From<Vec<u8>> for Term {
    /// A binary of these bytes (as [`Binary`]); `IntoTerm` for `Vec<u8>` makes a list.
    fn from(bytes: Vec<u8>) -> Term {
        Binary(bytes).into_term()
    }
}

impl From<&[u8]> for Term {
    /// A binary of these bytes (as [`Binary`]); `IntoTerm` for `&[u8]` makes a list.
    fn from(bytes: &[u8]) -> Term {
        Binary::from(bytes).into_term()
    }
}
