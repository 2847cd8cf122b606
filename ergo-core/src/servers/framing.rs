//! How a TCP byte stream is cut into frames: raw chunks, lines, fixed-length records, or
//! records with a 1-, 2- or 4-byte big-endian length prefix, each with a maximum frame size.
//! The codecs are tokio-util's (`BytesCodec`, `AnyDelimiterCodec`, `LengthDelimitedCodec`);
//! fixed length is a few lines over them. Owns `Framing`, `FrameCodec` and `FrameError`; must not
//! know about processes.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{
    AnyDelimiterCodec, AnyDelimiterCodecError, BytesCodec, Decoder, Encoder, LengthDelimitedCodec,
};

/// How a TCP server cuts its connections' byte streams into frames (each frame is one `data`
/// event; what a handler writes is framed the same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Whatever arrived, in chunks of at most the maximum frame size; written as is.
    Raw,
    /// `\n`-terminated lines (a trailing `\r` is removed), without the terminator; `\n` is
    /// added to what is written. A last line without `\n` at end of stream is delivered.
    Lines,
    /// Records of exactly this many bytes; what is written must have that length.
    Fixed(usize),
    /// Records after a big-endian length prefix of 1, 2 or 4 bytes (the prefix counts only the
    /// payload); the prefix is added to what is written.
    LengthPrefixed(u8),
}

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A frame longer than the maximum (the connection is closed).
    #[error("frame longer than the maximum of {max} bytes")]
    TooLarge {
        /// The maximum.
        max: usize,
    },
    /// What a handler wrote does not have the fixed frame length.
    #[error("frame of {got} bytes where the fixed length is {expected}")]
    WrongLength {
        /// The fixed length.
        expected: usize,
        /// The length written.
        got: usize,
    },
    /// The stream ended inside a frame.
    #[error("stream ended inside a frame ({0} bytes left)")]
    Truncated(usize),
    /// The socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
}

/// The codec of one connection.
pub(crate) enum FrameCodec {
    Raw {
        codec: BytesCodec,
        max: usize,
    },
    Lines {
        codec: AnyDelimiterCodec,
        max: usize,
    },
    Fixed(usize),
    Prefixed {
        codec: LengthDelimitedCodec,
        max: usize,
    },
}

impl FrameCodec {
    /// The codec for `framing` with frames of at most `max` bytes; an error for options that
    /// cannot work (a zero size, a prefix width other than 1, 2 or 4, a fixed length over max).
    pub(crate) fn new(framing: Framing, max: usize) -> Result<FrameCodec, String> {
        if max == 0 {
            return Err("max_frame must be at least 1".into());
        }
        Ok(match framing {
            Framing::Raw => FrameCodec::Raw {
                codec: BytesCodec::new(),
                max,
            },
            Framing::Lines => FrameCodec::Lines {
                codec: AnyDelimiterCodec::new_with_max_length(b"\n".to_vec(), b"\n".to_vec(), max),
                max,
            },
            Framing::Fixed(0) => return Err("a fixed frame length must be at least 1".into()),
            Framing::Fixed(n) if n > max => {
                return Err(format!("fixed frame length {n} is over max_frame {max}"))
            }
            Framing::Fixed(n) => FrameCodec::Fixed(n),
            Framing::LengthPrefixed(width @ (1 | 2 | 4)) => {
                let width = usize::from(width);
                let ceiling = if width == 4 {
                    u32::MAX as usize
                } else {
                    (1usize << (8 * width)) - 1
                };
                let max = max.min(ceiling);
                FrameCodec::Prefixed {
                    codec: LengthDelimitedCodec::builder()
                        .length_field_length(width)
                        .max_frame_length(max)
                        .new_codec(),
                    max,
                }
            }
            Framing::LengthPrefixed(other) => {
                return Err(format!("a length prefix is 1, 2 or 4 bytes, not {other}"))
            }
        })
    }
}

impl Decoder for FrameCodec {
    type Item = Bytes;
    type Error = FrameError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        match self {
            FrameCodec::Raw { codec, max } => {
                if buf.len() > *max {
                    return Ok(Some(buf.split_to(*max).freeze()));
                }
                Ok(codec.decode(buf)?.map(BytesMut::freeze))
            }
            FrameCodec::Lines { codec, max } => match codec.decode(buf) {
                Ok(line) => Ok(line.map(strip_cr)),
                Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => {
                    Err(FrameError::TooLarge { max: *max })
                }
                Err(AnyDelimiterCodecError::Io(e)) => Err(e.into()),
            },
            FrameCodec::Fixed(n) => {
                if buf.len() >= *n {
                    Ok(Some(buf.split_to(*n).freeze()))
                } else {
                    buf.reserve(*n - buf.len());
                    Ok(None)
                }
            }
            FrameCodec::Prefixed { codec, max } => match codec.decode(buf) {
                Ok(frame) => Ok(frame.map(BytesMut::freeze)),
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    Err(FrameError::TooLarge { max: *max })
                }
                Err(e) => Err(e.into()),
            },
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        if let FrameCodec::Lines { codec, max } = self {
            // The line codec keeps a search position: its own end-of-stream handling resets it.
            return match codec.decode_eof(buf) {
                Ok(line) => Ok(line.map(strip_cr)),
                Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => {
                    Err(FrameError::TooLarge { max: *max })
                }
                Err(AnyDelimiterCodecError::Io(e)) => Err(e.into()),
            };
        }
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None if buf.is_empty() => Ok(None),
            None => match self {
                FrameCodec::Raw { .. } => Ok(Some(buf.split_to(buf.len()).freeze())),
                _ => {
                    let left = buf.len();
                    buf.advance(left);
                    Err(FrameError::Truncated(left))
                }
            },
        }
    }
}

