//! The ETF decoder: bytes to [`Term`], for every tag OTP has ever emitted.
//!
//! This module owns reading: the modern tags, the legacy ones a current node still decodes
//! (ATOM 100, SMALL_ATOM 115, PID 103, REFERENCE 101, NEW_REFERENCE 114, PORT 102, FLOAT 99),
//! STRING 107 (to a list of integers), V4_PORT 120, NEW_FUN 112, EXPORT 113, BIT_BINARY 77, the
//! atom-cache reference 82 through [`AtomDecoder`], and the compressed form 80 at top level
//! (inflating is `compress`'s job). It must not encode and knows nothing of distribution headers.
//!
//! Input is hostile: every malformed, truncated or lying input returns a [`DecodeError`] with
//! the offset of the bad field. No length field makes the decoder allocate more than the rest of
//! the input could fill, and nesting is limited to [`MAX_NESTING_DEPTH`] so a deep term cannot
//! overflow the stack. LOCAL_EXT (121) and the removed FUN_EXT (117) are refused.

use bytes::Bytes;
use num_bigint::{BigInt, Sign};

use crate::codec_error::{DecodeError, DecodeErrorKind};
use crate::encode::NoAtomCache;
use crate::ref_ids::{RefIds, MAX_REF_IDS};
use crate::tag::*;
use crate::term::{BitBinary, Export, Fun, Pid, Port, Reference};
use crate::{compress, Atom, Map, Term, MAX_ATOM_CHARS};

/// How deeply terms may nest (tuples in tuples, lists in maps, ...), for the decoder and the
/// encoder alike. Long lists are flat and do not count against it.
pub const MAX_NESTING_DEPTH: usize = 1024;

/// The default cap on the uncompressed size of a compressed term (tag 80): 64 MiB.
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 64 << 20;

/// Resolves ATOM_CACHE_REF (tag 82) indexes while a term is decoded. The distribution layer
/// implements it over the atom cache of the current message header.
pub trait AtomDecoder {
    /// The atom at this index of the current header's atom-cache references, if there is one.
    fn cached_atom(&self, index: u8) -> Option<Atom>;
}

impl AtomDecoder for NoAtomCache {
    #[inline]
    fn cached_atom(&self, _index: u8) -> Option<Atom> {
        None
    }
}

/// Decodes a stand-alone external term: `131`, then one term (possibly compressed, tag 80),
/// and nothing after it. Compressed terms may inflate to at most
/// [`DEFAULT_MAX_DECOMPRESSED_SIZE`] bytes.
pub fn from_bytes(bytes: &[u8]) -> Result<Term, DecodeError> {
    from_bytes_with_limit(bytes, DEFAULT_MAX_DECOMPRESSED_SIZE)
}

/// [`from_bytes`] with a caller-chosen cap on the uncompressed size of a compressed term.
pub fn from_bytes_with_limit(bytes: &[u8], max_decompressed: usize) -> Result<Term, DecodeError> {
    stand_alone(bytes, None, max_decompressed)
}

/// [`from_bytes`] over shared bytes: binaries in the result are slices of `bytes`, not copies.
pub fn from_bytes_shared(bytes: &Bytes) -> Result<Term, DecodeError> {
    stand_alone(bytes, Some(bytes), DEFAULT_MAX_DECOMPRESSED_SIZE)
}

fn stand_alone(
    bytes: &[u8],
    owner: Option<&Bytes>,
    max_decompressed: usize,
) -> Result<Term, DecodeError> {
    match bytes.first() {
        Some(&VERSION_MAGIC) => {}
        other => {
            return Err(DecodeError::new(
                0,
                DecodeErrorKind::BadVersion {
                    found: other.copied(),
                },
            ))
        }
    }
    if bytes.get(1) == Some(&COMPRESSED) {
        let inflated = Bytes::from(compress::inflate(bytes, 2, max_decompressed)?);
        return whole(&inflated, 0, Some(&inflated));
    }
    whole(bytes, 1, owner)
}

/// Decodes one term starting at `start` that must end exactly at the end of `bytes`.
fn whole(bytes: &[u8], start: usize, owner: Option<&Bytes>) -> Result<Term, DecodeError> {
    let mut d = Decoder::new(bytes, start, owner, &NoAtomCache);
    let term = d.top()?;
    if d.pos != bytes.len() {
        return Err(DecodeError::new(
            d.pos,
            DecodeErrorKind::TrailingBytes(bytes.len() - d.pos),
        ));
    }
    Ok(term)
}

/// Decodes one term (no 131 prefix) from the start of `input`, resolving tag 82 through
/// `atoms`. Returns the term and how many bytes it took; bytes after it are left alone.
///
/// Generic over the atom decoder so that a concrete one is inlined; `&dyn AtomDecoder` works
/// as before.
pub fn decode_term<A: AtomDecoder + ?Sized>(
    input: &[u8],
    atoms: &A,
) -> Result<(Term, usize), DecodeError> {
    let mut d = Decoder::new(input, 0, None, atoms);
    let term = d.top()?;
    Ok((term, d.pos))
}

