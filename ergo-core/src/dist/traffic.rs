//! A connection's traffic counters: messages and bytes each way. Each counter has one writer
//! (messages out are counted under the outbox lock senders take anyway, bytes out by the writer
//! task, messages and bytes in by the reader task), so counting is a relaxed load and store, no
//! locked instruction. Owns the counters; must not read or write the socket.

use std::sync::atomic::{AtomicU64, Ordering};

/// The counters one connection shares between its reader and writer.
#[derive(Default, Debug)]
pub(crate) struct TrafficCounters {
    messages_in: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

/// Adds `n` to a counter only one task writes.
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

impl TrafficCounters {
    /// A frame of `bytes` (length prefix included) came in (reader task only).
    pub(crate) fn frame_in(&self, bytes: usize) {
        bump(&self.bytes_in, bytes as u64);
    }

    /// A message came in (reader task only).
    pub(crate) fn message_in(&self) {
        bump(&self.messages_in, 1);
    }

    /// `bytes` went out (writer task only).
    pub(crate) fn bytes_out(&self, bytes: usize) {
        bump(&self.bytes_out, bytes as u64);
    }

    /// The counters now, with `messages_out` counted elsewhere.
    pub(crate) fn read(&self, messages_out: u64) -> Traffic {
        Traffic {
            messages_in: self.messages_in.load(Ordering::Relaxed),
            messages_out,
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }
}

/// What went through a connection (or several): messages and bytes each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages received (control messages, with or without a payload).
    pub messages_in: u64,
    /// Messages sent.
    pub messages_out: u64,
    /// Bytes received (frames and ticks, length prefixes included).
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
}

impl std::ops::Add for Traffic {
    type Output = Traffic;
    fn add(self, other: Traffic) -> Traffic {
        Traffic {
            messages_in: self.messages_in + other.messages_in,
            messages_out: self.messages_out + other.messages_out,
            bytes_in: self.bytes_in + other.bytes_in,
            bytes_out: self.bytes_out + other.bytes_out,
        }
    }
}
