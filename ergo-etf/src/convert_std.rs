//! [`IntoTerm`](crate::IntoTerm) and [`FromTerm`](crate::FromTerm) for standard Rust types.
//!
//! This module owns only the mapping of std (and `bytes`) types to terms; the traits and the
//! error type live in `convert`, explicit wrappers (charlists, atoms-as-text, binaries) in
//! `wrappers`, and user types get their impls from `#[derive(Term)]`. It must not touch the codec.
//!
//! The mapping, both ways:
//!
//! | Rust | Erlang term |
//! |------|-------------|
//! | `i8`..`i128`, `u8`..`u128`, `isize`, `usize` | integer (range-checked when read) |
//! | `f32`, `f64` | float (an integer is *not* accepted: `1` and `1.0` differ in Erlang) |
//! | `bool` | atom `true` / `false` |
//! | `char` | integer (a Unicode scalar value) |
//! | `String`, `&str`, `Box<str>` | UTF-8 binary (a charlist is *not* accepted: use [`Charlist`](crate::Charlist)) |
//! | `()` | atom `ok` |
//! | `Vec<T>`, `&[T]`, `VecDeque<T>` | proper list (so `Vec<u8>` is a list of small integers; use `Bytes` or [`Binary`](crate::Binary) for binaries) |
//! | `HashSet<T>`, `BTreeSet<T>` | proper list (read: duplicates collapse) |
//! | `Option<T>` | `None` ↔ atom `undefined`, `Some(x)` ↔ `x` |
//! | `Result<T, E>` | `{ok, T}` / `{error, E}` (a bare `ok` is not read as `Ok`: model `ok \| {error, E}` with an enum) |
//! | `(A,)` .. `(A, .., L)` (1 to 12) | tuple of that arity |
//! | `HashMap<K, V>`, `BTreeMap<K, V>` | map |
//! | `Box<T>`, `Arc<T>` (encoding a shared `Arc` clones the value) | as `T` |
//! | `bytes::Bytes` | binary |
//! | [`Atom`](crate::Atom), [`Pid`](crate::Pid), [`Reference`](crate::Reference), [`Port`](crate::Port), [`Map`](crate::Map) | themselves |
//!
//! `Term` implements `From` for the scalar, text and term-part types above (integers, floats,
//! `bool`, `&str`, `String`, `Bytes`, `Atom`, `Pid`, ...), each through its `IntoTerm`, so
//! `Term::from(5)` is `Term::Int(5)` and `Term::from("hi")` a binary. `Term::from` also takes
//! `Vec<u8>` and `&[u8]`, as a binary (unlike their `IntoTerm`, which makes a list).
//!
//! `Option<T>` is ambiguous when `T` can itself be the atom `undefined` (e.g. `Option<Atom>`,
//! `Option<Term>`): reading `undefined` always gives `None`.

mod collections;
mod from;
mod ints;
mod misc;
mod text;
mod tuples;

use crate::{ConvertError, FromTerm, Term};

/// Reads each element of a list with `T::from_term`, naming the index on failure.
pub(crate) fn list_elements<T: FromTerm>(
    target: &'static str,
    term: Term,
) -> Result<impl Iterator<Item = Result<T, ConvertError>>, ConvertError> {
    match term {
        Term::List(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, item)| T::from_term(item).map_err(|e| e.within(format!("[{i}]"))))),
        other => Err(ConvertError::new(target, "a proper list", &other)),
    }
}
