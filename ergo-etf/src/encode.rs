//! The ETF encoder: [`Term`] to bytes, in the modern forms a current OTP node emits.
//!
//! This module owns the byte layout of every term we send and the [`AtomEncoder`] hook the
//! distribution layer uses for its atom cache. It must not decode (see `decode`) nor compress
//! (see `compress`), and knows nothing of distribution headers.
//!
//! Choices, where OTP leaves room:
//! - Integers take the smallest form: SMALL_INTEGER (97) for 0..=255, INTEGER (98) for the
//!   rest of the `i32` range, SMALL_BIG (110) / LARGE_BIG (111) with a minimal magnitude.
//! - Atoms are SMALL_ATOM_UTF8 (119), or ATOM_UTF8 (118) above 255 bytes. OTP 25's
//!   `term_to_binary` emits Latin-1 ATOM_EXT (100) where it can; both decode to the same atom.
//! - A proper list of 1..=65535 integers in 0..=255 is STRING_EXT (107), as OTP itself emits it
//!   (both `term_to_binary` and the distribution do): this keeps our output byte-identical to
//!   OTP's and is 4-9x smaller than LIST_EXT for such lists. Every other list is LIST (108).
//! - Ports are NEW_PORT (89) while the id fits the 28 bits every OTP release accepts, V4_PORT
//!   (120) above that; pids are NEW_PID (88); references NEWER_REFERENCE (90).
//! - A `BitBinary` with 8 bits in its last byte is a whole binary and is sent as BINARY (109).
//! - Map keys are written in OTP's map key order (integers before floats), so small maps are
//!   byte-identical to OTP's; maps over 32 keys OTP writes in hash order, which we do not copy.
//! - An `ImproperList` is written as given; one that breaks its invariant (no elements, or a list
//!   tail) decodes back to the normalised term (`Term::cons`).

use bytes::Bytes;
use num_bigint::Sign;

use crate::codec_error::EncodeError;
use crate::decode::MAX_NESTING_DEPTH;
use crate::iovec::{splices_len, Splice, SPLICE_MIN_BYTES};
use crate::tag::*;
use crate::term::{BitBinary, Fun, Pid, Port, Reference};
use crate::{Atom, Map, Term, MAX_ATOM_CHARS};

/// Lets the distribution layer replace atoms by atom-cache references while a term is encoded.
pub trait AtomEncoder {
    /// Writes a cache reference for `atom` into `out` (e.g. `82, index`) and returns true, or
    /// returns false (writing nothing) so that the encoder writes the atom itself.
    fn encode_atom(&mut self, atom: &Atom, out: &mut Vec<u8>) -> bool;

    /// Whether [`AtomEncoder::encode_atom`] always returns false, so the encoder may write
    /// atoms without asking (the default, false, always asks).
    fn is_passive(&self) -> bool {
        false
    }
}

/// An atom cache that holds nothing: every atom is written in full, and every ATOM_CACHE_REF
/// (tag 82) is refused when decoding.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAtomCache;

impl AtomEncoder for NoAtomCache {
    #[inline]
    fn encode_atom(&mut self, _atom: &Atom, _out: &mut Vec<u8>) -> bool {
        false
    }

    #[inline]
    fn is_passive(&self) -> bool {
        true
    }
}

/// Encodes a term as a stand-alone external term: `131` then the term.
#[inline]
pub fn to_bytes(term: &Term) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(size_hint(term) + 1);
    out.push(VERSION_MAGIC);
    let (out, result) = Encoder::new(out, &mut NoAtomCache, None).run(term);
    result.map(|()| out)
}

/// Appends the encoding of `term` (no 131 prefix) to `out`, asking `atoms` about every atom.
///
/// On error `out` may hold a partial encoding after its original contents.
///
/// Generic over the atom encoder so that a concrete one is inlined; `&mut dyn AtomEncoder`
/// works as before.
#[inline]
pub fn encode_term_into<A: AtomEncoder + ?Sized>(
    term: &Term,
    out: &mut Vec<u8>,
    atoms: &mut A,
) -> Result<(), EncodeError> {
    // A reused buffer usually has room already; the guess is only worth making when it has
    // little (a binary reserves its own length anyway).
    if out.capacity() - out.len() < 64 {
        out.reserve(size_hint(term));
    }
    let (buf, result) = Encoder::new(std::mem::take(out), atoms, None).run(term);
    *out = buf;
    result
}

