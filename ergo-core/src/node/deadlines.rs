//! The deadlines of the node's calls in flight. A call registers its reply slot here instead of
//! arming a tokio timer of its own: every call used to insert and remove an entry in tokio's
//! timer wheel, whose lock the workers contended for (a bare tokio request/reply loop with a
//! per-call `tokio::time::timeout` runs at half the speed of one without, and is bimodal on two
//! workers: `call-local-ceiling` in benches/node.rs). Here a call takes one sharded, rarely
//! contended lock to register and one to leave; one ticker task per node sleeps until the earliest
//! deadline (a single tokio timer), fails the calls that reached theirs with
//! `CallFailure::TimedOut` and sleeps again.
//!
//! Deadlines are counted on the kernel's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on
//! Linux: a read of a value the kernel updates every tick, without the time-stamp counter a
//! precise read takes, which was 5% of a local call). Resolution: a call times out no earlier
//! than its timeout and at most twice the coarse clock's resolution (one kernel tick: 4 ms at
//! `HZ=250`) plus 2 ms later, as the clock may lag by a tick both when the call is armed and
//! when the ticker looks (plus the ticker's own scheduling delay). (Elsewhere the precise
//! monotonic clock: at most 2 ms late.) A reply after the
//! deadline is never delivered: the slot is filled with the failure first. Owns the registry,
//! its clock and the ticker; must not know what a call sends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use crate::process::{CallFailure, ReplySlot};

/// Shards of the registry: a call picks one by its caller, so callers on different workers
/// rarely meet on a lock.
const SHARDS: usize = 16;

/// One call in flight: when it times out, and its slot.
struct Entry {
    deadline: u64,
    slot: Weak<ReplySlot>,
}

/// A shard: entries in a vector with a free list, so registering and leaving are O(1).
#[derive(Default)]
struct Shard {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
}

/// A shard's lock on cache lines of its own: two workers registering calls in different shards
/// do not take a line from each other (two shards used to share one).
#[repr(align(128))]
struct PaddedShard(Mutex<Shard>);

/// The registry of a node's call deadlines.
pub(crate) struct CallDeadlines {
    shards: Box<[PaddedShard]>,
    /// Milliseconds are counted from here (a reading of [`clock::now_ms`]).
    epoch: u64,
    /// How far behind the real time the clock may read, in whole milliseconds.
    lag_ms: u64,
    /// When the ticker wakes next (ms since `epoch`; `u64::MAX` when it sleeps for good).
    next_wake: AtomicU64,
    /// Wakes the ticker when a deadline comes before `next_wake`.
    earlier: Arc<Notify>,
}

/// A call's registration; leaving it (dropping it) removes the entry.
pub(crate) struct Armed<'a> {
    deadlines: &'a CallDeadlines,
    shard: usize,
    index: usize,
}

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        let mut shard = self.deadlines.shard(self.shard);
        if let Some(entry) = shard.entries.get_mut(self.index) {
            if entry.take().is_some() {
                shard.free.push(self.index);
            }
        }
    }
}

impl CallDeadlines {
    pub(crate) fn new() -> CallDeadlines {
        CallDeadlines {
            shards: (0..SHARDS)
                .map(|_| PaddedShard(Mutex::new(Shard::default())))
                .collect(),
            epoch: clock::now_ms(),
            lag_ms: clock::resolution_ms(),
            next_wake: AtomicU64::new(u64::MAX),
            earlier: Arc::new(Notify::new()),
        }
    }

    fn shard(&self, i: usize) -> MutexGuard<'_, Shard> {
        self.shards[i % SHARDS]
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Milliseconds since the registry was made, never ahead of the real time and at most
    /// `lag_ms` behind it.
    fn now_ms(&self) -> u64 {
        clock::now_ms().saturating_sub(self.epoch)
    }

