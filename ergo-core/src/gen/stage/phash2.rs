//! `erlang:phash2/1,2`, bit for bit: the partition dispatcher's default hash must put an event in
//! the partition an Elixir producer would, so both sides of a mixed pipeline agree. Owns the
//! hash (Bob Jenkins' mix over the term's structure, hashpjw for atom names, the block hash for
//! binaries); must not know about stages.
//!
//! The walk follows the term's structure as the VM's does: a tuple hashes its arity then its
//! elements in order; a list hashes runs of byte-sized integers four at a time, every other
//! element on its own, then its tail; a map hashes its size then the xor of the hashes of its
//! pairs (so the order of keys does not matter); integers beyond 28 bits hash as 64-bit digits
//! with their sign; pids, references and ports hash their number only.

use ergo_etf::Term;

const HCONST: u32 = 0x9e37_79b9;
const HCONST_2: u32 = 0x3c6e_f372;
const HCONST_3: u32 = 0xdaa6_6d2b;
const HCONST_4: u32 = 0x78dd_e6e4;
const HCONST_5: u32 = 0x1715_609d;
const HCONST_6: u32 = 0xb54c_da56;
const HCONST_7: u32 = 0x5384_540f;
const HCONST_9: u32 = 0x8ff3_4781;
const HCONST_10: u32 = 0x2e2a_c13a;
const HCONST_11: u32 = 0xcc62_3af3;
const HCONST_12: u32 = 0x6a99_b4ac;
const HCONST_13: u32 = 0x08d1_2e65;
const HCONST_14: u32 = 0xa708_a81e;
const HCONST_15: u32 = 0x4540_21d7;
const HCONST_16: u32 = 0xe377_9b90;
const HCONST_19: u32 = 0xbe1e_08bb;
/// `[]` hashed first (the VM's shortcut for a hash of 0 so far).
const NIL_FIRST: u32 = 3_468_870_702;
/// The VM's type number for `[]` (its `NIL_DEF`), mixed in for a `[]` that is not first.
const NIL_WORD: u32 = 2;

/// `erlang:phash2(Term, Range)`: a value in `0..range` (`range` from 1 to 2^32).
pub fn phash2_range(term: &Term, range: u64) -> u64 {
    let hash = u64::from(phash2_full(term));
    if range == 0 {
        0
    } else {
        hash % range
    }
}

/// `erlang:phash2(Term)`: the 27 low bits of the full hash.
pub fn phash2(term: &Term) -> u32 {
    phash2_full(term) & ((1 << 27) - 1)
}

/// The full 32-bit hash, `erlang:phash2(Term, 1 bsl 32)`.
pub fn phash2_full(term: &Term) -> u32 {
    let mut h = Hasher { hash: 0 };
    h.term(term);
    h.hash
}

fn mix(mut a: u32, mut b: u32, mut c: u32) -> (u32, u32, u32) {
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 13);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 8);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 13);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 12);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 16);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 5);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 3);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 10);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 15);
    (a, b, c)
}

/// hashpjw over an atom's text, with the VM's folding of two-byte UTF-8 sequences of Latin-1
/// characters back to one byte.
pub(crate) fn atom_hash(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut h: u32 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let mut v = bytes[i];
        i += 1;
        if i < bytes.len() && (v & 0xfe) == 0xc2 && (bytes[i] & 0xc0) == 0x80 {
            v = (v << 6) | (bytes[i] & 0x3f);
            i += 1;
        }
        h = (h << 4).wrapping_add(u32::from(v));
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
            h ^= g;
        }
    }
    h
}

fn block_hash(bytes: &[u8], initval: u32) -> u32 {
    let word = |k: &[u8]| u32::from_le_bytes([k[0], k[1], k[2], k[3]]);
    let (mut a, mut b, mut c) = (HCONST, HCONST, initval);
    let mut chunks = bytes.chunks_exact(12);
    for k in &mut chunks {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        (a, b, c) = mix(a, b, c);
    }
    let rest = chunks.remainder();
    c = c.wrapping_add(bytes.len() as u32);
    let at = |i: usize, shift: u32| u32::from(rest[i]) << shift;
    let n = rest.len();
    if n >= 11 {
        c = c.wrapping_add(at(10, 24));
    }
    if n >= 10 {
        c = c.wrapping_add(at(9, 16));
    }
    if n >= 9 {
        c = c.wrapping_add(at(8, 8));
    }
    if n >= 8 {
        b = b.wrapping_add(at(7, 24));
    }
    if n >= 7 {
        b = b.wrapping_add(at(6, 16));
    }
    if n >= 6 {
        b = b.wrapping_add(at(5, 8));
    }
    if n >= 5 {
        b = b.wrapping_add(at(4, 0));
    }
    if n >= 4 {
        a = a.wrapping_add(at(3, 24));
    }
    if n >= 3 {
        a = a.wrapping_add(at(2, 16));
    }
    if n >= 2 {
        a = a.wrapping_add(at(1, 8));
    }
    if n >= 1 {
        a = a.wrapping_add(at(0, 0));
    }
    mix(a, b, c).2
}

struct Hasher {
    hash: u32,
}

impl Hasher {
    fn u32_2(&mut self, x: u32, y: u32, konst: u32) {
        let (_, _, c) = mix(konst.wrapping_add(x), konst.wrapping_add(y), self.hash);
        self.hash = c;
    }

    fn u32_1(&mut self, x: u32, konst: u32) {
        self.u32_2(x, 0, konst);
    }

    fn digits(&mut self, digits: &[u64], negative: bool) {
        let konst = if negative { HCONST_10 } else { HCONST_11 };
        for d in digits {
            self.u32_2(*d as u32, (*d >> 32) as u32, konst);
        }
    }

