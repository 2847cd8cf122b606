//! Compressed payloads between ergo-rs nodes (flate2's zlib): negotiated with the private flag
//! [`DistFlags::ERGO_COMPRESSION`](super::DistFlags::ERGO_COMPRESSION), so an Erlang peer never
//! sees them. A compressed payload replaces the payload term's bytes inside a frame with
//! `80, UncompressedSize:32, ZlibData` (80 is ETF's COMPRESSED tag, never the first byte of a
//! distribution payload otherwise); the uncompressed bytes still use the frame's atom cache.
//!
//! Owns the settings, the decision to compress (with a cheap sample first, so incompressible
//! data costs almost nothing), and inflating with a size limit (no zip bombs). Must not frame.
//!
//! Without the `compression` feature the node does not offer the flag, never compresses, and
//! refuses a compressed payload as not negotiated.

#[cfg(feature = "compression")]
use std::io::{Read, Write};

#[cfg(feature = "compression")]
use flate2::write::ZlibEncoder;

use super::error::FrameError;

/// The marker of a compressed payload (ETF's COMPRESSED tag).
pub const COMPRESSED: u8 = 80;

/// Compression settings (node-wide in `DistOptions`, or per process).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    /// zlib level, 0 (store) to 9 (best); the seed's default is 5.
    pub level: u32,
    /// Payloads smaller than this many bytes go plain (default 1 KiB).
    pub threshold: usize,
}

impl Default for Compression {
    fn default() -> Compression {
        Compression {
            level: 5,
            threshold: 1024,
        }
    }
}

/// Payloads at least this large are sampled before being compressed whole.
#[cfg(feature = "compression")]
const SAMPLE_FROM: usize = 64 << 10;
/// The sample: this many leading bytes, at the fastest level.
#[cfg(feature = "compression")]
const SAMPLE: usize = 16 << 10;

#[cfg(feature = "compression")]
fn deflate(data: &[u8], level: u32, out: Vec<u8>) -> Option<Vec<u8>> {
    let mut z = ZlibEncoder::new(out, flate2::Compression::new(level.min(9)));
    z.write_all(data).ok()?;
    z.finish().ok()
}

/// Whether compressing `payload` is worth it: big enough, and (for large payloads) a quick
/// sample shrinks by a tenth at least.
#[cfg(feature = "compression")]
fn worth(payload: &[u8], settings: &Compression) -> bool {
    if payload.len() < settings.threshold.max(16) {
        return false;
    }
    if payload.len() < SAMPLE_FROM {
        return true;
    }
    let sample = &payload[..SAMPLE];
    match deflate(sample, 1, Vec::with_capacity(SAMPLE)) {
        Some(z) => z.len() * 10 < sample.len() * 9,
        None => false,
    }
}

/// Appends `payload` compressed (`80, Size:32, Zlib`) to `out` and returns true, or leaves `out`
/// alone and returns false when it would not shrink (the caller then appends it plain).
#[cfg(not(feature = "compression"))]
pub fn compress_payload(_payload: &[u8], _settings: &Compression, _out: &mut Vec<u8>) -> bool {
    false
}

/// Appends `payload` compressed (`80, Size:32, Zlib`) to `out` and returns true, or leaves `out`
/// alone and returns false when it would not shrink (the caller then appends it plain).
#[cfg(feature = "compression")]
pub fn compress_payload(payload: &[u8], settings: &Compression, out: &mut Vec<u8>) -> bool {
    let Ok(size) = u32::try_from(payload.len()) else {
        return false;
    };
    if !worth(payload, settings) {
        return false;
    }
    match deflate(
        payload,
        settings.level,
        Vec::with_capacity(payload.len() / 4),
    ) {
        Some(z) if z.len() + 5 < payload.len() => {
            out.push(COMPRESSED);
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(&z);
            true
        }
        _ => false,
    }
}

/// Inflates a compressed payload (the bytes after the marker); refuses one that claims or
/// reaches more than `limit` bytes, or whose data is not zlib, or has the wrong size.
#[cfg(not(feature = "compression"))]
pub fn inflate_payload(_body: &[u8], _limit: usize) -> Result<Vec<u8>, FrameError> {
    Err(FrameError::NotNegotiated("compressed payload"))
}

/// Inflates a compressed payload (the bytes after the marker); refuses one that claims or
/// reaches more than `limit` bytes, or whose data is not zlib, or has the wrong size.
#[cfg(feature = "compression")]
pub fn inflate_payload(body: &[u8], limit: usize) -> Result<Vec<u8>, FrameError> {
    let size = body
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or(FrameError::Truncated("compressed payload size"))?;
    if size > limit {
        return Err(FrameError::Compressed(format!(
            "payload would inflate to {size} bytes, over the limit of {limit}"
        )));
    }
    let mut out = Vec::with_capacity(size);
    let mut z =
        flate2::read::ZlibDecoder::new(body.get(4..).unwrap_or_default()).take(size as u64 + 1);
    z.read_to_end(&mut out)
        .map_err(|e| FrameError::Compressed(format!("corrupt compressed payload: {e}")))?;
    if out.len() != size {
        return Err(FrameError::Compressed(format!(
            "compressed payload inflated to {} bytes, {size} announced",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(all(test, feature = "compression"))]
mod tests {
    use super::*;

    #[test]
    fn compressible_payloads_shrink_and_come_back() {
        let data = b"hello compression ".repeat(10_000);
        let mut out = vec![9];
        assert!(compress_payload(&data, &Compression::default(), &mut out));
        assert_eq!(out[0], 9);
        assert_eq!(out[1], COMPRESSED);
        assert!(out.len() < data.len() / 20);
        assert_eq!(inflate_payload(&out[2..], 1 << 20).expect("inflate"), data);
    }

    #[test]
    fn small_and_incompressible_payloads_stay_plain() {
        let mut out = Vec::new();
        assert!(!compress_payload(
            b"tiny",
            &Compression::default(),
            &mut out
        ));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(!compress_payload(&noise, &Compression::default(), &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn zip_bombs_and_garbage_are_refused() {
        let zeros = vec![0u8; 4 << 20];
        let mut out = Vec::new();
        assert!(compress_payload(&zeros, &Compression::default(), &mut out));
        assert!(matches!(
            inflate_payload(&out[1..], 1 << 20),
            Err(FrameError::Compressed(_))
        ));
        // A size that lies low: inflation stops at the announced size + 1 and is refused.
        let mut lying = out[1..].to_vec();
        lying[..4].copy_from_slice(&1000u32.to_be_bytes());
        assert!(matches!(
            inflate_payload(&lying, 8 << 20),
            Err(FrameError::Compressed(_))
        ));
        assert!(matches!(
            inflate_payload(&[0, 0, 0, 10, 1, 2, 3], 100),
            Err(FrameError::Compressed(_))
        ));
        assert!(inflate_payload(&[0, 0], 100).is_err());
    }
}