/// [`decode_term`] over shared bytes: binaries in the result are zero-copy slices of `input`.
pub fn decode_term_bytes<A: AtomDecoder + ?Sized>(
    input: &Bytes,
    atoms: &A,
) -> Result<(Term, usize), DecodeError> {
    let mut d = Decoder::new(input, 0, Some(input), atoms);
    let term = d.top()?;
    Ok((term, d.pos))
}

pub(crate) struct Decoder<'a, A: AtomDecoder + ?Sized> {
    input: &'a [u8],
    pos: usize,
    /// When set, `input` is this buffer's contents and binaries are sliced out of it.
    owner: Option<&'a Bytes>,
    atoms: &'a A,
    /// The error behind the last [`Fail`], kept here so that results stay as small as terms.
    error: Option<DecodeError>,
}

/// Decoding failed; the error is in [`Decoder::error`]. A zero-sized error keeps `Res<Term>` the
/// size of a `Term`, which matters in the hot loops.
pub(crate) struct Fail;

pub(crate) type Res<T> = Result<T, Fail>;

/// What a slot holds before the decoder fills it (cheap to write, nothing to drop).
#[inline]
fn placeholder() -> Term {
    Term::Int(0)
}

impl<'a, A: AtomDecoder + ?Sized> Decoder<'a, A> {
    pub(crate) fn new(input: &'a [u8], pos: usize, owner: Option<&'a Bytes>, atoms: &'a A) -> Self {
        Decoder {
            input,
            pos,
            owner,
            atoms,
            error: None,
        }
    }

    /// One term from the current position, with the error taken out of the decoder.
    fn top(&mut self) -> Result<Term, DecodeError> {
        let mut term = placeholder();
        let r = self.term_into(&mut term, 0);
        self.result(r).map(|()| term)
    }

    /// `r` with a failure's error taken out of the decoder.
    #[inline]
    pub(crate) fn result<T>(&mut self, r: Res<T>) -> Result<T, DecodeError> {
        r.map_err(|Fail| {
            self.error.take().unwrap_or_else(|| {
                DecodeError::new(self.pos, DecodeErrorKind::UnexpectedEnd { needed: 0 })
            })
        })
    }

    /// How many bytes of the input have been read.
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// A tuple's header (SMALL_TUPLE or LARGE_TUPLE): its arity.
    pub(crate) fn tuple_header(&mut self) -> Res<usize> {
        let at = self.pos;
        match self.u8()? {
            SMALL_TUPLE_EXT => Ok(usize::from(self.u8()?)),
            LARGE_TUPLE_EXT => self.len_u32(1),
            _ => self.err(at, DecodeErrorKind::Expected("a tuple")),
        }
    }