/// Like [`encode_term_into`], but binaries of [`SPLICE_MIN_BYTES`] or more are not copied:
/// their header goes into `out` and their bytes are recorded in `splices` (a reference-counted
/// slice, positioned at the offset in `out` where they belong). The encoding is `out` with every
/// splice inserted at its offset; [`crate::iovec::pieces`] walks it in order.
///
/// On error `out` may hold a partial encoding and `splices` entries for it.
#[inline]
pub fn encode_term_spliced<A: AtomEncoder + ?Sized>(
    term: &Term,
    out: &mut Vec<u8>,
    splices: &mut Vec<Splice>,
    atoms: &mut A,
) -> Result<(), EncodeError> {
    if out.capacity() - out.len() < 64 {
        out.reserve(size_hint(term).min(4096));
    }
    let (buf, result) = Encoder::new(std::mem::take(out), atoms, Some(splices)).run(term);
    *out = buf;
    result
}

/// A cheap guess of the encoded size, so the output buffer is usually allocated once: it looks
/// only at the top level (binaries count in full, anything else as 32 bytes). Walking the whole
/// term for an exact size costs more than the occasional buffer growth it would save.
pub(crate) fn size_hint(term: &Term) -> usize {
    fn shallow(t: &Term) -> usize {
        match t {
            Term::Binary(b) => b.len() + 5,
            Term::BitBinary(b) => b.bytes.len() + 6,
            _ => 32,
        }
    }
    let guess = match term {
        Term::Tuple(t) | Term::List(t) => 6 + t.iter().map(shallow).sum::<usize>(),
        Term::Map(m) => {
            5 + m
                .iter()
                .map(|(k, v)| shallow(k) + shallow(v))
                .sum::<usize>()
        }
        other => shallow(other),
    };
    guess.max(128)
}

/// Appends the 119/118 form of an atom, checking the 255-character limit.
pub(crate) fn write_atom_text(out: &mut Vec<u8>, atom: &Atom) -> Result<(), EncodeError> {
    let text = atom.as_str();
    let len = text.len();
    if len <= 255 {
        // 255 bytes are at most 255 characters.
        out.reserve(len + 2);
        out.push(SMALL_ATOM_UTF8_EXT);
        out.push(len as u8);
    } else {
        let chars = text.chars().count();
        if chars > MAX_ATOM_CHARS {
            return Err(EncodeError::AtomTooLong {
                text: text.chars().take(32).collect(),
                chars,
            });
        }
        // At most 255 characters of at most 4 bytes: fits a u16.
        out.reserve(len + 3);
        out.push(ATOM_UTF8_EXT);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Whether a proper list is sent as STRING_EXT (see the module doc).
fn is_byte_string(elems: &[Term]) -> bool {
    !elems.is_empty()
        && elems.len() <= 0xFFFF
        && elems
            .iter()
            .all(|e| matches!(e, Term::Int(i) if (0..=255).contains(i)))
}

/// Keys whose term order is also OTP's map key order (no floats anywhere inside).
fn plain_key(k: &Term) -> bool {
    matches!(
        k,
        Term::Atom(_)
            | Term::Int(_)
            | Term::BigInt(_)
            | Term::Binary(_)
            | Term::Pid(_)
            | Term::Reference(_)
    )
}

/// OTP's map key order, in which OTP writes the keys of small maps: term order, except that
/// every integer sorts before every float (at any depth), so `#{1 => a, 0.0 => b}` is written
/// key 1 first. Our `Map` keeps plain term order, so keys holding floats are re-sorted here.
fn map_key_cmp(a: &Term, b: &Term) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let is_int = |t: &Term| matches!(t, Term::Int(_) | Term::BigInt(_));
    let as_list = |t: &'_ Term| -> Option<(usize, bool)> {
        match t {
            Term::List(x) if !x.is_empty() => Some((x.len(), false)),
            Term::ImproperList(x, _) => Some((x.len(), true)),
            _ => None,
        }
    };
    match (a, b) {
        (Term::Float(_), x) if is_int(x) => Ordering::Greater,
        (x, Term::Float(_)) if is_int(x) => Ordering::Less,
        (Term::Tuple(x), Term::Tuple(y)) if x.len() == y.len() => seq_cmp(x, y),
        (Term::Map(x), Term::Map(y)) if x.len() == y.len() => {
            let (ex, ey) = (map_key_sorted(x), map_key_sorted(y));
            let keys = ex
                .iter()
                .zip(&ey)
                .map(|(p, q)| map_key_cmp(p.0, q.0))
                .find(|o| o.is_ne());
            let values = || {
                ex.iter()
                    .zip(&ey)
                    .map(|(p, q)| map_key_cmp(p.1, q.1))
                    .find(|o| o.is_ne())
            };
            keys.or_else(values).unwrap_or(Ordering::Equal)
        }
        _ => match (as_list(a), as_list(b)) {
            (Some(_), Some(_)) => {
                let (xs, xt) = list_parts(a);
                let (ys, yt) = list_parts(b);
                match seq_cmp(xs, ys) {
                    Ordering::Equal if xs.len() == ys.len() => match (xt, yt) {
                        (Some(p), Some(q)) => map_key_cmp(p, q),
                        _ => a.cmp(b),
                    },
                    Ordering::Equal => a.cmp(b),
                    o => o,
                }
            }
            _ => a.cmp(b),
        },
    }
}

