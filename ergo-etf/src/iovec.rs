//! Encodings in pieces, large binaries referenced instead of copied: OTP's `term_to_iovec`.
//!
//! An encoding here is a byte buffer plus a list of [`Splice`]s, each a reference-counted
//! binary to be inserted at an offset of the buffer. Whoever writes it out (a vectored socket
//! write, or [`to_iovec`]'s list of `Bytes`) never copies those bytes. This module owns that
//! representation and walking it in order; the encoder (`encode`) decides what is spliced, and
//! nothing here does I/O.

use bytes::Bytes;

use crate::codec_error::EncodeError;
use crate::encode::{encode_term_spliced, size_hint};
use crate::tag::VERSION_MAGIC;
use crate::{NoAtomCache, Term};

/// Binaries at least this long are spliced rather than copied: below it, copying costs less
/// than an extra piece in a vectored write (OTP splices every off-heap binary, over 64 bytes).
pub const SPLICE_MIN_BYTES: usize = 2048;

/// A binary's bytes that belong at offset `at` of an encoding's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    /// Offset in the buffer before which these bytes go (offsets never decrease along a list).
    pub at: usize,
    /// The bytes, shared with the term they came from.
    pub bytes: Bytes,
}

/// An encoding in pieces: a buffer and the [`Splice`]s that go into it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IoVec {
    /// Everything but the spliced binaries.
    pub buf: Vec<u8>,
    /// The spliced binaries, in order of their offsets into `buf`.
    pub splices: Vec<Splice>,
}

impl IoVec {
    /// The pieces in order, empty ones skipped: what a vectored write sends.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> + '_ {
        pieces(&self.buf, &self.splices)
    }

    /// The length of the whole encoding.
    pub fn len(&self) -> usize {
        spliced_len(&self.buf, &self.splices)
    }

    /// Whether the encoding is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole encoding in one buffer (copies the spliced binaries).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for p in self.pieces() {
            out.extend_from_slice(p);
        }
        out
    }
}

/// Encodes a stand-alone external term (`131` then the term) in pieces whose concatenation is
/// exactly [`crate::to_bytes`]'s output; binaries of [`SPLICE_MIN_BYTES`] or more are shared
/// with `term` rather than copied.
#[inline]
pub fn to_iovec(term: &Term) -> Result<IoVec, EncodeError> {
    let mut iov = IoVec {
        // Spliced binaries need no room: the guess is capped.
        buf: Vec::with_capacity(size_hint(term).min(4096) + 1),
        splices: Vec::new(),
    };
    iov.buf.push(VERSION_MAGIC);
    encode_term_spliced(term, &mut iov.buf, &mut iov.splices, &mut NoAtomCache)?;
    Ok(iov)
}

/// The pieces of `buf` with `splices` inserted, in order, skipping empty ones: what a vectored
/// write sends. Offsets past the end of `buf` are treated as its end.
pub fn pieces<'a>(buf: &'a [u8], splices: &'a [Splice]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let clamp = |from: usize, s: &Splice| s.at.clamp(from, buf.len());
    let mut from = 0;
    let heads_and_splices = splices.iter().flat_map(move |s| {
        let at = clamp(from, s);
        let head = buf.get(from..at).unwrap_or_default();
        from = at;
        [head, &s.bytes[..]]
    });
    let tail = buf.get(splices.iter().fold(0, clamp)..).unwrap_or_default();
    heads_and_splices
        .chain(std::iter::once(tail))
        .filter(|p| !p.is_empty())
}

/// The total length of an encoding held as `buf` plus `splices`.
pub fn spliced_len(buf: &[u8], splices: &[Splice]) -> usize {
    buf.len() + splices_len(splices)
}

/// The bytes `splices` hold together.
pub fn splices_len(splices: &[Splice]) -> usize {
    splices.iter().map(|s| s.bytes.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{from_bytes, to_bytes, BitBinary};

    #[test]
    fn large_binaries_are_pieces_of_their_own_and_the_bytes_match_to_bytes() {
        let big = Bytes::from(vec![7u8; 100_000]);
        let mut bit_bytes = vec![0xFFu8; 5000];
        bit_bytes[4999] = 0xE0;
        let bits = BitBinary {
            bytes: Bytes::from(bit_bytes),
            bits_in_last: 3,
        };
        let term = Term::tuple(vec![
            Term::atom("msg"),
            Term::Binary(big.clone()),
            Term::Binary(Bytes::from_static(b"small")),
            Term::BitBinary(bits),
            Term::Binary(big.clone()),
        ]);
        let iov = to_iovec(&term).expect("encodes");
        assert_eq!(iov.to_vec(), to_bytes(&term).expect("encodes"));
        assert_eq!(iov.len(), iov.to_vec().len());
        // The 100 KB binary is shared, not copied: the very same memory.
        let shared = iov
            .pieces()
            .filter(|p| p.as_ptr() == big.as_ptr() && p.len() == big.len())
            .count();
        assert_eq!(shared, 2);
        assert_eq!(from_bytes(&iov.to_vec()).expect("decodes"), term);
    }

    #[test]
    fn a_term_without_large_binaries_is_one_piece() {
        let term = Term::tuple(vec![Term::atom("a"), Term::Binary(vec![1u8; 100].into())]);
        let iov = to_iovec(&term).expect("encodes");
        assert_eq!(iov.pieces().count(), 1);
        assert_eq!(iov.to_vec(), to_bytes(&term).expect("encodes"));
    }

    #[test]
    fn pieces_interleave_buffer_and_splices_and_skip_empty_ones() {
        let splices = vec![
            Splice {
                at: 0,
                bytes: Bytes::from_static(b"A"),
            },
            Splice {
                at: 2,
                bytes: Bytes::from_static(b"B"),
            },
            Splice {
                at: 2,
                bytes: Bytes::new(),
            },
            Splice {
                at: 4,
                bytes: Bytes::from_static(b"C"),
            },
        ];
        let got: Vec<&[u8]> = pieces(b"xxyyzz", &splices).collect();
        assert_eq!(got, vec![&b"A"[..], b"xx", b"B", b"yy", b"C", b"zz"]);
        assert_eq!(spliced_len(b"xxyyzz", &splices), 9);
        let none: Vec<&[u8]> = pieces(b"", &[]).collect();
        assert!(none.is_empty());
    }
}
