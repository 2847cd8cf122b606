//! Atoms: cheap to clone and compare, and bounded.
//!
//! An [`Atom`] is either interned or owned. Atoms are interned in a bounded table that never
//! frees them, so an interned atom is a plain `&'static` pointer: cloning and dropping it touch
//! no reference count, and two interned atoms are equal exactly when their pointers are. Once the
//! table is full, new atoms are still created but as reference-counted owned text (freed when the
//! last clone drops), so nothing a peer sends can make the table grow without limit.
//!
//! Each interned atom of at most 255 bytes also keeps its own ETF encoding (SMALL_ATOM_UTF8, tag
//! and length included), so the encoder writes it with one copy. This module owns those bytes
//! and a per-thread cache in front of the table, but not the rest of the codec, which asks it
//! for atoms by text.

use std::borrow::Borrow;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

use crate::tag::SMALL_ATOM_UTF8_EXT;

/// The most characters an atom may have (Erlang's limit: 255 characters, not bytes).
pub const MAX_ATOM_CHARS: usize = 255;

/// How many distinct atoms the intern table keeps at most.
const INTERN_CAPACITY: usize = 65_536;

/// An Erlang atom. Clone is a pointer copy for interned atoms (a reference-count increment for
/// the rare owned ones); equality is pointer equality between interned atoms, text otherwise.
#[derive(Clone)]
pub struct Atom(Repr);

#[derive(Clone)]
enum Repr {
    /// In the intern table, which never frees: no reference count.
    Interned(&'static Interned),
    /// Made after the table filled up: reference-counted, freed with its last clone.
    Owned(Arc<str>),
}

/// An interned atom's text and its encoding, leaked once by the table.
struct Interned {
    text: &'static str,
    key: Key,
    /// [`Atom::quick_hash`], computed once.
    hash: u64,
    /// `119, len, text`; empty above 255 bytes (the encoder then checks the character limit).
    ext: &'static [u8],
    /// `ext` followed by zeros when `ext` is at most 32 bytes long (`ext32_len` is then its
    /// length, otherwise 0), kept inline so the encoder reaches it in one indirection.
    ext32: [u8; 32],
    ext32_len: u8,
}

type Table = HashMap<&'static str, &'static Interned>;

fn table() -> &'static RwLock<Table> {
    static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();
    TABLE.get_or_init(|| RwLock::new(HashMap::new()))
}

/// How many atoms each thread's front cache holds (two-way set-associative by a hash of the
/// text: slots `2k` and `2k + 1` form a set).
const FRONT_SLOTS: usize = 512;

thread_local! {
    /// Each thread's front cache: recently made interned atoms, so decoding the same atoms over
    /// and over (node names, message tags) takes neither the table's lock nor its SipHash. Its
    /// entries are `&'static` pointers into the bounded table, so it costs no memory of its own
    /// beyond the slots.
    static FRONT: [Cell<Option<&'static Interned>>; FRONT_SLOTS] =
        const { [const { Cell::new(None) }; FRONT_SLOTS] };
}

/// A text's length and its first and last 8 bytes (zero-padded when shorter): equal keys mean
/// equal texts up to 16 bytes, and the key is the front cache's hash input.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    len: usize,
    head: u64,
    tail: u64,
}

/// The bytes of a text shorter than 8 bytes as a little-endian word, zero-padded. Built from
/// two overlapping loads (their common bytes are equal, so OR-ing them is exact) rather than a
/// copy into a stack buffer, which would stall the load that follows it.
#[inline(always)]
fn short_word(b: &[u8]) -> u64 {
    let n = b.len();
    match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        (Some(lo), Some(hi)) => {
            u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4))
        }
        _ => match (b.first_chunk::<2>(), b.last_chunk::<2>()) {
            (Some(lo), Some(hi)) => {
                u64::from(u16::from_le_bytes(*lo))
                    | u64::from(u16::from_le_bytes(*hi)) << (8 * (n - 2))
            }
            _ => b.first().map_or(0, |&x| u64::from(x)),
        },
    }
}

