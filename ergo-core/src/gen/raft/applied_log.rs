//! The applied appends in serial order, kept so that a snapshot can take them without copying:
//! full chunks of [`CHUNK`] appends are sealed and shared (`Arc`), only the open tail is copied.
//! A snapshot of a state holding millions of appends then costs a pointer per chunk under the
//! state's lock, and its encoding runs after the lock is released. Serialized as one sequence
//! (the same bytes as a `Vec<AppendCommand>`). Owns that layout; must not apply or index.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::types::AppendCommand;

/// Appends per sealed chunk.
const CHUNK: usize = 4096;

/// Appends in serial order: serial `n` is at index `n - 1`.
#[derive(Clone, Debug, Default)]
pub(super) struct AppliedLog {
    sealed: Vec<Arc<[AppendCommand]>>,
    tail: Vec<AppendCommand>,
}

impl AppliedLog {
    /// How many appends it holds (the last serial).
    pub(super) fn len(&self) -> usize {
        self.sealed.len() * CHUNK + self.tail.len()
    }

    /// The append at `index` (serial `index + 1`).
    pub(super) fn get(&self, index: usize) -> Option<&AppendCommand> {
        match self.sealed.get(index / CHUNK) {
            Some(chunk) => chunk.get(index % CHUNK),
            None => self.tail.get(index - self.sealed.len() * CHUNK),
        }
    }

    /// Adds the next append.
    pub(super) fn push(&mut self, append: AppendCommand) {
        self.tail.push(append);
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.sealed.push(full.into());
        }
    }

    /// Every append, in serial order.
    pub(super) fn iter(&self) -> impl ExactSizeIterator<Item = &AppendCommand> + '_ {
        Appends {
            inner: self.sealed.iter().flat_map(|c| c.iter()).chain(self.tail.iter()),
            left: self.len(),
        }
    }
}

/// An iterator that knows its length (a chain of flat maps does not say it).
struct Appends<I> {
    inner: I,
    left: usize,
}

impl<'a, I: Iterator<Item = &'a AppendCommand>> Iterator for Appends<I> {
    type Item = &'a AppendCommand;
    fn next(&mut self) -> Option<Self::Item> {
        let next = self.inner.next()?;
        self.left -= 1;
        Some(next)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, I: Iterator<Item = &'a AppendCommand>> ExactSizeIterator for Appends<I> {}

impl Serialize for AppliedLog {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for AppliedLog {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let all = Vec::<AppendCommand>::deserialize(deserializer)?;
        let mut log = AppliedLog::default();
        for append in all {
            log.push(append);
        }
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(n: u64) -> AppendCommand {
        AppendCommand {
            request: (1, n),
            key: n.to_be_bytes().to_vec(),
            value: vec![n as u8],
        }
    }

    #[test]
    fn indexes_across_chunks_and_encodes_as_one_sequence() {
        let mut log = AppliedLog::default();
        let all: Vec<AppendCommand> = (0..(2 * CHUNK as u64 + 5)).map(append).collect();
        for a in &all {
            log.push(a.clone());
        }
        assert_eq!(log.len(), all.len());
        for i in [0, CHUNK - 1, CHUNK, 2 * CHUNK, 2 * CHUNK + 4] {
            assert_eq!(log.get(i), Some(&all[i]), "index {i}");
        }
        assert_eq!(log.get(all.len()), None);
        assert_eq!(log.iter().len(), all.len());
        let bytes = super::super::wire::encode(&log).expect("encode");
        assert_eq!(bytes, super::super::wire::encode(&all).expect("encode"));
        let back: AppliedLog = super::super::wire::decode(&bytes).expect("decode");
        assert!(back.iter().eq(all.iter()));
    }
}
