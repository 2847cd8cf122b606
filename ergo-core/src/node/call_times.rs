//! How long gen_servers take to handle calls, sampled: a server times one call in
//! [`CALL_SAMPLE`] (its own count says which), so the clock is read twice per `CALL_SAMPLE` calls,
//! and the sampled durations go into one per-node histogram of relaxed atomic counters. Owns the
//! histogram; must not know what a call is (the gen_server run loop reports).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One call in this many is timed.
pub const CALL_SAMPLE: u64 = 16;

/// Upper bounds of the buckets, in microseconds (the last bucket is everything above).
pub const CALL_BUCKETS_US: [u64; 12] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000, 100_000];

/// The sampled call durations of one node.
#[derive(Default)]
pub(crate) struct CallTimes {
    buckets: [AtomicU64; CALL_BUCKETS_US.len() + 1],
    sum_ns: AtomicU64,
}

impl CallTimes {
    pub(crate) fn record(&self, took: Duration) {
        let us = took.as_micros() as u64;
        let i = CALL_BUCKETS_US
            .iter()
            .position(|&bound| us <= bound)
            .unwrap_or(CALL_BUCKETS_US.len());
        if let Some(bucket) = self.buckets.get(i) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_ns
            .fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> CallDurations {
        CallDurations {
            buckets: self
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            sum: Duration::from_nanos(self.sum_ns.load(Ordering::Relaxed)),
        }
    }
}

/// The sampled durations of the calls gen_servers handled: one in [`CALL_SAMPLE`] calls.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallDurations {
    /// Sampled calls per bucket of [`CALL_BUCKETS_US`], the last one for longer calls (not
    /// cumulative).
    pub buckets: Vec<u64>,
    /// Their total time.
    pub sum: Duration,
}

impl CallDurations {
    /// How many calls were timed.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_land_in_their_bucket() {
        let times = CallTimes::default();
        times.record(Duration::from_nanos(400));
        times.record(Duration::from_micros(15));
        times.record(Duration::from_secs(1));
        let read = times.read();
        assert_eq!(read.count(), 3);
        assert_eq!(read.buckets[0], 1);
        assert_eq!(read.buckets[4], 1);
        assert_eq!(read.buckets[CALL_BUCKETS_US.len()], 1);
        assert!(read.sum > Duration::from_secs(1));
    }
}