    /// Registers `slot` to fail with `TimedOut` after `timeout` (shard picked by `key`, e.g.
    /// the caller's pid number); the returned guard unregisters it.
    pub(crate) fn arm(&self, key: u64, slot: &Arc<ReplySlot>, timeout: Duration) -> Armed<'_> {
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        // Round up, by the clock's lag too: a call never times out before its timeout.
        let deadline = self
            .now_ms()
            .saturating_add(timeout_ms)
            .saturating_add(self.lag_ms)
            .saturating_add(1);
        let shard_index = (key as usize) % SHARDS;
        let index = {
            let mut shard = self.shard(shard_index);
            let entry = Entry {
                deadline,
                slot: Arc::downgrade(slot),
            };
            match shard.free.pop() {
                Some(i) => {
                    shard.entries[i] = Some(entry);
                    i
                }
                None => {
                    shard.entries.push(Some(entry));
                    shard.entries.len() - 1
                }
            }
        };
        // Only a deadline earlier than the ticker's next wake needs to wake it. (Load first:
        // with equal timeouts that is almost never, and a plain load does not take the cache
        // line from the other workers as `fetch_min` would.)
        if deadline < self.next_wake.load(Ordering::Acquire)
            && self.next_wake.fetch_min(deadline, Ordering::AcqRel) > deadline
        {
            self.earlier.notify_one();
        }
        Armed {
            deadlines: self,
            shard: shard_index,
            index,
        }
    }

    /// Wakes the ticker (the node is going: it sees that and ends).
    pub(crate) fn wake_ticker(&self) {
        self.earlier.notify_one();
    }

    /// Fails every call whose deadline has come; returns the earliest deadline left.
    fn expire_due(&self) -> u64 {
        let now = self.now_ms();
        let mut earliest = u64::MAX;
        let mut due = Vec::new();
        for i in 0..SHARDS {
            let mut shard = self.shard(i);
            let Shard { entries, free } = &mut *shard;
            for (index, slot) in entries.iter_mut().enumerate() {
                match slot {
                    Some(entry) if entry.deadline <= now => {
                        if let Some(entry) = slot.take() {
                            due.push(entry.slot);
                        }
                        free.push(index);
                    }
                    Some(entry) => earliest = earliest.min(entry.deadline),
                    None => {}
                }
            }
        }
        // Outside the shard locks: filling a slot wakes its caller.
        for slot in due {
            if let Some(slot) = slot.upgrade() {
                slot.fulfil(Err(CallFailure::TimedOut));
            }
        }
        earliest
    }
}

/// The registry's clock: milliseconds on a monotonic clock, read cheaply.
mod clock {
    /// The coarse monotonic clock, in milliseconds.
    #[cfg(target_os = "linux")]
    pub(super) fn now_ms() -> u64 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
        (t.tv_sec as u64)
            .saturating_mul(1000)
            .saturating_add(t.tv_nsec as u64 / 1_000_000)
    }

    /// How far the coarse clock may lag the real time: its resolution (one kernel tick),
    /// rounded up to whole milliseconds, plus the millisecond `now_ms` truncates.
    #[cfg(target_os = "linux")]
    pub(super) fn resolution_ms() -> u64 {
        let r = rustix::time::clock_getres(rustix::time::ClockId::MonotonicCoarse);
        let nanos = (r.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(r.tv_nsec as u64);
        nanos.div_ceil(1_000_000) + 1
    }

    /// Elsewhere, the precise monotonic clock (since the first reading).
    #[cfg(not(target_os = "linux"))]
    pub(super) fn now_ms() -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_millis() as u64
    }

    /// The precise clock lags by at most the millisecond `now_ms` truncates.
    #[cfg(not(target_os = "linux"))]
    pub(super) fn resolution_ms() -> u64 {
        1
    }
}