fn strip_cr(line: Bytes) -> Bytes {
    if line.last() == Some(&b'\r') {
        line.slice(..line.len() - 1)
    } else {
        line
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = FrameError;

    fn encode(&mut self, data: Bytes, dst: &mut BytesMut) -> Result<(), FrameError> {
        match self {
            FrameCodec::Raw { .. } => {
                dst.put(data);
                Ok(())
            }
            FrameCodec::Lines { .. } => {
                dst.reserve(data.len() + 1);
                let ends = data.last() == Some(&b'\n');
                dst.put(data);
                if !ends {
                    dst.put_u8(b'\n');
                }
                Ok(())
            }
            FrameCodec::Fixed(n) => {
                if data.len() != *n {
                    return Err(FrameError::WrongLength {
                        expected: *n,
                        got: data.len(),
                    });
                }
                dst.put(data);
                Ok(())
            }
            FrameCodec::Prefixed { codec, max } => {
                if data.len() > *max {
                    return Err(FrameError::TooLarge { max: *max });
                }
                codec.encode(data, dst).map_err(FrameError::from)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framing: Framing, max: usize, chunks: &[&[u8]]) -> Result<Vec<Bytes>, String> {
        let mut codec = FrameCodec::new(framing, max)?;
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(f) = codec.decode(&mut buf).map_err(|e| e.to_string())? {
                out.push(f);
            }
        }
        while let Some(f) = codec.decode_eof(&mut buf).map_err(|e| e.to_string())? {
            out.push(f);
        }
        Ok(out)
    }

    #[test]
    fn split_and_coalesced_frames() {
        let lines = frames(Framing::Lines, 100, &[b"ab", b"c\r\nde\nf", b"g\nlast"]).unwrap();
        assert_eq!(lines, vec!["abc", "de", "fg", "last"]);
        let fixed = frames(Framing::Fixed(3), 100, &[b"ab", b"cdefg", b"hi"]).unwrap();
        assert_eq!(fixed, vec!["abc", "def", "ghi"]);
        let prefixed = frames(
            Framing::LengthPrefixed(2),
            100,
            &[b"\x00", b"\x03ab", b"c\x00\x01x\x00\x00"],
        )
        .unwrap();
        assert_eq!(prefixed, vec!["abc", "x", ""]);
        let one = frames(Framing::LengthPrefixed(1), 100, &[b"\x02hi\x01!"]).unwrap();
        assert_eq!(one, vec!["hi", "!"]);
        let four = frames(Framing::LengthPrefixed(4), 100, &[b"\x00\x00\x00\x02ok"]).unwrap();
        assert_eq!(four, vec!["ok"]);
        let raw = frames(Framing::Raw, 4, &[b"abcdefghij"]).unwrap();
        assert_eq!(raw, vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn oversized_and_truncated_frames_are_errors() {
        let long = frames(Framing::Lines, 4, &[b"abcdefgh\n"]).unwrap_err();
        assert!(long.contains("maximum of 4"), "{long}");
        let big = frames(Framing::LengthPrefixed(2), 4, &[b"\x00\x05hello"]).unwrap_err();
        assert!(big.contains("maximum of 4"), "{big}");
        let cut = frames(Framing::Fixed(4), 10, &[b"abcdef"]).unwrap_err();
        assert!(cut.contains("2 bytes left"), "{cut}");
        assert!(FrameCodec::new(Framing::LengthPrefixed(3), 10).is_err());
        assert!(FrameCodec::new(Framing::Fixed(11), 10).is_err());
        assert!(FrameCodec::new(Framing::Raw, 0).is_err());
    }

    #[test]
    fn writing_frames() {
        let mut out = BytesMut::new();
        let mut lines = FrameCodec::new(Framing::Lines, 10).unwrap();
        lines.encode(Bytes::from_static(b"hi"), &mut out).unwrap();
        let mut prefixed = FrameCodec::new(Framing::LengthPrefixed(1), 10).unwrap();
        prefixed
            .encode(Bytes::from_static(b"ab"), &mut out)
            .unwrap();
        assert_eq!(&out[..], b"hi\n\x02ab");
        let mut fixed = FrameCodec::new(Framing::Fixed(3), 10).unwrap();
        assert!(fixed.encode(Bytes::from_static(b"ab"), &mut out).is_err());
        assert!(prefixed
            .encode(Bytes::from(vec![0u8; 11]), &mut out)
            .is_err());
    }
}