    #[cold]
    #[inline(never)]
    fn err<T>(&mut self, at: usize, kind: DecodeErrorKind) -> Res<T> {
        self.error = Some(DecodeError::new(at, kind));
        Err(Fail)
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    #[inline]
    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        match self
            .pos
            .checked_add(n)
            .and_then(|end| self.input.get(self.pos..end))
        {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => self.err(
                self.pos,
                DecodeErrorKind::UnexpectedEnd {
                    needed: n - self.remaining(),
                },
            ),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Res<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> Res<u8> {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.err(self.pos, DecodeErrorKind::UnexpectedEnd { needed: 1 }),
        }
    }

    #[inline]
    fn u16(&mut self) -> Res<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    #[inline]
    fn u32(&mut self) -> Res<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A length field, checked against what is left: `len * min_size` bytes must remain.
    #[inline]
    fn len_u32(&mut self, min_size: usize) -> Res<usize> {
        let at = self.pos;
        let len = self.u32()? as usize;
        let need = len.saturating_mul(min_size);
        if need > self.remaining() {
            return self.err(
                at,
                DecodeErrorKind::UnexpectedEnd {
                    needed: need - self.remaining(),
                },
            );
        }
        Ok(len)
    }

    /// `n` bytes as a binary: a slice of the owner when there is one, a copy otherwise.
    #[inline]
    fn binary(&mut self, n: usize) -> Res<Bytes> {
        let start = self.pos;
        let s = self.take(n)?;
        Ok(match self.owner {
            Some(owner) => owner.slice(start..start + n),
            None => Bytes::copy_from_slice(s),
        })
    }

    /// One term, by value (for the few places outside the hot loops).
    fn term(&mut self, depth: usize) -> Res<Term> {
        let mut term = placeholder();
        self.term_into(&mut term, depth)?;
        Ok(term)
    }

    /// One term, written straight into `slot` (a tuple's, list's or map's element): building
    /// it in place saves copying each term through the stack, which the CPU pays for dearly
    /// when the copy reads what was written a few instructions before.
    pub(crate) fn term_into(&mut self, slot: &mut Term, depth: usize) -> Res<()> {
        if depth >= MAX_NESTING_DEPTH {
            return self.err(
                self.pos,
                DecodeErrorKind::TooDeep {
                    limit: MAX_NESTING_DEPTH,
                },
            );
        }
        let at = self.pos;
        let tag = self.u8()?;
        *slot = match tag {
            SMALL_INTEGER_EXT => Term::Int(i64::from(self.u8()?)),
            INTEGER_EXT => Term::Int(i64::from(i32::from_be_bytes(self.array()?))),
            SMALL_ATOM_UTF8_EXT => {
                // Each path writes the slot itself: joining them into one `Atom` first would
                // go through the stack.
                if let Some(a) = self.fast_atom_text() {
                    *slot = Term::Atom(a);
                    return Ok(());
                }
                Term::Atom(self.atom_body_slow(tag, at)?)
            }
            ATOM_CACHE_REF => Term::Atom(self.cache_ref(at)?),
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT => Term::Atom(self.atom_body_slow(tag, at)?),
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => return self.tuple_into(slot, tag, depth),
            NIL_EXT => Term::nil(),
            STRING_EXT => Term::List(self.string()?),
            LIST_EXT => self.list(depth)?,
            BINARY_EXT => self.binary_term()?,
            MAP_EXT => self.map(depth, at)?,
            NEW_FLOAT_EXT => self.new_float(at)?,
            NEW_PID_EXT => return self.pid_into(slot),
            SMALL_BIG_EXT | LARGE_BIG_EXT => self.big(tag)?,
            NEWER_REFERENCE_EXT | NEW_REFERENCE_EXT => {
                return self.reference_into(slot, tag == NEWER_REFERENCE_EXT)
            }
            NEW_PORT_EXT | PORT_EXT | V4_PORT_EXT => Term::Port(self.port(tag)?),
            BIT_BINARY_EXT => self.bit_binary()?,
            NEW_FUN_EXT => self.fun(depth, at)?,
            EXPORT_EXT => self.export()?,
            PID_EXT => Term::Pid(self.old_pid()?),
            REFERENCE_EXT => Term::Reference(self.old_reference()?),
            FLOAT_EXT => self.old_float(at)?,
            COMPRESSED => {
                return self.err(
                    at,
                    DecodeErrorKind::UnsupportedTag {
                        tag,
                        name: "COMPRESSED inside a term",
                    },
                )
            }
            FUN_EXT => {
                return self.err(
                    at,
                    DecodeErrorKind::UnsupportedTag {
                        tag,
                        name: "FUN_EXT",
                    },
                )
            }
            LOCAL_EXT => {
                return self.err(
                    at,
                    DecodeErrorKind::UnsupportedTag {
                        tag,
                        name: "LOCAL_EXT",
                    },
                )
            }
            _ => return self.err(at, DecodeErrorKind::UnknownTag(tag)),
        };
        Ok(())
    }

    /// An atom in a place that must hold one (a node, module or function name).
    #[inline(never)]
    fn atom(&mut self) -> Res<Atom> {
        let at = self.pos;
        let tag = self.u8()?;
        match tag {
            ATOM_CACHE_REF => self.cache_ref(at),
            _ => self.atom_body_slow(tag, at),
        }
    }

    /// An ATOM_CACHE_REF after its tag: how most atoms arrive from a peer that uses the
    /// distribution atom cache.
    #[inline(always)]
    fn cache_ref(&mut self, at: usize) -> Res<Atom> {
        let index = self.u8()?;
        match self.atoms.cached_atom(index) {
            Some(a) => Ok(a),
            None => self.err(at, DecodeErrorKind::AtomCacheMiss(index)),
        }
    }

    /// The common case of an atom, tag included: a SMALL_ATOM_UTF8 that this thread has seen.
    /// Consumes it only on success; `None` leaves the position alone for [`Self::atom`].
    #[inline(always)]
    fn fast_atom(&mut self) -> Option<Atom> {
        match self.input.get(self.pos) {
            Some(&SMALL_ATOM_UTF8_EXT) => {
                self.pos += 1;
                let a = self.fast_atom_text();
                if a.is_none() {
                    self.pos -= 1;
                }
                a
            }
            _ => None,
        }
    }

    /// A SMALL_ATOM_UTF8 after its tag, if this thread has seen it: consumed only on success.
    #[inline(always)]
    fn fast_atom_text(&mut self) -> Option<Atom> {
        let (&n, rest) = self.input.get(self.pos..)?.split_first()?;
        let text = rest.get(..usize::from(n))?;
        let a = Atom::cached_from_utf8(text)?;
        self.pos += 1 + usize::from(n);
        Some(a)
    }

    /// An atom given as text (tags 100, 115, 118 and 119) after its tag: looked up, or interned;
    /// any other tag is not an atom.
    #[inline(never)]
    fn atom_body_slow(&mut self, tag: u8, at: usize) -> Res<Atom> {
        match tag {
            SMALL_ATOM_UTF8_EXT => {
                let n = usize::from(self.u8()?);
                let text = self.take(n)?;
                if let Some(a) = Atom::cached_from_utf8(text) {
                    return Ok(a);
                }
                // At most 255 bytes, so at most 255 characters.
                match std::str::from_utf8(text) {
                    Ok(s) => Ok(Atom::new(s)),
                    Err(_) => self.err(at, DecodeErrorKind::InvalidUtf8),
                }
            }
            ATOM_UTF8_EXT => {
                let n = usize::from(self.u16()?);
                let text = self.take(n)?;
                let s = match std::str::from_utf8(text) {
                    Ok(s) => s,
                    Err(_) => return self.err(at, DecodeErrorKind::InvalidUtf8),
                };
                let chars = if n <= MAX_ATOM_CHARS {
                    n
                } else {
                    s.chars().count()
                };
                if chars > MAX_ATOM_CHARS {
                    return self.err(at, DecodeErrorKind::AtomTooLong { chars });
                }
                Ok(Atom::new(s))
            }
            ATOM_EXT | SMALL_ATOM_EXT => {
                let n = if tag == ATOM_EXT {
                    usize::from(self.u16()?)
                } else {
                    usize::from(self.u8()?)
                };
                if n > MAX_ATOM_CHARS {
                    return self.err(at, DecodeErrorKind::AtomTooLong { chars: n });
                }
                let text = self.take(n)?;
                if let Some(a) = Atom::cached_from_utf8(text) {
                    // Equal bytes: ASCII (the same in Latin-1), or UTF-8 multi-byte sequences
                    // that mean other characters in Latin-1, so only trust an ASCII hit.
                    if text.is_ascii() {
                        return Ok(a);
                    }
                }
                if text.is_ascii() {
                    // ASCII is the same in Latin-1 and UTF-8.
                    match std::str::from_utf8(text) {
                        Ok(s) => Ok(Atom::new(s)),
                        Err(_) => self.err(at, DecodeErrorKind::InvalidUtf8),
                    }
                } else {
                    let s: String = text.iter().map(|&b| char::from(b)).collect();
                    Ok(Atom::new(&s))
                }
            }
            _ => self.err(at, DecodeErrorKind::ExpectedAtom(tag)),
        }
    }

    fn binary_term(&mut self) -> Res<Term> {
        let n = self.len_u32(1)?;
        Ok(Term::Binary(self.binary(n)?))
    }

    /// Decodes `n` terms into new slots at the end of `elems`; the caller has checked that `n`
    /// bytes remain (every term takes one at least), which bounds the allocation.
    #[inline]
    fn elems_into(&mut self, elems: &mut Vec<Term>, n: usize, depth: usize) -> Res<()> {
        let start = elems.len();
        elems.extend((0..n).map(|_| placeholder()));
        for slot in elems.iter_mut().skip(start) {
            self.term_into(slot, depth + 1)?;
        }
        Ok(())
    }

    /// [`Self::elems_into`] for a SMALL_TUPLE whose elements cannot all be there: one at a
    /// time, so nothing is allocated beyond what the input holds and the error comes where the
    /// input ends.
    #[cold]
    #[inline(never)]
    fn elems_one_by_one(&mut self, elems: &mut Vec<Term>, n: usize, depth: usize) -> Res<()> {
        for _ in 0..n {
            let mut term = placeholder();
            self.term_into(&mut term, depth + 1)?;
            elems.push(term);
        }
        Ok(())
    }

    fn tuple_into(&mut self, slot: &mut Term, tag: u8, depth: usize) -> Res<()> {
        let n = if tag == SMALL_TUPLE_EXT {
            let n = usize::from(self.u8()?);
            if n > self.remaining() {
                let mut elems = Vec::new();
                self.elems_one_by_one(&mut elems, n, depth)?;
                *slot = Term::Tuple(elems);
                return Ok(());
            }
            n
        } else {
            self.len_u32(1)?
        };
        let mut elems = Vec::with_capacity(n);
        self.elems_into(&mut elems, n, depth)?;
        *slot = Term::Tuple(elems);
        Ok(())
    }

    fn string(&mut self) -> Res<Vec<Term>> {
        let n = usize::from(self.u16()?);
        let s = self.take(n)?;
        Ok(s.iter().map(|&b| Term::Int(i64::from(b))).collect())
    }

    /// LIST_EXT after its tag. A tail that is itself a list (LIST, STRING or NIL) is spliced in
    /// without recursion, so `[1 | [2 | [3]]]` written as nested LIST_EXTs is the proper list
    /// `[1, 2, 3]`, and an empty LIST_EXT with tail `T` is just `T`.
    fn list(&mut self, depth: usize) -> Res<Term> {
        let mut n = self.len_u32(1)?;
        let mut elems: Vec<Term> = Vec::with_capacity(n);
        loop {
            self.elems_into(&mut elems, n, depth)?;
            match self.input.get(self.pos) {
                Some(&NIL_EXT) => {
                    self.pos += 1;
                    return Ok(Term::List(elems));
                }
                Some(&STRING_EXT) => {
                    self.pos += 1;
                    let s = self.string()?;
                    elems.extend(s);
                    return Ok(Term::List(elems));
                }
                Some(&LIST_EXT) => {
                    self.pos += 1;
                    n = self.len_u32(1)?;
                }
                _ => {
                    let tail = self.term(depth + 1)?;
                    return Ok(Term::cons(elems, tail));
                }
            }
        }
    }

    fn map(&mut self, depth: usize, at: usize) -> Res<Term> {
        let n = self.len_u32(2)?;
        let mut pairs = Vec::with_capacity(n);
        pairs.resize_with(n, || (placeholder(), placeholder()));
        for (k, v) in pairs.iter_mut() {
            self.term_into(k, depth + 1)?;
            self.term_into(v, depth + 1)?;
        }
        match Map::try_from_pairs(pairs) {
            Ok(m) => Ok(Term::Map(m)),
            Err(_) => self.err(at, DecodeErrorKind::DuplicateMapKey),
        }
    }

    fn new_float(&mut self, at: usize) -> Res<Term> {
        let f = f64::from_bits(u64::from_be_bytes(self.array()?));
        if !f.is_finite() {
            return self.err(at, DecodeErrorKind::NonFiniteFloat);
        }
        Ok(Term::Float(f))
    }

    #[inline(never)]
    fn old_float(&mut self, at: usize) -> Res<Term> {
        let raw = self.take(31)?;
        let text = raw.split(|&b| b == 0).next().unwrap_or(&[]);
        let parsed = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok());
        match parsed {
            Some(f) if f.is_finite() => Ok(Term::Float(f)),
            Some(_) => self.err(at, DecodeErrorKind::NonFiniteFloat),
            None => self.err(at, DecodeErrorKind::InvalidFloatText),
        }
    }

