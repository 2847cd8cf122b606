//! Collections: sequences and sets as proper lists, `HashMap`/`BTreeMap` as maps. Element and
//! value errors name the index (`[3]`) or the key (`{key}`) where they happened.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use super::list_elements;
use crate::{ConvertError, FromTerm, IntoTerm, Map, Term};

impl<T: IntoTerm> IntoTerm for Vec<T> {
    fn into_term(self) -> Term {
        Term::List(self.into_iter().map(IntoTerm::into_term).collect())
    }
}

impl<T: FromTerm> FromTerm for Vec<T> {
    fn from_term(term: Term) -> Result<Vec<T>, ConvertError> {
        list_elements("Vec", term)?.collect()
    }
}

impl<T: IntoTerm + Clone> IntoTerm for &[T] {
    fn into_term(self) -> Term {
        Term::List(self.iter().cloned().map(IntoTerm::into_term).collect())
    }
}

impl<T: IntoTerm, const N: usize> IntoTerm for [T; N] {
    fn into_term(self) -> Term {
        Term::List(self.into_iter().map(IntoTerm::into_term).collect())
    }
}

impl<T: IntoTerm> IntoTerm for VecDeque<T> {
    fn into_term(self) -> Term {
        Term::List(self.into_iter().map(IntoTerm::into_term).collect())
    }
}

impl<T: FromTerm> FromTerm for VecDeque<T> {
    fn from_term(term: Term) -> Result<VecDeque<T>, ConvertError> {
        list_elements("VecDeque", term)?.collect()
    }
}

impl<T: IntoTerm, S> IntoTerm for HashSet<T, S> {
    fn into_term(self) -> Term {
        Term::List(self.into_iter().map(IntoTerm::into_term).collect())
    }
}

impl<T: FromTerm + Eq + Hash, S: BuildHasher + Default> FromTerm for HashSet<T, S> {
    fn from_term(term: Term) -> Result<HashSet<T, S>, ConvertError> {
        list_elements("HashSet", term)?.collect()
    }
}

impl<T: IntoTerm> IntoTerm for BTreeSet<T> {
    fn into_term(self) -> Term {
        Term::List(self.into_iter().map(IntoTerm::into_term).collect())
    }
}

impl<T: FromTerm + Ord> FromTerm for BTreeSet<T> {
    fn from_term(term: Term) -> Result<BTreeSet<T>, ConvertError> {
        list_elements("BTreeSet", term)?.collect()
    }
}

/// Reads each entry of a map with `K::from_term` and `V::from_term`, naming the key on failure.
fn map_entries<K: FromTerm, V: FromTerm>(
    target: &'static str,
    term: Term,
) -> Result<impl Iterator<Item = Result<(K, V), ConvertError>>, ConvertError> {
    match term {
        Term::Map(map) => Ok(map.into_entries().into_iter().map(|(k, v)| {
            let label = format!("{{{k:?}}}");
            let key = K::from_term(k).map_err(|e| e.within(label.clone()))?;
            let value = V::from_term(v).map_err(|e| e.within(label))?;
            Ok((key, value))
        })),
        other => Err(ConvertError::new(target, "a map", &other)),
    }
}

impl<K: IntoTerm, V: IntoTerm, S> IntoTerm for HashMap<K, V, S> {
    fn into_term(self) -> Term {
        Term::Map(Map::from_pairs(
            self.into_iter()
                .map(|(k, v)| (k.into_term(), v.into_term())),
        ))
    }
}

impl<K: FromTerm + Eq + Hash, V: FromTerm, S: BuildHasher + Default> FromTerm for HashMap<K, V, S> {
    fn from_term(term: Term) -> Result<HashMap<K, V, S>, ConvertError> {
        map_entries("HashMap", term)?.collect()
    }
}

impl<K: IntoTerm, V: IntoTerm> IntoTerm for BTreeMap<K, V> {
    fn into_term(self) -> Term {
        Term::Map(Map::from_pairs(
            self.into_iter()
                .map(|(k, v)| (k.into_term(), v.into_term())),
        ))
    }
}

impl<K: FromTerm + Ord, V: FromTerm> FromTerm for BTreeMap<K, V> {
    fn from_term(term: Term) -> Result<BTreeMap<K, V>, ConvertError> {
        map_entries("BTreeMap", term)?.collect()
    }
}