fn map_key_sorted(m: &Map) -> Vec<(&Term, &Term)> {
    let mut e: Vec<(&Term, &Term)> = m.iter().collect();
    e.sort_by(|p, q| map_key_cmp(p.0, q.0));
    e
}

fn list_parts(t: &Term) -> (&[Term], Option<&Term>) {
    match t {
        Term::List(x) => (x, None),
        Term::ImproperList(x, tail) => (x, Some(tail)),
        _ => (&[], None),
    }
}

fn seq_cmp(x: &[Term], y: &[Term]) -> std::cmp::Ordering {
    x.iter()
        .zip(y)
        .map(|(a, b)| map_key_cmp(a, b))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// Copies `src` (at most 32 bytes) into `dst` of the same length with two overlapping
/// fixed-size moves instead of a call to `memcpy`.
#[inline(always)]
fn copy_small(dst: &mut [u8], src: &[u8]) {
    fn two<const N: usize>(dst: &mut [u8], src: &[u8]) -> bool {
        match (
            src.first_chunk::<N>(),
            src.last_chunk::<N>(),
            dst.len() == src.len(),
        ) {
            (Some(head), Some(tail), true) => {
                let n = src.len();
                if let Some(d) = dst.first_chunk_mut::<N>() {
                    *d = *head;
                }
                if let Some(d) = dst.get_mut(n - N..).and_then(|d| d.first_chunk_mut::<N>()) {
                    *d = *tail;
                }
                true
            }
            _ => false,
        }
    }
    let done = match src.len() {
        16..=32 => two::<16>(dst, src),
        8..=15 => two::<8>(dst, src),
        4..=7 => two::<4>(dst, src),
        2..=3 => two::<2>(dst, src),
        _ => false,
    };
    if !done {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

pub(crate) struct Encoder<'o, A: AtomEncoder + ?Sized> {
    /// Owned while encoding (moved in and out by the callers), so the optimiser may keep its
    /// length in a register between writes.
    out: Vec<u8>,
    atoms: &'o mut A,
    /// Where large binaries go instead of `out`, when the caller takes them by reference.
    splices: Option<&'o mut Vec<Splice>>,
    /// The error behind the last [`Fail`].
    error: Option<EncodeError>,
}

/// Encoding failed; the error is in [`Encoder::error`]. Zero-sized, so every result of the
/// recursive encoder fits a register instead of going through memory.
pub(crate) struct Fail;

pub(crate) type Res = Result<(), Fail>;

impl<'o, A: AtomEncoder + ?Sized> Encoder<'o, A> {
    pub(crate) fn new(
        out: Vec<u8>,
        atoms: &'o mut A,
        splices: Option<&'o mut Vec<Splice>>,
    ) -> Self {
        Encoder {
            out,
            atoms,
            splices,
            error: None,
        }
    }

    /// Encodes `term`, giving back the buffer and the result (the error taken out of the
    /// encoder). Inlined into the public entry points, so that the large `Result` they return
    /// is built in their caller rather than copied through memory.
    #[inline(always)]
    fn run(mut self, term: &Term) -> (Vec<u8>, Result<(), EncodeError>) {
        let r = self.term(term, 0);
        let result = self.result(r);
        (self.out, result)
    }

    /// The buffer, given back.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.out
    }

    /// `r` with a failure's error taken out of the encoder.
    #[inline]
    pub(crate) fn result(&mut self, r: Res) -> Result<(), EncodeError> {
        r.map_err(|Fail| {
            self.error.take().unwrap_or(EncodeError::InvalidFun(
                "internal: failure without an error",
            ))
        })
    }

    #[cold]
    #[inline(never)]
    fn fail(&mut self, e: EncodeError) -> Res {
        self.error = Some(e);
        Err(Fail)
    }

    #[inline]
    fn len_u32(&mut self, what: &'static str, len: usize) -> Result<u32, Fail> {
        match u32::try_from(len) {
            Ok(v) => Ok(v),
            Err(_) => {
                self.error = Some(EncodeError::TooLong { what, len });
                Err(Fail)
            }
        }
    }

    #[inline(always)]
    pub(crate) fn atom(&mut self, atom: &Atom) -> Res {
        if self.atoms.encode_atom(atom, &mut self.out) {
            return Ok(());
        }
        if let Some((chunk, n)) = atom.interned_ext32() {
            // Interned atoms carry their SMALL_ATOM_UTF8 bytes, zero-padded to 32: one
            // fixed-size copy (no call to memcpy), then drop the padding.
            self.out.extend_from_slice(chunk);
            self.out.truncate(self.out.len() - (32 - n));
            return Ok(());
        }
        self.atom_slow(atom)
    }

    #[inline(never)]
    fn atom_slow(&mut self, atom: &Atom) -> Res {
        if let Some(ext) = atom.interned_ext() {
            self.out.extend_from_slice(ext);
            return Ok(());
        }
        // Owned atoms (made after the intern table filled up).
        let text = atom.as_str().as_bytes();
        if text.len() <= 255 {
            // 255 bytes are at most 255 characters.
            self.out.reserve(text.len() + 2);
            self.out
                .extend_from_slice(&[SMALL_ATOM_UTF8_EXT, text.len() as u8]);
            self.out.extend_from_slice(text);
            return Ok(());
        }
        match write_atom_text(&mut self.out, atom) {
            Ok(()) => Ok(()),
            Err(e) => self.fail(e),
        }
    }

    #[inline]
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// An element of a tuple, list or map at `depth`: the common leaves (atoms, integers, pids,
    /// references, small binaries) written here, in the caller's loop, and tuples called
    /// directly, without the jump table of [`Self::term`]; everything else goes there.
    #[inline(always)]
    fn elem(&mut self, e: &Term, depth: usize) -> Res {
        match e {
            Term::Atom(a) => self.atom(a),
            Term::Int(i) => {
                self.int(*i);
                Ok(())
            }
            Term::Pid(p) => self.pid(p),
            Term::Binary(b) if b.len() <= 32 => {
                self.small_binary(b);
                Ok(())
            }
            Term::Tuple(t) => self.nested_tuple(t, depth),
            Term::Reference(r) => self.reference(r),
            _ => self.term(e, depth),
        }
    }

    pub(crate) fn term(&mut self, term: &Term, depth: usize) -> Res {
        if depth >= MAX_NESTING_DEPTH {
            return self.fail(EncodeError::TooDeep {
                limit: MAX_NESTING_DEPTH,
            });
        }
        // Every arm is a call, so that this recursive frame stays small even in debug builds.
        match term {
            Term::Atom(a) => self.atom(a),
            Term::Int(i) => {
                self.int(*i);
                Ok(())
            }
            Term::BigInt(b) => self.bigint(b),
            Term::Float(f) => self.float(*f),
            Term::Binary(b) => self.binary(b),
            Term::BitBinary(b) => self.bit_binary(b),
            Term::Tuple(elems) => self.tuple(elems, depth),
            Term::List(elems) => self.list(elems, depth),
            Term::ImproperList(elems, tail) => {
                self.list_elems(elems, depth)?;
                self.term(tail, depth + 1)
            }
            Term::Map(m) => self.map(m, depth),
            Term::Pid(p) => self.pid(p),
            Term::Port(p) => self.port(p),
            Term::Reference(r) => self.reference(r),
            Term::Fun(f) => self.fun(f, depth),
            Term::Export(e) => self.export(e),
        }
    }

    fn float(&mut self, f: f64) -> Res {
        if !f.is_finite() {
            return self.fail(EncodeError::NonFiniteFloat(f.to_string()));
        }
        self.out.push(NEW_FLOAT_EXT);
        self.out.extend_from_slice(&f.to_bits().to_be_bytes());
        Ok(())
    }

    fn binary(&mut self, b: &Bytes) -> Res {
        let len = self.len_u32("binary", b.len())?;
        self.out.push(BINARY_EXT);
        self.u32(len);
        self.bytes(b, b.len());
        Ok(())
    }

    /// The first `len` bytes of a binary: recorded as a splice when the caller takes large
    /// binaries by reference, copied otherwise.
    #[inline]
    fn bytes(&mut self, b: &Bytes, len: usize) {
        match &mut self.splices {
            Some(splices) if len >= SPLICE_MIN_BYTES => splices.push(Splice {
                at: self.out.len(),
                bytes: if len == b.len() {
                    b.clone()
                } else {
                    b.slice(..len)
                },
            }),
            _ => self.out.extend_from_slice(b.get(..len).unwrap_or_default()),
        }
    }

    /// A tuple inside another term, straight from [`Self::elem`] (its own depth check).
    #[inline(never)]
    fn nested_tuple(&mut self, elems: &[Term], depth: usize) -> Res {
        if depth >= MAX_NESTING_DEPTH {
            return self.fail(EncodeError::TooDeep {
                limit: MAX_NESTING_DEPTH,
            });
        }
        self.tuple(elems, depth)
    }

    #[inline]
    fn tuple(&mut self, elems: &[Term], depth: usize) -> Res {
        self.tuple_header(elems.len())?;
        for e in elems {
            self.elem(e, depth + 1)?;
        }
        Ok(())
    }

    fn list(&mut self, elems: &[Term], depth: usize) -> Res {
        if elems.is_empty() {
            self.out.push(NIL_EXT);
        } else if is_byte_string(elems) {
            self.out.reserve(elems.len() + 3);
            self.out.push(STRING_EXT);
            self.out
                .extend_from_slice(&(elems.len() as u16).to_be_bytes());
            // is_byte_string checked every element is an Int in 0..=255.
            self.out.extend(elems.iter().map(|e| match e {
                Term::Int(i) => *i as u8,
                _ => 0,
            }));
        } else {
            self.list_elems(elems, depth)?;
            self.out.push(NIL_EXT);
        }
        Ok(())
    }

    fn export(&mut self, e: &crate::Export) -> Res {
        self.out.push(EXPORT_EXT);
        self.atom(&e.module)?;
        self.atom(&e.function)?;
        self.out.push(SMALL_INTEGER_EXT);
        self.out.push(e.arity);
        Ok(())
    }

    fn list_elems(&mut self, elems: &[Term], depth: usize) -> Res {
        let len = self.len_u32("list", elems.len())?;
        self.out.push(LIST_EXT);
        self.u32(len);
        for e in elems {
            self.elem(e, depth + 1)?;
        }
        Ok(())
    }

    /// A tuple's header (SMALL_TUPLE or LARGE_TUPLE).
    #[inline]
    pub(crate) fn tuple_header(&mut self, arity: usize) -> Res {
        if arity <= 255 {
            self.out.extend_from_slice(&[SMALL_TUPLE_EXT, arity as u8]);
        } else {
            let len = self.len_u32("tuple", arity)?;
            self.out.push(LARGE_TUPLE_EXT);
            self.u32(len);
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn int(&mut self, i: i64) {
        if (0..=255).contains(&i) {
            self.out.extend_from_slice(&[SMALL_INTEGER_EXT, i as u8]);
        } else if let Ok(v) = i32::try_from(i) {
            self.out.push(INTEGER_EXT);
            self.out.extend_from_slice(&v.to_be_bytes());
        } else {
            let mag = i.unsigned_abs().to_le_bytes();
            let n = 8 - (i.unsigned_abs().leading_zeros() / 8) as usize;
            self.out.push(SMALL_BIG_EXT);
            self.out.push(n as u8);
            self.out.push(u8::from(i < 0));
            self.out.extend_from_slice(&mag[..n]);
        }
    }

    fn bigint(&mut self, b: &num_bigint::BigInt) -> Res {
        // Term keeps i64-sized values in Term::Int, but a hand-built BigInt may be small.
        if let Ok(i) = i64::try_from(b) {
            self.int(i);
            return Ok(());
        }
        let (sign, mag) = b.to_bytes_le();
        if mag.len() <= 255 {
            self.out.push(SMALL_BIG_EXT);
            self.out.push(mag.len() as u8);
        } else {
            let len = self.len_u32("integer", mag.len())?;
            self.out.push(LARGE_BIG_EXT);
            self.u32(len);
        }
        self.out.push(u8::from(sign == Sign::Minus));
        self.out.extend_from_slice(&mag);
        Ok(())
    }

    fn bit_binary(&mut self, b: &BitBinary) -> Res {
        if b.bits_in_last == 0 || b.bits_in_last > 8 || b.bytes.is_empty() {
            return self.fail(EncodeError::InvalidBitBinary {
                bits: b.bits_in_last,
                len: b.bytes.len(),
            });
        }
        let len = self.len_u32("binary", b.bytes.len())?;
        if b.bits_in_last == 8 {
            self.out.push(BINARY_EXT);
            self.u32(len);
            self.bytes(&b.bytes, b.bytes.len());
            return Ok(());
        }
        self.out.push(BIT_BINARY_EXT);
        self.u32(len);
        self.out.push(b.bits_in_last);
        let last = b.bytes.last().copied();
        self.bytes(&b.bytes, b.bytes.len() - 1);
        // Unused low bits are sent as zero.
        let mask = 0xFFu8 << (8 - b.bits_in_last);
        self.out.push(last.unwrap_or(0) & mask);
        Ok(())
    }

    fn map(&mut self, m: &Map, depth: usize) -> Res {
        let len = self.len_u32("map", m.len())?;
        self.out.push(MAP_EXT);
        self.u32(len);
        if m.iter().all(|(k, _)| plain_key(k)) {
            for (k, v) in m.iter() {
                self.elem(k, depth + 1)?;
                self.elem(v, depth + 1)?;
            }
        } else {
            for (k, v) in map_key_sorted(m) {
                self.term(k, depth + 1)?;
                self.term(v, depth + 1)?;
            }
        }
        Ok(())
    }

    #[inline(always)]
    pub(crate) fn pid(&mut self, p: &Pid) -> Res {
        if let Some((chunk, n)) = p.node.interned_ext32() {
            if self.atoms.is_passive() {
                self.pid_interned(p, chunk, n);
                return Ok(());
            }
        }
        self.pid_general(p)
    }

    /// A pid whose node is an interned atom written in full: the whole NEW_PID (at most 45
    /// bytes) written into zeroed room at the end of the buffer, then the room trimmed. One
    /// capacity check instead of four, and no reload of the buffer's length between writes.
    #[inline(always)]
    fn pid_interned(&mut self, p: &Pid, chunk: &[u8; 32], n: usize) {
        const ROOM: usize = 1 + 32 + 12;
        let start = self.out.len();
        self.out.extend_from_slice(&[0u8; ROOM]);
        let used = 1 + n + 12;
        if let Some(buf) = self
            .out
            .get_mut(start..)
            .and_then(|s| s.first_chunk_mut::<ROOM>())
        {
            buf[0] = NEW_PID_EXT;
            if let Some(atom) = buf.get_mut(1..33) {
                atom.copy_from_slice(chunk);
            }
            if let Some(tail) = buf.get_mut(1 + n..used) {
                let id_serial = (u64::from(p.id) << 32) | u64::from(p.serial);
                tail[..8].copy_from_slice(&id_serial.to_be_bytes());
                tail[8..].copy_from_slice(&p.creation.to_be_bytes());
            }
        }
        self.out.truncate(start + used);
    }

    /// A binary of at most 32 bytes, written into zeroed room like
    /// [`Self::pid_interned`], its bytes copied by fixed-size moves.
    #[inline(always)]
    fn small_binary(&mut self, b: &[u8]) {
        const ROOM: usize = 5 + 32;
        let start = self.out.len();
        self.out.extend_from_slice(&[0u8; ROOM]);
        if let Some(buf) = self
            .out
            .get_mut(start..)
            .and_then(|s| s.first_chunk_mut::<ROOM>())
        {
            buf[0] = BINARY_EXT;
            buf[1..5].copy_from_slice(&(b.len() as u32).to_be_bytes());
            if let Some(dst) = buf.get_mut(5..5 + b.len()) {
                copy_small(dst, b);
            }
        }
        self.out.truncate(start + 5 + b.len());
    }

    #[inline(never)]
    fn pid_general(&mut self, p: &Pid) -> Res {
        self.out.push(NEW_PID_EXT);
        self.atom(&p.node)?;
        // Straight from registers: assembling the 12 bytes in a stack array first would make
        // the copy wait on the array's stores.
        let id_serial = (u64::from(p.id) << 32) | u64::from(p.serial);
        self.out.extend_from_slice(&id_serial.to_be_bytes());
        self.out.extend_from_slice(&p.creation.to_be_bytes());
        Ok(())
    }

    fn port(&mut self, p: &Port) -> Res {
        if p.id < (1 << 28) {
            self.out.push(NEW_PORT_EXT);
            self.atom(&p.node)?;
            self.u32(p.id as u32);
        } else {
            self.out.push(V4_PORT_EXT);
            self.atom(&p.node)?;
            self.out.extend_from_slice(&p.id.to_be_bytes());
        }
        self.u32(p.creation);
        Ok(())
    }

    pub(crate) fn reference(&mut self, r: &Reference) -> Res {
        if let Some((chunk, n)) = r.node.interned_ext32() {
            if self.atoms.is_passive() {
                self.reference_interned(r, chunk, n);
                return Ok(());
            }
        }
        self.out.push(NEWER_REFERENCE_EXT);
        self.out
            .extend_from_slice(&(r.ids.len() as u16).to_be_bytes());
        self.atom(&r.node)?;
        self.u32(r.creation);
        for id in r.ids.iter() {
            self.u32(*id);
        }
        Ok(())
    }

    /// A NEWER_REFERENCE whose node is an interned atom written in full (1 to 5 ids, as
    /// `RefIds` holds), written into zeroed room like [`Self::pid_interned`].
    #[inline]
    fn reference_interned(&mut self, r: &Reference, chunk: &[u8; 32], n: usize) {
        const ROOM: usize = 3 + 32 + 4 + 4 * 5;
        let start = self.out.len();
        self.out.extend_from_slice(&[0u8; ROOM]);
        let used = 3 + n + 4 + 4 * r.ids.len();
        if let Some(buf) = self
            .out
            .get_mut(start..)
            .and_then(|s| s.first_chunk_mut::<ROOM>())
        {
            buf[..3].copy_from_slice(&[NEWER_REFERENCE_EXT, 0, r.ids.len() as u8]);
            if let Some(atom) = buf.get_mut(3..35) {
                atom.copy_from_slice(chunk);
            }
            if let Some(tail) = buf.get_mut(3 + n..used) {
                let (creation, ids) = tail.split_at_mut(4);
                creation.copy_from_slice(&r.creation.to_be_bytes());
                for (word, id) in ids.chunks_exact_mut(4).zip(r.ids.iter()) {
                    word.copy_from_slice(&id.to_be_bytes());
                }
            }
        }
        self.out.truncate(start + used);
    }

    fn fun(&mut self, f: &Fun, depth: usize) -> Res {
        let small = |t: &Term| matches!(t, Term::Int(i) if i32::try_from(*i).is_ok());
        if !small(&f.old_index) || !small(&f.old_uniq) {
            return self.fail(EncodeError::InvalidFun(
                "old_index and old_uniq must be integers in the i32 range",
            ));
        }
        if !matches!(f.pid, Term::Pid(_)) {
            return self.fail(EncodeError::InvalidFun("pid must be a pid"));
        }
        let Ok(num_free) = u32::try_from(f.free_vars.len()) else {
            return self.fail(EncodeError::InvalidFun("too many free variables"));
        };
        self.out.push(NEW_FUN_EXT);
        let size_at = self.out.len();
        let splices_before = self.splices.as_ref().map_or(0, |s| s.len());
        self.u32(0); // patched below: the size counts itself
        self.out.push(f.arity);
        self.out.extend_from_slice(&f.uniq);
        self.u32(f.index);
        self.u32(num_free);
        self.atom(&f.module)?;
        self.term(&f.old_index, depth + 1)?;
        self.term(&f.old_uniq, depth + 1)?;
        self.term(&f.pid, depth + 1)?;
        for v in &f.free_vars {
            self.term(v, depth + 1)?;
        }
        // Free variables may hold spliced binaries: the size counts their bytes too.
        let spliced = self.splices.as_ref().map_or(0, |s| {
            splices_len(s.get(splices_before..).unwrap_or_default())
        });
        let size = self.len_u32("fun", self.out.len() - size_at + spliced)?;
        if let Some(slot) = self.out.get_mut(size_at..size_at + 4) {
            slot.copy_from_slice(&size.to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RefIds;
    use num_bigint::BigInt;

    fn enc(t: &Term) -> Vec<u8> {
        match to_bytes(t) {
            Ok(b) => b,
            Err(e) => panic!("encode {t:?}: {e}"),
        }
    }

    #[test]
    fn integers_take_the_smallest_form() {
        assert_eq!(enc(&Term::Int(5)), [131, 97, 5]);
        assert_eq!(enc(&Term::Int(256)), [131, 98, 0, 0, 1, 0]);
        assert_eq!(enc(&Term::Int(-1)), [131, 98, 255, 255, 255, 255]);
        assert_eq!(enc(&Term::Int(1 << 31)), [131, 110, 4, 0, 0, 0, 0, 128]);
        assert_eq!(
            enc(&Term::Int(i64::MIN)),
            [131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]
        );
        let two64 = BigInt::from(1u8) << 64;
        assert_eq!(
            enc(&Term::bigint(two64)),
            [131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        );
        // A non-normal BigInt holding a small value still takes the small form.
        assert_eq!(enc(&Term::BigInt(Box::new(BigInt::from(7)))), [131, 97, 7]);
    }

    #[test]
    fn atoms_and_strings() {
        assert_eq!(enc(&Term::atom("ok")), [131, 119, 2, b'o', b'k']);
        assert_eq!(enc(&Term::atom("")), [131, 119, 0]);
        let long = "ö".repeat(200);
        let bytes = enc(&Term::atom(&long));
        assert_eq!(&bytes[..4], &[131, 118, 1, 144]);
        assert!(matches!(
            to_bytes(&Term::atom(&"a".repeat(256))),
            Err(EncodeError::AtomTooLong { chars: 256, .. })
        ));
        assert_eq!(
            enc(&Term::list(vec![Term::Int(1), Term::Int(2)])),
            [131, 107, 0, 2, 1, 2]
        );
        assert_eq!(
            enc(&Term::list(vec![Term::Int(256)])),
            [131, 108, 0, 0, 0, 1, 98, 0, 0, 1, 0, 106]
        );
        assert_eq!(
            enc(&Term::cons(vec![Term::Int(1)], Term::Int(2))),
            [131, 108, 0, 0, 0, 1, 97, 1, 97, 2]
        );
    }

    #[test]
    fn refuses_what_erlang_cannot_hold() {
        assert!(matches!(
            to_bytes(&Term::Float(f64::NAN)),
            Err(EncodeError::NonFiniteFloat(_))
        ));
        let bad_bits = Term::BitBinary(BitBinary {
            bytes: bytes::Bytes::from_static(&[1]),
            bits_in_last: 0,
        });
        assert!(matches!(
            to_bytes(&bad_bits),
            Err(EncodeError::InvalidBitBinary { .. })
        ));
        let mut deep = Term::nil();
        for _ in 0..(MAX_NESTING_DEPTH + 1) {
            deep = Term::tuple(vec![deep]);
        }
        assert!(matches!(to_bytes(&deep), Err(EncodeError::TooDeep { .. })));
    }

    #[test]
    fn map_keys_follow_otp_map_key_order() {
        // Found by the property test against OTP: integers before floats, at any depth.
        let m = Term::Map(Map::from_pairs([
            (Term::Float(0.0), Term::atom("f")),
            (Term::Int(1), Term::atom("i")),
        ]));
        let bytes = enc(&m);
        assert_eq!(&bytes[..8], &[131, 116, 0, 0, 0, 2, 97, 1]);
        let nested = Term::Map(Map::from_pairs([
            (Term::list(vec![Term::Float(0.0)]), Term::nil()),
            (Term::list(vec![Term::Int(1)]), Term::nil()),
        ]));
        assert_eq!(&enc(&nested)[6..10], &[107, 0, 1, 1]);
    }

    struct EveryAtomIsZero;
    impl AtomEncoder for EveryAtomIsZero {
        fn encode_atom(&mut self, _atom: &Atom, out: &mut Vec<u8>) -> bool {
            out.extend_from_slice(&[ATOM_CACHE_REF, 0]);
            true
        }
    }

    #[test]
    fn atom_encoder_can_write_cache_refs() {
        let mut out = Vec::new();
        let t = Term::tuple(vec![Term::atom("a"), Term::Int(1)]);
        assert!(encode_term_into(&t, &mut out, &mut EveryAtomIsZero).is_ok());
        assert_eq!(out, [104, 2, 82, 0, 97, 1]);
    }

    /// What the fast paths must write, spelled out the slow way.
    fn pid_bytes(node: &str, id: u32, serial: u32, creation: u32) -> Vec<u8> {
        let mut b = vec![88, 119, node.len() as u8];
        b.extend_from_slice(node.as_bytes());
        for w in [id, serial, creation] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b
    }

    #[test]
    fn references_write_the_same_through_both_paths() {
        struct Asks;
        impl AtomEncoder for Asks {
            fn encode_atom(&mut self, _atom: &Atom, _out: &mut Vec<u8>) -> bool {
                false
            }
        }
        for node in ["a@b", &"n".repeat(30), &"x".repeat(31)] {
            for ids in [vec![1], vec![1, 2, 3], vec![1, 2, 3, 4, 5]] {
                let r = Term::Reference(Reference {
                    node: Atom::new(node),
                    creation: 0x0a0b_0c0d,
                    ids: RefIds::new(&ids).expect("1 to 5 words"),
                });
                let mut expected = vec![90, 0, ids.len() as u8, 119, node.len() as u8];
                expected.extend_from_slice(node.as_bytes());
                for w in std::iter::once(0x0a0b_0c0d).chain(ids) {
                    expected.extend_from_slice(&w.to_be_bytes());
                }
                assert_eq!(enc(&r)[1..], expected[..]);
                let mut out = Vec::new();
                assert!(encode_term_into(&r, &mut out, &mut Asks).is_ok());
                assert_eq!(out, expected);
            }
        }
    }

    #[test]
    fn fast_paths_write_what_the_general_ones_do() {
        // Binaries of every length around the 32-byte fast path, inside a list (elements take
        // the fast path) and alone (the general one).
        for len in 0..=40usize {
            let data: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
            let mut expected = vec![131, 108, 0, 0, 0, 2, 109];
            expected.extend_from_slice(&(len as u32).to_be_bytes());
            expected.extend_from_slice(&data);
            expected.extend_from_slice(&[97, 7, 106]);
            let t = Term::list(vec![Term::binary(data.clone()), Term::Int(7)]);
            assert_eq!(enc(&t), expected, "binary of {len} bytes");
            assert_eq!(enc(&Term::binary(data))[1..], expected[6..11 + len]);
        }
        // Pids whose node fits the 32-byte atom chunk or not, through the passive encoder and
        // through one that is asked about every atom.
        struct Asks;
        impl AtomEncoder for Asks {
            fn encode_atom(&mut self, _atom: &Atom, _out: &mut Vec<u8>) -> bool {
                false
            }
        }
        for node in ["a@b", &"n".repeat(29), &"n".repeat(30), &"x".repeat(200)] {
            let pid = Term::Pid(Pid {
                node: Atom::new(node),
                id: 0x0102_0304,
                serial: 0x0506_0708,
                creation: 0x090a_0b0c,
            });
            let expected = pid_bytes(node, 0x0102_0304, 0x0506_0708, 0x090a_0b0c);
            assert_eq!(enc(&pid)[1..], expected[..], "node of {} bytes", node.len());
            let mut out = Vec::new();
            assert!(encode_term_into(&pid, &mut out, &mut Asks).is_ok());
            assert_eq!(out, expected);
            let list = enc(&Term::list(vec![pid.clone(), pid]));
            assert_eq!(list[6..6 + expected.len()], expected[..]);
        }
    }
}