    fn big(&mut self, tag: u8) -> Res<Term> {
        let n = if tag == SMALL_BIG_EXT {
            usize::from(self.u8()?)
        } else {
            self.len_u32(1)?
        };
        let sign_at = self.pos;
        let sign = self.u8()?;
        let mag = self.take(n)?;
        let negative = match sign {
            0 => false,
            1 => true,
            other => return self.err(sign_at, DecodeErrorKind::InvalidSign(other)),
        };
        // Leading zero bytes (at the end, little-endian) are allowed and mean nothing.
        let significant = mag.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        if significant <= 8 {
            let mut buf = [0u8; 8];
            buf[..significant].copy_from_slice(&mag[..significant]);
            let v = u64::from_le_bytes(buf);
            let value = if negative {
                -i128::from(v)
            } else {
                i128::from(v)
            };
            if let Ok(i) = i64::try_from(value) {
                return Ok(Term::Int(i));
            }
        }
        let sign = if negative { Sign::Minus } else { Sign::Plus };
        Ok(Term::bigint(BigInt::from_bytes_le(
            sign,
            &mag[..significant],
        )))
    }

    /// NEW_PID after its tag, written into `slot`.
    #[inline(always)]
    fn pid_into(&mut self, slot: &mut Term) -> Res<()> {
        *slot = Term::Pid(self.new_pid()?);
        Ok(())
    }

