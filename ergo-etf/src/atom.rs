//! Atoms: cheap to clone and compare, and bounded.
//!
//! An [`Atom`] is a reference-counted string. Frequently seen atoms are interned in a bounded
//! table so that equal atoms usually share one allocation (and compare by pointer); once the table
//! is full, new atoms are still created but not interned, so nothing a peer sends can make the table
//! grow without limit. Atoms are freed when the last clone drops, unlike the BEAM's atom table.
//!
//! This module must not know about encoding: the codec asks it for atoms by text.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

/// The most characters an atom may have (Erlang's limit: 255 characters, not bytes).
pub const MAX_ATOM_CHARS: usize = 255;

/// How many distinct atoms the intern table keeps at most.
const INTERN_CAPACITY: usize = 65_536;

/// An Erlang atom. Clone is a reference-count increment; equality compares the text (pointer
/// equality first).
#[derive(Clone)]
pub struct Atom(Arc<str>);

fn table() -> &'static RwLock<HashMap<Arc<str>, ()>> {
    static TABLE: OnceLock<RwLock<HashMap<Arc<str>, ()>>> = OnceLock::new();
    TABLE.get_or_init(|| RwLock::new(HashMap::new()))
}

/// How many atoms each thread's front cache holds (two-way set-associative by a hash of the
/// text: slots `2k` and `2k + 1` form a set).
const FRONT_SLOTS: usize = 512;

thread_local! {
    /// Each thread's front cache: recently made atoms, so decoding the same atoms over and over
    /// (node names, message tags) takes neither the table's lock nor its SipHash. It holds at most
    /// `FRONT_SLOTS` atoms per thread, so the bound on memory stays.
    static FRONT: std::cell::RefCell<Vec<Option<Atom>>> = std::cell::RefCell::new(vec![None; FRONT_SLOTS]);
}

/// The front-cache slot of a text: a multiply-mix of its length and its first and last 8 bytes
/// (cheap; a collision only costs a slow-path lookup).
#[inline]
fn front_slot(text: &str) -> usize {
    front_slot_bytes(text.as_bytes())
}

#[inline]
fn front_slot_bytes(b: &[u8]) -> usize {
    let word = |s: &[u8]| {
        let mut w = [0u8; 8];
        let n = s.len().min(8);
        w[..n].copy_from_slice(&s[..n]);
        u64::from_le_bytes(w)
    };
    let head = word(b);
    let tail = word(&b[b.len().saturating_sub(8)..]);
    let mut h = (head ^ (b.len() as u64).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h = (h ^ tail).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 40) as usize % FRONT_SLOTS
}

impl Atom {
    /// Makes an atom from its text, reusing an interned copy when one exists.
    ///
    /// The caller is responsible for the 255-character limit where it matters (the decoder and
    /// [`Atom::try_new`] check it); this constructor accepts any text so that Rust code can build
    /// atoms freely.
    pub fn new(text: &str) -> Atom {
        // Fast path: this thread's small cache of recently made atoms (no lock, no SipHash).
        if let Some(a) = Atom::cached_from_utf8(text.as_bytes()) {
            return a;
        }
        let atom = Atom::new_shared(text);
        let slot = front_slot(text);
        FRONT.with(|front| {
            let mut front = front.borrow_mut();
            // Two-way set: the newcomer takes the first way, the old first way moves to the
            // second, so two hot atoms that share a set do not evict each other.
            let old = front.get_mut(slot).map(|e| e.replace(atom.clone()));
            if let (Some(old), Some(second)) = (old, front.get_mut(slot ^ 1)) {
                *second = old;
            }
        });
        atom
    }

    /// The atom whose UTF-8 text is `bytes`, if this thread's front cache holds it: lets the
    /// decoder skip UTF-8 validation for atoms it has seen (equal bytes are valid UTF-8).
    #[inline]
    pub(crate) fn cached_from_utf8(bytes: &[u8]) -> Option<Atom> {
        let slot = front_slot_bytes(bytes);
        FRONT.with(|front| {
            let front = front.borrow();
            for way in [slot, slot ^ 1] {
                if let Some(Some(a)) = front.get(way) {
                    if a.as_str().as_bytes() == bytes {
                        return Some(a.clone());
                    }
                }
            }
            None
        })
    }

    /// The shared-table path of [`Atom::new`].
    fn new_shared(text: &str) -> Atom {
        if let Ok(t) = table().read() {
            if let Some((k, _)) = t.get_key_value(text) {
                return Atom(k.clone());
            }
        }
        let arc: Arc<str> = Arc::from(text);
        if let Ok(mut t) = table().write() {
            if t.len() < INTERN_CAPACITY {
                if let Some((k, _)) = t.get_key_value(text) {
                    return Atom(k.clone());
                }
                t.insert(arc.clone(), ());
            }
        }
        Atom(arc)
    }

    /// Makes an atom, refusing text longer than 255 characters.
    pub fn try_new(text: &str) -> Option<Atom> {
        if text.chars().count() > MAX_ATOM_CHARS {
            None
        } else {
            Some(Atom::new(text))
        }
    }

    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}
impl Eq for Atom {}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}
impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Atom) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Atom {
    /// Erlang orders atoms by their text, codepoint by codepoint (which is byte order in UTF-8).
    fn cmp(&self, other: &Atom) -> std::cmp::Ordering {
        self.0.as_bytes().cmp(other.0.as_bytes())
    }
}

impl Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Atom {
        Atom::new(s)
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atom({:?})", &*self.0)
    }
}

impl fmt::Display for Atom {
    /// The bare text (no quoting); `Term`'s Display quotes as Erlang does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_atoms_share_text() {
        let a = Atom::new("hello");
        let b = Atom::new("hello");
        assert_eq!(a, b);
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_ne!(a, Atom::new("world"));
    }

    #[test]
    fn front_cache_hits_share_the_interned_text_across_threads() {
        let here = Atom::new("front_cache_probe");
        let again = Atom::new("front_cache_probe");
        assert!(Arc::ptr_eq(&here.0, &again.0));
        let there = std::thread::spawn(|| Atom::new("front_cache_probe"))
            .join()
            .ok();
        assert!(there.is_some_and(|t| Arc::ptr_eq(&t.0, &here.0)));
        // Many atoms that collide in the small cache still come back right.
        for i in 0..5000 {
            let text = format!("probe_{i}");
            assert_eq!(Atom::new(&text).as_str(), text);
            assert_eq!(
                Atom::cached_from_utf8(text.as_bytes()).map(|a| a.as_str() == text),
                Some(true)
            );
        }
    }

    #[test]
    fn try_new_counts_characters() {
        assert!(Atom::try_new(&"ö".repeat(255)).is_some());
        assert!(Atom::try_new(&"a".repeat(256)).is_none());
    }
}