    fn int(&mut self, n: i64) {
        if (-(1 << 27)..(1 << 27)).contains(&n) {
            let y = n as i32;
            if y < 0 {
                self.u32_1(y.wrapping_neg() as u32, HCONST);
            }
            self.u32_1(y as u32, HCONST);
        } else {
            self.digits(&[n.unsigned_abs()], n < 0);
        }
    }

    fn atom(&mut self, text: &str) {
        let h = atom_hash(text);
        if self.hash == 0 {
            self.hash = h;
        } else {
            self.u32_1(h, HCONST_3);
        }
    }

    fn nil(&mut self) {
        if self.hash == 0 {
            self.hash = NIL_FIRST;
        } else {
            self.u32_1(NIL_WORD, HCONST_2);
        }
    }

    fn bytes(&mut self, bytes: &[u8], last: Option<(u8, u8)>) {
        let con = HCONST_13.wrapping_add(self.hash);
        if bytes.is_empty() && last.is_none() {
            self.hash = con;
            return;
        }
        self.hash = block_hash(bytes, con);
        if let Some((bits, byte)) = last {
            self.u32_2(u32::from(bits), u32::from(byte >> (8 - bits)), HCONST_15);
        }
    }

    /// A list's elements from `elems` then its `tail`: byte-sized integers four at a time,
    /// anything else on its own, the rest of the list after it as a list of its own.
    fn list(&mut self, elems: &[Term], tail: Option<&Term>) {
        let mut i = 0;
        loop {
            let (mut count, mut acc) = (0u32, 0u32);
            while let Some(Term::Int(b @ 0..=255)) = elems.get(i) {
                acc = (acc << 8).wrapping_add(*b as u32);
                if count == 3 {
                    self.u32_1(acc, HCONST_4);
                    count = 0;
                    acc = 0;
                } else {
                    count += 1;
                }
                i += 1;
            }
            if count > 0 {
                self.u32_1(acc, HCONST_4);
            }
            match elems.get(i) {
                Some(element) => {
                    self.term(element);
                    i += 1;
                }
                None => break,
            }
        }
        match tail {
            Some(t) => self.term(t),
            None => self.nil(),
        }
    }

    fn term(&mut self, term: &Term) {
        match term {
            Term::Atom(a) => self.atom(a.as_str()),
            Term::Int(n) => self.int(*n),
            Term::BigInt(b) => {
                let (sign, digits) = (b.sign(), b.magnitude().to_u64_digits());
                self.digits(&digits, sign == num_bigint::Sign::Minus);
            }
            Term::Float(f) => {
                let f = if *f == 0.0 { 0.0f64 } else { *f };
                let bits = f.to_bits();
                self.u32_2((bits >> 32) as u32, bits as u32, HCONST_12);
            }
            Term::Binary(b) => self.bytes(b, None),
            Term::BitBinary(bb) => {
                let n = bb.bytes.len();
                if n == 0 {
                    self.bytes(&[], None);
                } else if bb.bits_in_last >= 8 {
                    self.bytes(&bb.bytes, None);
                } else {
                    self.bytes(&bb.bytes[..n - 1], Some((bb.bits_in_last, bb.bytes[n - 1])));
                }
            }
            Term::Tuple(elems) => {
                self.u32_1(elems.len() as u32, HCONST_9);
                for e in elems {
                    self.term(e);
                }
            }
            Term::List(elems) if elems.is_empty() => self.nil(),
            Term::List(elems) => self.list(elems, None),
            Term::ImproperList(elems, tail) => self.list(elems, Some(tail)),
            Term::Map(map) => {
                self.u32_1(map.len() as u32, HCONST_16);
                if map.is_empty() {
                    return;
                }
                let saved = self.hash;
                let mut xor = 0u32;
                for (k, v) in map.iter() {
                    self.hash = 0;
                    self.term(k);
                    self.term(v);
                    xor ^= self.hash;
                }
                self.hash = saved;
                self.u32_1(xor, HCONST_19);
            }
            Term::Pid(p) => self.u32_1(p.id, HCONST_5),
            Term::Port(p) => self.u32_2(p.id as u32, (p.id >> 32) as u32, HCONST_6),
            Term::Reference(r) => {
                let first = r.ids.as_slice().first().copied().unwrap_or(0);
                self.u32_1(first, HCONST_7);
            }
            Term::Export(e) => {
                self.u32_2(u32::from(e.arity), atom_hash(e.module.as_str()), HCONST);
                self.u32_1(atom_hash(e.function.as_str()), HCONST_14);
            }
            Term::Fun(f) => {
                let old_uniq = match &f.old_uniq {
                    Term::Int(n) => *n as u32,
                    _ => 0,
                };
                self.u32_2(
                    f.free_vars.len() as u32,
                    atom_hash(f.module.as_str()),
                    HCONST,
                );
                self.u32_2(f.index, old_uniq, HCONST);
                for v in &f.free_vars {
                    self.term(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_hash_is_hashpjw() {
        // hashpjw("a") = 97; two letters shift the first by 4 bits.
        assert_eq!(atom_hash("a"), 97);
        assert_eq!(atom_hash("ab"), (97 << 4) + 98);
        // "é" as UTF-8 (C3 A9) folds to the Latin-1 byte E9.
        assert_eq!(atom_hash("é"), 0xe9);
    }

    #[test]
    fn nil_first_is_the_shortcut_value() {
        assert_eq!(phash2_full(&Term::nil()), NIL_FIRST);
    }

    #[test]
    fn range_reduces_the_full_hash() {
        let t = Term::Int(12345);
        assert_eq!(phash2_range(&t, 7), u64::from(phash2_full(&t)) % 7);
        assert_eq!(phash2_range(&t, 1), 0);
    }
}