    /// NEW_PID after its tag.
    #[inline(always)]
    pub(crate) fn new_pid(&mut self) -> Res<Pid> {
        let node = match self.fast_atom() {
            Some(node) => node,
            None => self.atom()?,
        };
        // ID, Serial and Creation in one bounds check.
        let b: [u8; 12] = self.array()?;
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Ok(Pid {
            node,
            id: word(0),
            serial: word(4),
            creation: word(8),
        })
    }

    /// Consumes the next byte if it is `tag` (where a term starts); whether it did.
    #[inline(always)]
    pub(crate) fn take_tag(&mut self, tag: u8) -> bool {
        let found = self.input.get(self.pos) == Some(&tag);
        self.pos += usize::from(found);
        found
    }

    /// The legacy PID (103): one byte of creation.
    #[inline(never)]
    fn old_pid(&mut self) -> Res<Pid> {
        let node = self.atom()?;
        let id = self.u32()?;
        let serial = self.u32()?;
        let creation = u32::from(self.u8()?);
        Ok(Pid {
            node,
            id,
            serial,
            creation,
        })
    }

    fn port(&mut self, tag: u8) -> Res<Port> {
        let node = self.atom()?;
        let id = if tag == V4_PORT_EXT {
            u64::from_be_bytes(self.array()?)
        } else {
            u64::from(self.u32()?)
        };
        let creation = if tag == PORT_EXT {
            u32::from(self.u8()?)
        } else {
            self.u32()?
        };
        Ok(Port { node, id, creation })
    }

    /// NEWER_REFERENCE (or NEW_REFERENCE) after its tag, written into `slot`.
    #[inline(always)]
    fn reference_into(&mut self, slot: &mut Term, newer: bool) -> Res<()> {
        *slot = Term::Reference(self.new_reference(newer)?);
        Ok(())
    }

    /// NEWER_REFERENCE (or NEW_REFERENCE) after its tag.
    #[inline(always)]
    pub(crate) fn new_reference(&mut self, newer: bool) -> Res<Reference> {
        let len_at = self.pos;
        let len = self.u16()?;
        if len == 0 || len > 5 {
            return self.err(len_at, DecodeErrorKind::InvalidReferenceLength(len));
        }
        let node = match self.fast_atom() {
            Some(node) => node,
            None => self.atom()?,
        };
        self.reference_rest(newer, len, node)
    }

    /// A reference's creation and `len` ids, after its node.
    #[inline(always)]
    fn reference_rest(&mut self, newer: bool, len: u16, node: Atom) -> Res<Reference> {
        let creation = if newer {
            self.u32()?
        } else {
            u32::from(self.u8()?)
        };
        let mut words = [0u32; MAX_REF_IDS];
        for word in words.iter_mut().take(usize::from(len)) {
            *word = self.u32()?;
        }
        // The caller checked 1 <= len <= 5; the words past `len` are still zero.
        let ids = RefIds::from_parts(words, len as u8);
        Ok(Reference {
            node,
            creation,
            ids,
        })
    }

