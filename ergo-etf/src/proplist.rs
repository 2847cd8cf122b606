//! Reading field-keyed Rust types from proplists (`[{Key, Value}]`, what Ergo's
//! `TermProplistIntoStruct` did) and from maps keyed by field-name atoms.
//!
//! There is one mechanism: a type that can be built from its fields implements [`FromFields`]
//! (`#[derive(Term)]` generates it for structs with named fields, whatever their encoding), and
//! a proplist is first turned into such a field map by [`proplist_to_fields`]. This module owns
//! only that; it must not know how a particular type lays out its fields.

use crate::{ConvertError, Map, Term};

/// A Rust type that can be built from a map of its fields, keyed by field-name atoms.
///
/// Keys the type does not know are ignored; a missing key is an error unless the field has a
/// default (`#[term(default)]`).
pub trait FromFields: Sized {
    /// Builds the value from its fields.
    fn from_fields(fields: Map) -> Result<Self, ConvertError>;
}

/// Reads a type with named fields from a proplist `[{field, Value}, ...]`.
///
/// As `proplists:get_value/2` does, the first entry for a key wins and a bare atom `key` means
/// `{key, true}`. Keys must be atoms; entries that are neither `{Atom, Value}` nor an atom are an
/// error (a proplist with them is probably not meant for this type).
pub fn from_proplist<T: FromFields>(term: Term) -> Result<T, ConvertError> {
    let target = std::any::type_name::<T>();
    T::from_fields(proplist_to_fields(target, term)?)
}

/// Turns a proplist into a map keyed by the atoms of the proplist; `target` names the Rust type
/// in errors. The first entry for a key wins; a bare atom `key` is `{key, true}`.
pub fn proplist_to_fields(target: &'static str, term: Term) -> Result<Map, ConvertError> {
    let Term::List(items) = term else {
        return Err(ConvertError::new(
            target,
            "a proplist [{Key, Value}]",
            &term,
        ));
    };
    let mut fields = Map::new();
    for (i, item) in items.into_iter().enumerate() {
        let expected = "a {Atom, Value} pair or an atom";
        let (key, value) = match item {
            Term::Atom(key) => (Term::Atom(key), Term::atom("true")),
            Term::Tuple(pair) => match <[Term; 2]>::try_from(pair) {
                Ok([Term::Atom(key), value]) => (Term::Atom(key), value),
                Ok(pair) => {
                    return Err(
                        ConvertError::new(target, expected, &Term::Tuple(pair.into()))
                            .within(format!("[{i}]")),
                    )
                }
                Err(elems) => {
                    return Err(ConvertError::new(target, expected, &Term::Tuple(elems))
                        .within(format!("[{i}]")))
                }
            },
            other => {
                return Err(ConvertError::new(target, expected, &other).within(format!("[{i}]")))
            }
        };
        if fields.get(&key).is_none() {
            fields.insert(key, value);
        }
    }
    Ok(fields)
}

/// Removes and returns the value under the atom key `key` (used by derived [`FromFields`] impls).
pub fn take_field(fields: &mut Map, key: &str) -> Option<Term> {
    fields.remove(&Term::atom(key))
}

/// The error for a field whose key is missing and that has no default.
pub fn missing_field(target: &'static str, field: &'static str) -> ConvertError {
    ConvertError {
        target,
        path: vec![field.to_owned()],
        expected: format!("a value under the key {field}"),
        found: "no such key".to_owned(),
    }
}