/// The ticker of a node's deadlines: expires what is due, sleeps until the earliest deadline
/// left (or until an earlier one is registered), and ends with the node (its `Drop` wakes it).
pub(crate) async fn tick(node: Weak<super::NodeInner>) {
    loop {
        let (earlier, wake_at) = {
            let Some(inner) = node.upgrade() else {
                return;
            };
            let d = &inner.deadlines;
            // While scanning, every registration counts as earlier and leaves a notify permit,
            // so one that the scan missed makes the next wait return at once.
            d.next_wake.store(u64::MAX, Ordering::Release);
            let earliest = d.expire_due();
            d.next_wake.store(earliest, Ordering::Release);
            // The deadline is on the registry's clock: sleep for what is left of it (the wake
            // may come a little early, as that clock lags; the loop then sleeps again).
            let wake_at = (earliest != u64::MAX).then(|| {
                let left = earliest.saturating_sub(d.now_ms()).max(1);
                tokio::time::Instant::now() + Duration::from_millis(left)
            });
            (Arc::clone(&d.earlier), wake_at)
        };
        match wake_at {
            Some(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = earlier.notified() => {}
                }
            }
            None => earlier.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_leave_their_shard_when_the_guard_drops() {
        let deadlines = CallDeadlines::new();
        let slot = Arc::new(ReplySlot::new(Arc::new(NoRoute), test_pid(), 1));
        {
            let _armed = deadlines.arm(3, &slot, Duration::from_secs(60));
            assert_eq!(deadlines.shard(3).entries.iter().flatten().count(), 1);
        }
        assert_eq!(deadlines.shard(3).entries.iter().flatten().count(), 0);
        assert_eq!(deadlines.shard(3).free, vec![0]);
    }

    #[test]
    fn a_due_entry_fails_its_call_and_later_ones_stay() {
        let deadlines = CallDeadlines::new();
        let due = Arc::new(ReplySlot::new(Arc::new(NoRoute), test_pid(), 1));
        let later = Arc::new(ReplySlot::new(Arc::new(NoRoute), test_pid(), 2));
        let _a = deadlines.arm(1, &due, Duration::ZERO);
        let _b = deadlines.arm(2, &later, Duration::from_secs(60));
        // Due within the clock's resolution; give up after a second.
        let started = std::time::Instant::now();
        let earliest = loop {
            let earliest = deadlines.expire_due();
            if earliest >= 60_000 || started.elapsed() > Duration::from_secs(1) {
                break earliest;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert!(earliest >= 60_000, "the later deadline is left: {earliest}");
        assert!(!due.fulfil(Ok(crate::process::Payload::Term(ergo_etf::Term::nil()))));
        assert!(later.fulfil(Ok(crate::process::Payload::Term(ergo_etf::Term::nil()))));
    }

    #[test]
    fn a_call_never_times_out_before_its_timeout() {
        // On the coarse clock, a deadline is rounded up by its lag: however the arming falls
        // between two ticks of that clock, the call fails only after its timeout has passed
        // in real time.
        let deadlines = CallDeadlines::new();
        for timeout_ms in [0u64, 1, 3, 7, 12] {
            let slot = Arc::new(ReplySlot::new(Arc::new(NoRoute), test_pid(), timeout_ms));
            let armed_at = std::time::Instant::now();
            let _armed = deadlines.arm(1, &slot, Duration::from_millis(timeout_ms));
            while deadlines.expire_due() != u64::MAX {
                assert!(armed_at.elapsed() < Duration::from_secs(1), "never expired");
                std::thread::sleep(Duration::from_micros(200));
            }
            let elapsed = armed_at.elapsed();
            assert!(
                elapsed >= Duration::from_millis(timeout_ms),
                "timeout {timeout_ms} ms expired after {elapsed:?}"
            );
            assert!(!slot.fulfil(Ok(crate::process::Payload::Term(ergo_etf::Term::nil()))));
        }
    }

    struct NoRoute;
    impl crate::process::ReplyRoute for NoRoute {
        fn tag_reference(&self, _n: u64) -> ergo_etf::Reference {
            ergo_etf::Reference {
                node: ergo_etf::Atom::new("t@h"),
                creation: 1,
                ids: [0, 0, 0].into(),
            }
        }
        fn register_reply_alias(&self, _alias: ergo_etf::Reference, _slot: Arc<ReplySlot>) {}
        fn send_reply(
            &self,
            _caller: &ergo_etf::Pid,
            _alias: Option<ergo_etf::Reference>,
            _message: ergo_etf::Term,
        ) -> bool {
            false
        }
    }

    fn test_pid() -> ergo_etf::Pid {
        ergo_etf::Pid {
            node: ergo_etf::Atom::new("t@h"),
            id: 1,
            serial: 0,
            creation: 1,
        }
    }
}