    #[inline(never)]
    fn old_reference(&mut self) -> Res<Reference> {
        let node = self.atom()?;
        let id = self.u32()?;
        let creation = u32::from(self.u8()?);
        Ok(Reference {
            node,
            creation,
            ids: RefIds::from([id]),
        })
    }

    #[inline(never)]
    fn bit_binary(&mut self) -> Res<Term> {
        let len = self.len_u32(1)?;
        let bits_at = self.pos;
        let bits = self.u8()?;
        if bits == 0 || bits > 8 || len == 0 {
            return self.err(bits_at, DecodeErrorKind::InvalidBitCount(bits));
        }
        let bytes = self.binary(len)?;
        if bits == 8 {
            return Ok(Term::Binary(bytes));
        }
        let mask = 0xFFu8 << (8 - bits);
        let bytes = match bytes.last() {
            Some(&last) if last & !mask != 0 => {
                // Unused low bits must read as zero.
                let mut owned = bytes.to_vec();
                if let Some(l) = owned.last_mut() {
                    *l &= mask;
                }
                Bytes::from(owned)
            }
            _ => bytes,
        };
        Ok(Term::BitBinary(BitBinary {
            bytes,
            bits_in_last: bits,
        }))
    }

    #[inline(never)]
    fn small_int_field(&mut self, what: &'static str) -> Res<Term> {
        let at = self.pos;
        match self.u8()? {
            SMALL_INTEGER_EXT => Ok(Term::Int(i64::from(self.u8()?))),
            INTEGER_EXT => Ok(Term::Int(i64::from(i32::from_be_bytes(self.array()?)))),
            _ => self.err(at, DecodeErrorKind::ExpectedInteger(what)),
        }
    }

    #[inline(never)]
    fn fun(&mut self, depth: usize, at: usize) -> Res<Term> {
        let size_at = self.pos;
        let declared = self.u32()?;
        let arity = self.u8()?;
        let uniq: [u8; 16] = self.array()?;
        let index = self.u32()?;
        let num_free = self.len_u32(1)?;
        let module = self.atom()?;
        let old_index = self.small_int_field("an integer old index in a fun")?;
        let old_uniq = self.small_int_field("an integer old uniq in a fun")?;
        let pid_at = self.pos;
        let pid = self.term(depth + 1)?;
        if !matches!(pid, Term::Pid(_)) {
            return self.err(pid_at, DecodeErrorKind::ExpectedPid);
        }
        let mut free_vars = Vec::with_capacity(num_free);
        for _ in 0..num_free {
            free_vars.push(self.term(depth + 1)?);
        }
        let actual = self.pos - size_at;
        if actual != declared as usize {
            return self.err(at, DecodeErrorKind::FunSizeMismatch { declared, actual });
        }
        Ok(Term::Fun(Box::new(Fun {
            arity,
            uniq,
            index,
            module,
            old_index,
            old_uniq,
            pid,
            free_vars,
        })))
    }