impl Key {
    #[inline(always)]
    fn of(b: &[u8]) -> Key {
        let (head, tail) = match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
            (Some(h), Some(t)) => (u64::from_le_bytes(*h), u64::from_le_bytes(*t)),
            _ => {
                let v = short_word(b);
                (v, v)
            }
        };
        Key {
            len: b.len(),
            head,
            tail,
        }
    }

    /// Whether a text with this key is `b`, knowing `b`'s key is `self`.
    #[inline(always)]
    fn matches(&self, other: &Interned, b: &[u8]) -> bool {
        other.key == *self && (self.len <= 16 || other.text.as_bytes() == b)
    }

    /// A multiply-mix of the key in which every output bit depends on every input bit (cheap;
    /// equal texts mix alike, and texts longer than 16 bytes that differ only in the middle
    /// collide, which only costs the front cache a miss).
    #[inline(always)]
    fn mix(&self) -> u64 {
        let h = fold(self.head ^ (self.len as u64).rotate_left(32));
        fold(fold(h ^ self.tail))
    }

    /// The first slot of this key's set in the front cache (a collision only costs a slow-path
    /// lookup).
    #[inline(always)]
    fn front_slot(&self) -> usize {
        ((self.mix() >> 40) as usize % FRONT_SLOTS) & !1
    }
}

/// One round of the hashes here: a multiply, then the high half folded down. A product's bit k
/// depends only on its factors' bits 0..=k, so without the fold two texts that differ only in
/// a word's high bytes (`bench_a_1@h` and `bench_b_1@h`) would agree in every low bit.
#[inline(always)]
fn fold(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 32)
}

/// A hash of the whole text: the key's mix, then the bytes the key leaves out (those between
/// the first and the last 8), a word at a time.
fn text_hash(b: &[u8]) -> u64 {
    let mut h = Key::of(b).mix();
    if let Some(middle) = b.get(8..b.len().saturating_sub(8)) {
        for chunk in middle.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            h = fold(h ^ u64::from_le_bytes(word));
        }
        h = fold(h);
    }
    h
}

/// Leaks one atom's text and encoding for the intern table (bounded by `INTERN_CAPACITY`).
fn leak_interned(text: &str) -> Option<&'static Interned> {
    let head = if text.len() <= 255 { 2 } else { 0 };
    let mut buf = Vec::with_capacity((text.len() + head).max(32));
    if head == 2 {
        // 255 bytes are at most 255 characters: always a valid SMALL_ATOM_UTF8.
        buf.extend_from_slice(&[SMALL_ATOM_UTF8_EXT, text.len() as u8]);
    }
    buf.extend_from_slice(text.as_bytes());
    let used = buf.len();
    // Zero padding up to 32 bytes, so the encoder can copy short atoms as one fixed-size chunk.
    buf.resize(used.max(32), 0);
    let buf: &'static [u8] = Box::leak(buf.into_boxed_slice());
    let text = std::str::from_utf8(buf.get(head..used)?).ok()?;
    let ext = if head == 2 { buf.get(..used)? } else { &[] };
    let (ext32, ext32_len) = match buf.first_chunk::<32>() {
        Some(chunk) if head == 2 && used <= 32 => (*chunk, used as u8),
        _ => ([0; 32], 0),
    };
    Some(Box::leak(Box::new(Interned {
        text,
        key: Key::of(text.as_bytes()),
        hash: text_hash(text.as_bytes()),
        ext,
        ext32,
        ext32_len,
    })))
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
        match Atom::intern(text) {
            Some(interned) => {
                let slot = Key::of(text.as_bytes()).front_slot();
                FRONT.with(|front| {
                    // Two-way set: the newcomer takes the first way, the old first way moves to
                    // the second, so two hot atoms that share a set do not evict each other.
                    if let (Some(first), Some(second)) = (front.get(slot), front.get(slot ^ 1)) {
                        second.set(first.replace(Some(interned)));
                    }
                });
                Atom(Repr::Interned(interned))
            }
            None => Atom(Repr::Owned(Arc::from(text))),
        }
    }

    /// The atom whose UTF-8 text is `bytes`, if this thread's front cache holds it: lets the
    /// decoder skip UTF-8 validation for atoms it has seen (equal bytes are valid UTF-8).
    #[inline(always)]
    pub(crate) fn cached_from_utf8(bytes: &[u8]) -> Option<Atom> {
        let key = Key::of(bytes);
        let slot = key.front_slot();
        let (first, second) = FRONT.with(|front| {
            (
                front.get(slot).and_then(Cell::get),
                front.get(slot ^ 1).and_then(Cell::get),
            )
        });
        match (first, second) {
            (Some(i), _) if key.matches(i, bytes) => Some(Atom(Repr::Interned(i))),
            (_, Some(i)) if key.matches(i, bytes) => Some(Atom(Repr::Interned(i))),
            _ => None,
        }
    }

    /// The table's entry for `text`, added if there is room; `None` once the table is full.
    fn intern(text: &str) -> Option<&'static Interned> {
        if let Ok(t) = table().read() {
            if let Some(i) = t.get(text) {
                return Some(i);
            }
        }
        let mut t = table().write().ok()?;
        if let Some(i) = t.get(text) {
            return Some(i);
        }
        if t.len() >= INTERN_CAPACITY {
            return None;
        }
        let interned = leak_interned(text)?;
        t.insert(interned.text, interned);
        Some(interned)
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
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Interned(i) => i.text,
            Repr::Owned(a) => a,
        }
    }

    /// A 64-bit hash of the whole text, for tables that pick a slot per atom (such as the
    /// distribution atom cache): equal atoms hash alike, and every bit of it depends on every
    /// byte. An interned atom's hash was computed when it was interned, so this reads neither
    /// the text nor a lock. It is no defence against chosen collisions and is not the [`Hash`]
    /// impl (which hashes as `str` does).
    #[inline]
    pub fn quick_hash(&self) -> u64 {
        match &self.0 {
            Repr::Interned(i) => i.hash,
            Repr::Owned(a) => text_hash(a.as_bytes()),
        }
    }

    /// The atom's SMALL_ATOM_UTF8 encoding (119, length, text) when it is interned and at most
    /// 255 bytes long: what the encoder writes for it, in one copy.
    #[inline]
    pub(crate) fn interned_ext(&self) -> Option<&'static [u8]> {
        match &self.0 {
            Repr::Interned(i) if !i.ext.is_empty() => Some(i.ext),
            _ => None,
        }
    }
}

