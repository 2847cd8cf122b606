//! Reassembly of fragmented messages (DIST_FRAGMENTS): sequences of `131,69` (first, with the
//! header) and `131,70` (rest) frames whose fragment ids count down to 1. Several sequences may
//! interleave; memory is capped per connection and so is the number of open sequences.
//!
//! Owns the partial buffers only; it must not parse headers or terms (see `frame`).

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};

use super::atom_cache::MessageAtomTable;
use super::error::FrameError;

/// A reassembled message: its header's atom table and its bytes (control + payload).
pub type Reassembled = (MessageAtomTable, Bytes);

struct Partial {
    table: MessageAtomTable,
    data: BytesMut,
    next_fragment: u64,
}

/// The open sequences of one connection.
pub struct Reassembly {
    open: HashMap<u64, Partial>,
    buffered: usize,
    memory_cap: usize,
    max_sequences: usize,
}

impl Reassembly {
    /// Reassembly holding at most `memory_cap` bytes in at most `max_sequences` sequences.
    pub fn new(memory_cap: usize, max_sequences: usize) -> Reassembly {
        Reassembly {
            open: HashMap::new(),
            buffered: 0,
            memory_cap,
            max_sequences,
        }
    }

    /// Bytes held in open sequences now.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Open sequences now.
    pub fn open_sequences(&self) -> usize {
        self.open.len()
    }

    fn reserve(&self, more: usize) -> Result<(), FrameError> {
        let wanted = self.buffered.saturating_add(more);
        if wanted > self.memory_cap {
            return Err(FrameError::FragmentMemory {
                wanted,
                cap: self.memory_cap,
            });
        }
        Ok(())
    }

    /// The first fragment of sequence `seq` (fragment id `fragment`, counting down to 1).
    pub fn first(
        &mut self,
        seq: u64,
        fragment: u64,
        table: MessageAtomTable,
        data: &[u8],
    ) -> Result<Option<Reassembled>, FrameError> {
        match fragment {
            0 => Err(FrameError::Fragment("fragment id 0".into())),
            1 => Ok(Some((table, Bytes::copy_from_slice(data)))),
            _ => {
                if self.open.contains_key(&seq) {
                    return Err(FrameError::Fragment(format!(
                        "sequence {seq} started twice"
                    )));
                }
                if self.open.len() >= self.max_sequences {
                    return Err(FrameError::Fragment(format!(
                        "more than {} concurrent sequences",
                        self.max_sequences
                    )));
                }
                self.reserve(data.len())?;
                self.buffered += data.len();
                let mut buf = BytesMut::with_capacity(data.len());
                buf.extend_from_slice(data);
                self.open.insert(
                    seq,
                    Partial {
                        table,
                        data: buf,
                        next_fragment: fragment - 1,
                    },
                );
                Ok(None)
            }
        }
    }

    /// A following fragment of sequence `seq`.
    pub fn next(
        &mut self,
        seq: u64,
        fragment: u64,
        data: &[u8],
    ) -> Result<Option<Reassembled>, FrameError> {
        let expected = match self.open.get(&seq) {
            Some(p) => p.next_fragment,
            None => {
                return Err(FrameError::Fragment(format!(
                    "fragment for unknown sequence {seq}"
                )))
            }
        };
        if fragment != expected {
            return Err(FrameError::Fragment(format!(
                "sequence {seq}: fragment {fragment}, expected {expected}"
            )));
        }
        self.reserve(data.len())?;
        self.buffered += data.len();
        let Some(partial) = self.open.get_mut(&seq) else {
            return Err(FrameError::Fragment(format!(
                "fragment for unknown sequence {seq}"
            )));
        };
        partial.data.extend_from_slice(data);
        partial.next_fragment = fragment - 1;
        if fragment > 1 {
            return Ok(None);
        }
        let done = self.open.remove(&seq);
        match done {
            Some(p) => {
                self.buffered = self.buffered.saturating_sub(p.data.len());
                Ok(Some((p.table, p.data.freeze())))
            }
            None => Err(FrameError::Fragment(format!("sequence {seq} vanished"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_sequences_complete() {
        let mut r = Reassembly::new(1000, 4);
        assert_eq!(
            r.first(1, 3, MessageAtomTable::default(), b"ab").unwrap(),
            None
        );
        assert_eq!(
            r.first(2, 2, MessageAtomTable::default(), b"xy").unwrap(),
            None
        );
        assert_eq!(r.next(1, 2, b"cd").unwrap(), None);
        assert_eq!(
            r.next(2, 1, b"z").unwrap().unwrap().1,
            Bytes::from_static(b"xyz")
        );
        assert_eq!(
            r.next(1, 1, b"e").unwrap().unwrap().1,
            Bytes::from_static(b"abcde")
        );
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.open_sequences(), 0);
    }

    #[test]
    fn abuse_is_refused() {
        let t = MessageAtomTable::default;
        let mut r = Reassembly::new(10, 2);
        assert!(r.first(1, 0, t(), b"").is_err());
        assert!(r.next(9, 1, b"a").is_err(), "unknown sequence");
        r.first(1, 5, t(), b"abc").unwrap();
        assert!(r.first(1, 5, t(), b"abc").is_err(), "duplicate start");
        assert!(r.next(1, 3, b"x").is_err(), "skipped fragment id");
        r.first(2, 5, t(), b"abc").unwrap();
        assert!(r.first(3, 5, t(), b"a").is_err(), "too many sequences");
        assert!(matches!(
            r.next(1, 4, b"12345"),
            Err(FrameError::FragmentMemory { .. })
        ));
    }
}
