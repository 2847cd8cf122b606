//! The compressed form of a stand-alone term (tag 80): `131, 80, UncompressedSize:32, zlib(Term)`.
//!
//! This module owns deflating ([`to_bytes_compressed`]) and inflating with a hard limit: the
//! declared uncompressed size bounds the output (a zip bomb stops there), the caller's cap bounds
//! the declared size, and the first allocation is bounded by what the compressed input could
//! inflate to. It must not know the layout of terms (it calls `encode`/`decode` for that).
//!
//! Without the `compression` feature (flate2), a compressed term is refused with
//! `UnsupportedTag` and [`to_bytes_compressed`] does not exist.

#[cfg(feature = "compression")]
use std::io::{Read, Write};

#[cfg(feature = "compression")]
use flate2::write::ZlibEncoder;
#[cfg(feature = "compression")]
use flate2::Compression;

#[cfg(feature = "compression")]
use crate::codec_error::EncodeError;
use crate::codec_error::{DecodeError, DecodeErrorKind};
#[cfg(feature = "compression")]
use crate::encode::{encode_term_into, NoAtomCache};
use crate::tag::COMPRESSED;
#[cfg(feature = "compression")]
use crate::tag::VERSION_MAGIC;
#[cfg(feature = "compression")]
use crate::Term;

/// The most zlib can inflate one input byte to (deflate's maximum ratio is about 1032:1).
#[cfg(feature = "compression")]
const MAX_ZLIB_RATIO: usize = 1032;

/// Encodes a term in the compressed form (tag 80) at zlib `level` (0..=9; higher is clamped
/// to 9). Unlike OTP, which falls back to the plain form when compression does not help, this
/// always emits tag 80.
#[cfg(feature = "compression")]
pub fn to_bytes_compressed(term: &Term, level: u32) -> Result<Vec<u8>, EncodeError> {
    let mut plain = Vec::new();
    encode_term_into(term, &mut plain, &mut NoAtomCache)?;
    let size = u32::try_from(plain.len()).map_err(|_| EncodeError::TooLong {
        what: "term",
        len: plain.len(),
    })?;
    let mut out = Vec::with_capacity(plain.len() / 2 + 16);
    out.push(VERSION_MAGIC);
    out.push(COMPRESSED);
    out.extend_from_slice(&size.to_be_bytes());
    let mut z = ZlibEncoder::new(out, Compression::new(level.min(9)));
    z.write_all(&plain)
        .map_err(|e| EncodeError::Compress(e.to_string()))?;
    z.finish().map_err(|e| EncodeError::Compress(e.to_string()))
}

/// Inflates the compressed term whose size field starts at `bytes[at]` (just after tag 80),
/// returning exactly the declared number of bytes. The zlib stream must end the input.
#[cfg(not(feature = "compression"))]
pub(crate) fn inflate(
    _bytes: &[u8],
    at: usize,
    _max_decompressed: usize,
) -> Result<Vec<u8>, DecodeError> {
    Err(DecodeError::new(
        at.saturating_sub(1),
        DecodeErrorKind::UnsupportedTag {
            tag: COMPRESSED,
            name: "COMPRESSED (ergo-etf built without its compression feature)",
        },
    ))
}

/// Inflates the compressed term whose size field starts at `bytes[at]` (just after tag 80),
/// returning exactly the declared number of bytes. The zlib stream must end the input.
#[cfg(feature = "compression")]
pub(crate) fn inflate(
    bytes: &[u8],
    at: usize,
    max_decompressed: usize,
) -> Result<Vec<u8>, DecodeError> {
    let header = bytes.get(at..at + 4).ok_or_else(|| {
        DecodeError::new(
            at,
            DecodeErrorKind::UnexpectedEnd {
                needed: at + 4 - bytes.len().min(at + 4),
            },
        )
    })?;
    let declared = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if declared as usize > max_decompressed {
        return Err(DecodeError::new(
            at,
            DecodeErrorKind::DecompressedTooLarge {
                declared: u64::from(declared),
                limit: max_decompressed,
            },
        ));
    }
    let stream_at = at + 4;
    let compressed = bytes.get(stream_at..).unwrap_or(&[]);
    let first_alloc = (declared as usize).min(compressed.len().saturating_mul(MAX_ZLIB_RATIO));
    let mut out = Vec::with_capacity(first_alloc);
    let mut z = flate2::bufread::ZlibDecoder::new(compressed);
    // One byte more than declared tells "too long" apart from "exactly right".
    let read = (&mut z).take(u64::from(declared) + 1).read_to_end(&mut out);
    if let Err(e) = read {
        return Err(DecodeError::new(
            stream_at,
            DecodeErrorKind::Inflate(e.to_string()),
        ));
    }
    if out.len() != declared as usize {
        return Err(DecodeError::new(
            at,
            DecodeErrorKind::DecompressedSizeMismatch { declared },
        ));
    }
    let consumed = z.total_in() as usize;
    if consumed != compressed.len() {
        let end = stream_at + consumed;
        return Err(DecodeError::new(
            end,
            DecodeErrorKind::TrailingBytes(compressed.len() - consumed),
        ));
    }
    Ok(out)
}

#[cfg(all(test, feature = "compression"))]
mod tests {
    use super::*;
    use crate::from_bytes_with_limit;

    #[test]
    fn compressed_round_trip_and_limits() {
        let term = Term::binary(vec![7u8; 100_000]);
        let packed = match to_bytes_compressed(&term, 6) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert!(packed.len() < 2_000, "compressed to {} bytes", packed.len());
        assert_eq!(&packed[..2], &[131, 80]);
        assert_eq!(from_bytes_with_limit(&packed, 1 << 20), Ok(term));
        let err = from_bytes_with_limit(&packed, 1000).err().map(|e| e.kind);
        assert_eq!(
            err,
            Some(DecodeErrorKind::DecompressedTooLarge {
                declared: 100_005,
                limit: 1000
            })
        );
    }

    #[test]
    fn lying_sizes_are_refused() {
        let term = Term::binary(vec![1u8; 5000]);
        let packed = to_bytes_compressed(&term, 9).unwrap_or_default();
        for declared in [0u32, 4999, 5006, u32::MAX] {
            let mut lie = packed.clone();
            lie[2..6].copy_from_slice(&declared.to_be_bytes());
            let e = from_bytes_with_limit(&lie, usize::MAX)
                .err()
                .map(|e| e.kind);
            assert!(
                matches!(e, Some(DecodeErrorKind::DecompressedSizeMismatch { .. })),
                "declared {declared}: {e:?}"
            );
        }
        let mut trailing = packed.clone();
        trailing.push(0);
        assert!(matches!(
            from_bytes_with_limit(&trailing, 1 << 20).map_err(|e| e.kind),
            Err(DecodeErrorKind::TrailingBytes(1))
        ));
    }
}