impl Atom {
    /// [`Atom::interned_ext`] zero-padded to 32 bytes, and its real length, for atoms whose
    /// encoding fits: the encoder copies the whole chunk and then drops the padding.
    #[inline]
    pub(crate) fn interned_ext32(&self) -> Option<(&'static [u8; 32], usize)> {
        match &self.0 {
            Repr::Interned(i) if i.ext32_len > 0 => Some((&i.ext32, usize::from(i.ext32_len))),
            _ => None,
        }
    }
}

impl PartialEq for Atom {
    #[inline]
    fn eq(&self, other: &Atom) -> bool {
        match (&self.0, &other.0) {
            // The table holds one entry per text, so equal interned atoms are the same entry.
            (Repr::Interned(a), Repr::Interned(b)) => std::ptr::eq(*a, *b),
            _ => self.as_str() == other.as_str(),
        }
    }
}
impl Eq for Atom {}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, since `Atom: Borrow<str>`.
        self.as_str().hash(state)
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
        if let (Repr::Interned(a), Repr::Interned(b)) = (&self.0, &other.0) {
            if std::ptr::eq(*a, *b) {
                return std::cmp::Ordering::Equal;
            }
        }
        self.as_str().as_bytes().cmp(other.as_str().as_bytes())
    }
}

impl Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Atom {
        Atom::new(s)
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atom({:?})", self.as_str())
    }
}