    #[inline(never)]
    fn export(&mut self) -> Res<Term> {
        let module = self.atom()?;
        let function = self.atom()?;
        let at = self.pos;
        match self.u8()? {
            SMALL_INTEGER_EXT => {
                let arity = self.u8()?;
                Ok(Term::Export(Box::new(Export {
                    module,
                    function,
                    arity,
                })))
            }
            _ => self.err(
                at,
                DecodeErrorKind::ExpectedInteger("an export arity as SMALL_INTEGER"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::to_bytes;

    fn kind(bytes: &[u8]) -> Option<DecodeErrorKind> {
        from_bytes(bytes).err().map(|e| e.kind)
    }

    /// Two cache entries, as a message's atom cache header would give them.
    struct TwoCached;

    impl AtomDecoder for TwoCached {
        fn cached_atom(&self, index: u8) -> Option<Atom> {
            match index {
                0 => Some(Atom::new("alias")),
                1 => Some(Atom::new("a@host")),
                _ => None,
            }
        }
    }

    #[test]
    fn atom_cache_refs_resolve_or_fail_with_the_index() {
        // {alias, <pid on node ref 1>}: a ref in a term's place and in a pid's node.
        let pid = [88, 82, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3];
        let mut input = vec![104, 2, 82, 0];
        input.extend_from_slice(&pid);
        let (term, used) = decode_term(&input, &TwoCached).expect("both refs are cached");
        assert_eq!(used, input.len());
        let Term::Tuple(items) = term else {
            panic!("not a tuple: {term:?}")
        };
        assert_eq!(items[0], Term::atom("alias"));
        let Term::Pid(p) = &items[1] else {
            panic!("not a pid: {:?}", items[1])
        };
        assert_eq!((p.node.as_str(), p.id, p.creation), ("a@host", 7, 3));
        // An index the header did not give: in a term's place, and where an atom must be.
        let miss = |bytes: &[u8]| decode_term(bytes, &TwoCached).err().map(|e| e.kind);
        assert_eq!(miss(&[82, 5]), Some(DecodeErrorKind::AtomCacheMiss(5)));
        let mut bad_pid = pid;
        bad_pid[2] = 9;
        assert_eq!(miss(&bad_pid), Some(DecodeErrorKind::AtomCacheMiss(9)));
        // Without a cache every ref misses.
        assert_eq!(
            decode_term(&[82, 0], &NoAtomCache).err().map(|e| e.kind),
            Some(DecodeErrorKind::AtomCacheMiss(0))
        );
    }

    #[test]
    fn decodes_legacy_and_modern_forms() {
        assert_eq!(
            from_bytes(&[131, 100, 0, 3, b'a', b'b', b'c']),
            Ok(Term::atom("abc"))
        );
        assert_eq!(from_bytes(&[131, 100, 0, 1, 246]), Ok(Term::atom("ö")));
        assert_eq!(from_bytes(&[131, 115, 0]), Ok(Term::atom("")));
        assert_eq!(
            from_bytes(&[131, 107, 0, 2, 1, 2]),
            Ok(Term::list(vec![Term::Int(1), Term::Int(2)]))
        );
        assert_eq!(
            from_bytes(&[131, 108, 0, 0, 0, 1, 97, 1, 97, 2]),
            Ok(Term::cons(vec![Term::Int(1)], Term::Int(2)))
        );
        // A LIST whose tail is a LIST is one proper list; an empty LIST with a tail is the tail.
        assert_eq!(
            from_bytes(&[131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106]),
            Ok(Term::list(vec![Term::Int(1), Term::Int(2)]))
        );
        assert_eq!(from_bytes(&[131, 108, 0, 0, 0, 0, 97, 7]), Ok(Term::Int(7)));
        assert_eq!(from_bytes(&[131, 110, 0, 0]), Ok(Term::Int(0)));
        assert_eq!(from_bytes(&[131, 110, 2, 1, 5, 0]), Ok(Term::Int(-5)));
        assert_eq!(
            from_bytes(&[131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]),
            Ok(Term::Int(i64::MIN))
        );
        let mut float = vec![131, 99];
        float.extend_from_slice(
            format!("{:<31}", "1.50000000000000000000e+00")
                .replace(' ', "\0")
                .as_bytes(),
        );
        assert_eq!(from_bytes(&float), Ok(Term::Float(1.5)));
    }

    #[test]
    fn refuses_malformed_input_with_offsets() {
        assert_eq!(kind(&[]), Some(DecodeErrorKind::BadVersion { found: None }));
        assert_eq!(
            kind(&[130, 97, 1]),
            Some(DecodeErrorKind::BadVersion { found: Some(130) })
        );
        assert_eq!(
            from_bytes(&[131, 97, 1, 0]).err(),
            Some(DecodeError::new(3, DecodeErrorKind::TrailingBytes(1)))
        );
        assert_eq!(
            kind(&[131, 121]),
            Some(DecodeErrorKind::UnsupportedTag {
                tag: 121,
                name: "LOCAL_EXT"
            })
        );
        assert_eq!(
            kind(&[131, 117]),
            Some(DecodeErrorKind::UnsupportedTag {
                tag: 117,
                name: "FUN_EXT"
            })
        );
        assert_eq!(
            kind(&[131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]),
            Some(DecodeErrorKind::NonFiniteFloat)
        );
        assert_eq!(
            kind(&[131, 77, 0, 0, 0, 1, 0, 255]),
            Some(DecodeErrorKind::InvalidBitCount(0))
        );
        assert_eq!(
            kind(&[131, 119, 1, 0xff]),
            Some(DecodeErrorKind::InvalidUtf8)
        );
        let mut long = vec![131, 100, 1, 0];
        long.extend(std::iter::repeat(b'a').take(256));
        assert_eq!(
            kind(&long),
            Some(DecodeErrorKind::AtomTooLong { chars: 256 })
        );
        let dup = [131, 116, 0, 0, 0, 2, 97, 1, 106, 97, 1, 106];
        assert_eq!(
            from_bytes(&dup).err(),
            Some(DecodeError::new(1, DecodeErrorKind::DuplicateMapKey))
        );
        // Two `[]` keys: found by the property test, comparing them used to recurse forever.
        let nil_keys = [131, 116, 0, 0, 0, 2, 106, 97, 1, 106, 97, 2];
        assert_eq!(kind(&nil_keys), Some(DecodeErrorKind::DuplicateMapKey));
        assert_eq!(
            kind(&[131, 77, 0, 0, 0, 0, 8]),
            Some(DecodeErrorKind::InvalidBitCount(8))
        );
        assert_eq!(
            kind(&[131, 90, 0, 6, 119, 0]),
            Some(DecodeErrorKind::InvalidReferenceLength(6))
        );
        assert_eq!(
            decode_term(&[82, 3], &NoAtomCache).err().map(|e| e.kind),
            Some(DecodeErrorKind::AtomCacheMiss(3))
        );
        // Nested compressed terms are refused.
        assert!(matches!(
            kind(&[131, 104, 1, 80, 0, 0, 0, 1]),
            Some(DecodeErrorKind::UnsupportedTag { tag: 80, .. })
        ));
    }

    #[test]
    fn huge_lengths_allocate_nothing() {
        for tag in [105u8, 108, 109, 116, 111, 77] {
            let e = from_bytes(&[131, tag, 0xff, 0xff, 0xff, 0xff, 0]).err();
            assert!(
                matches!(
                    e,
                    Some(DecodeError {
                        offset: 2,
                        kind: DecodeErrorKind::UnexpectedEnd { .. }
                    })
                ),
                "tag {tag}: {e:?}"
            );
        }
        assert!(matches!(
            kind(&[131, 80, 0xff, 0xff, 0xff, 0xff, 0x78]),
            Some(DecodeErrorKind::DecompressedTooLarge { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        for open in [
            [104u8, 1].as_slice(),
            &[108, 0, 0, 0, 1],
            &[116, 0, 0, 0, 1, 106],
        ] {
            let mut deep = vec![131];
            for _ in 0..100_000 {
                deep.extend_from_slice(open);
            }
            deep.push(106);
            assert!(matches!(kind(&deep), Some(DecodeErrorKind::TooDeep { .. })));
        }
        // Just inside the limit decodes and re-encodes.
        let mut ok = vec![131];
        for _ in 0..MAX_NESTING_DEPTH - 1 {
            ok.extend_from_slice(&[104, 1]);
        }
        ok.push(106);
        let term = from_bytes(&ok);
        assert!(term.is_ok());
        assert_eq!(term.ok().map(|t| to_bytes(&t)), Some(Ok(ok)));
    }

    #[test]
    fn truncation_at_every_offset_is_an_error() {
        let samples = [
            Term::tuple(vec![
                Term::atom("$gen_call"),
                Term::Float(-0.0),
                Term::Int(1 << 40),
                Term::binary(&b"xyz"[..]),
            ]),
            Term::Map(Map::from_pairs([(
                Term::atom("k"),
                Term::list(vec![Term::Int(300), Term::nil()]),
            )])),
            Term::Pid(Pid {
                node: Atom::new("a@b"),
                id: 1,
                serial: 2,
                creation: 3,
            }),
            Term::Reference(Reference {
                node: Atom::new("a@b"),
                creation: 3,
                ids: RefIds::from([1, 2, 3]),
            }),
        ];
        for t in &samples {
            let full = to_bytes(t).unwrap_or_default();
            assert_eq!(from_bytes(&full).as_ref(), Ok(t));
            for cut in 0..full.len() {
                let e = from_bytes(&full[..cut]).err();
                assert!(e.is_some(), "{t:?} cut at {cut} decoded");
            }
        }
    }

    #[test]
    fn short_input_with_big_small_tuples_fails_where_it_ends() {
        // Nested SMALL_TUPLEs claiming 255 elements each: no slots beyond the input, and the
        // error at its end.
        let mut nested = vec![131];
        for _ in 0..500 {
            nested.extend_from_slice(&[104, 255]);
        }
        assert_eq!(
            from_bytes(&nested).err(),
            Some(DecodeError::new(
                nested.len(),
                DecodeErrorKind::UnexpectedEnd { needed: 1 }
            ))
        );
    }

    #[test]
    fn fast_paths_fall_back_with_the_same_errors() {
        // A pid or reference whose node is cut short: the fast atom path must give the
        // position back so that the general path reports the usual offset.
        assert_eq!(
            from_bytes(&[131, 88, 119, 3, b'a']).err(),
            Some(DecodeError::new(
                4,
                DecodeErrorKind::UnexpectedEnd { needed: 2 }
            ))
        );
        assert_eq!(
            from_bytes(&[131, 90, 0, 1, 119, 9, b'a']).err(),
            Some(DecodeError::new(
                6,
                DecodeErrorKind::UnexpectedEnd { needed: 8 }
            ))
        );
        assert_eq!(
            from_bytes(&[131, 88, 97, 1]).err(),
            Some(DecodeError::new(2, DecodeErrorKind::ExpectedAtom(97)))
        );
        // Nodes seen before (cached) and never seen (first decode) read the same.
        for node in ["fast_path_node@host", "fast_path_other@host"] {
            for _ in 0..2 {
                let pid = Term::Pid(Pid {
                    node: Atom::new(node),
                    id: 7,
                    serial: 8,
                    creation: 9,
                });
                let bytes = to_bytes(&pid).unwrap_or_default();
                assert_eq!(from_bytes(&bytes), Ok(pid));
            }
        }
        // Latin-1 and long-form atoms with the same text as a cached one.
        assert_eq!(
            from_bytes(&[131, 104, 2, 119, 2, b'o', b'k', 100, 0, 2, b'o', b'k']),
            Ok(Term::tuple(vec![Term::atom("ok"), Term::atom("ok")]))
        );
    }

    #[test]
    fn zero_copy_binaries_share_the_input() {
        let bytes = Bytes::from(to_bytes(&Term::binary(vec![9u8; 64])).unwrap_or_default());
        let Ok(Term::Binary(b)) = from_bytes_shared(&bytes) else {
            panic!("not a binary")
        };
        assert_eq!(b.as_ptr(), bytes[6..].as_ptr());
        let (t, used) =
            decode_term_bytes(&bytes.slice(1..), &NoAtomCache).unwrap_or((Term::nil(), 0));
        assert_eq!(used, bytes.len() - 1);
        assert_eq!(t, Term::binary(vec![9u8; 64]));
    }
}