impl fmt::Display for Atom {
    /// The bare text (no quoting); `Term`'s Display quotes as Erlang does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_entry(a: &Atom, b: &Atom) -> bool {
        matches!((&a.0, &b.0), (Repr::Interned(x), Repr::Interned(y)) if std::ptr::eq(*x, *y))
    }

    #[test]
    fn equal_atoms_share_one_entry() {
        let a = Atom::new("hello");
        let b = Atom::new("hello");
        assert_eq!(a, b);
        assert!(same_entry(&a, &b));
        assert_ne!(a, Atom::new("world"));
        assert_eq!(a.interned_ext(), Some(&b"\x77\x05hello"[..]));
        let (chunk, n) = a.interned_ext32().unwrap_or((&[0; 32], 0));
        assert_eq!(&chunk[..n], b"\x77\x05hello");
        assert!(chunk[n..].iter().all(|&b| b == 0));
        // Owned and interned atoms with the same text are equal, hash and order alike.
        let owned = Atom(Repr::Owned(Arc::from("hello")));
        assert_eq!(owned, a);
        assert_eq!(owned.quick_hash(), a.quick_hash());
        assert_ne!(a.quick_hash(), Atom::new("world").quick_hash());
        assert_eq!(owned.cmp(&a), std::cmp::Ordering::Equal);
        assert!(owned.interned_ext().is_none());
        let h = |x: &Atom| {
            let mut s = std::collections::hash_map::DefaultHasher::new();
            x.hash(&mut s);
            s.finish()
        };
        assert_eq!(h(&owned), h(&a));
    }

    /// Texts that differ in one byte, wherever it is, differ in the low, middle and high bits of
    /// their hash: tables take any of them. (Regression: node names that differed in their 7th
    /// byte, such as `bench_a_1@localhost` and `bench_b_1@localhost`, agreed in every bit below
    /// 48, and names longer than 16 bytes that differed only in the middle agreed in every bit;
    /// either way they shared one distribution atom cache slot and each message re-sent both
    /// texts.) Interned and owned atoms hash alike.
    #[test]
    fn one_byte_apart_hashes_apart() {
        let bits = |h: u64, shift: u32| (h >> shift) & 0xffff;
        for len in 1..=40usize {
            let base: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let h0 = Atom::new(&base).quick_hash();
            for pos in 0..len {
                let mut other = base.clone().into_bytes();
                other[pos] = if other[pos] == b'z' {
                    b'y'
                } else {
                    other[pos] + 1
                };
                let other = String::from_utf8(other).unwrap_or_default();
                let h1 = Atom::new(&other).quick_hash();
                assert_eq!(
                    h1,
                    Atom(Repr::Owned(Arc::from(other.as_str()))).quick_hash()
                );
                for shift in [0, 16, 32, 48] {
                    assert_ne!(
                        bits(h0, shift),
                        bits(h1, shift),
                        "{base} / {other}, bits {shift}.."
                    );
                }
            }
        }
    }

    #[test]
    fn long_atoms_have_no_small_encoding() {
        let text = "ö".repeat(200);
        let a = Atom::new(&text);
        assert_eq!(a.as_str(), text);
        assert!(a.interned_ext().is_none());
        assert_eq!(Atom::new(&text), a);
    }

    #[test]
    fn front_cache_hits_share_the_interned_text_across_threads() {
        let here = Atom::new("front_cache_probe");
        let again = Atom::new("front_cache_probe");
        assert!(same_entry(&here, &again));
        let there = std::thread::spawn(|| Atom::new("front_cache_probe"))
            .join()
            .ok();
        assert!(there.is_some_and(|t| same_entry(&t, &here)));
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
    fn the_front_cache_never_confuses_texts_that_differ_in_one_byte() {
        // Every length around the 8- and 16-byte key boundaries, every position changed.
        for len in 0..=40usize {
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let atom = Atom::new(&text);
            assert_eq!(
                Atom::cached_from_utf8(text.as_bytes()).as_ref(),
                Some(&atom)
            );
            for pos in 0..len {
                let mut other = text.clone().into_bytes();
                other[pos] = b'Z';
                let hit = Atom::cached_from_utf8(&other);
                assert!(
                    hit.map_or(true, |a| a.as_str().as_bytes() == other.as_slice()),
                    "{text:?} changed at {pos}"
                );
            }
            let longer = format!("{text}!");
            assert!(
                Atom::cached_from_utf8(longer.as_bytes()).map_or(true, |a| a.as_str() == longer)
            );
        }
    }

    #[test]
    fn try_new_counts_characters() {
        assert!(Atom::try_new(&"ö".repeat(255)).is_some());
        assert!(Atom::try_new(&"a".repeat(256)).is_none());
    }
}
