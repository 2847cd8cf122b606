//! Rate limiting of repeated warnings from one source (a peer address sending garbage or the
//! wrong cookie, a node that cannot be reached), so a flood of bad connections cannot flood the
//! log: per key, the first occurrence in a window is logged; the rest are counted, and the next
//! logged occurrence says how many were not (`repeated = N`). Owns the counting only; the
//! callers word and level their own lines, and decide what a key is.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the occurrences after a logged one are only counted.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// At most this many keys are remembered; beyond, expired ones are forgotten first, then every
/// new key shares one overflow count (never unbounded memory, never a silent drop).
const MAX_KEYS: usize = 1024;

/// A per-key throttle of log lines.
pub(crate) struct LogThrottle<K> {
    keys: Mutex<Keys<K>>,
}

struct Keys<K> {
    by_key: HashMap<K, Window>,
    overflow: Window,
}

#[derive(Clone, Copy)]
struct Window {
    opened: Option<Instant>,
    suppressed: u64,
}

impl Window {
    const CLOSED: Window = Window {
        opened: None,
        suppressed: 0,
    };

    /// `Some(n)`: log now, saying `n` occurrences were counted since the last line.
    fn occur(&mut self, now: Instant) -> Option<u64> {
        match self.opened {
            Some(opened) if now.duration_since(opened) < WINDOW => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.opened = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

impl<K: Hash + Eq + Clone> LogThrottle<K> {
    /// An empty throttle.
    pub(crate) fn new() -> Self {
        LogThrottle {
            keys: Mutex::new(Keys {
                by_key: HashMap::new(),
                overflow: Window::CLOSED,
            }),
        }
    }

    /// Records an occurrence for `key`: `Some(repeated)` when it is to be logged (with the
    /// number of occurrences counted and not logged since the last line), `None` when only
    /// counted.
    pub(crate) fn occur(&self, key: &K) -> Option<u64> {
        self.occur_at(key, Instant::now())
    }

    fn occur_at(&self, key: &K, now: Instant) -> Option<u64> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = keys.by_key.get_mut(key) {
            return window.occur(now);
        }
        if keys.by_key.len() >= MAX_KEYS {
            keys.by_key.retain(|_, w| {
                w.suppressed > 0 || w.opened.is_some_and(|o| now.duration_since(o) < WINDOW)
            });
        }
        if keys.by_key.len() >= MAX_KEYS {
            return keys.overflow.occur(now);
        }
        let mut window = Window::CLOSED;
        let logged = window.occur(now);
        keys.by_key.insert(key.clone(), window);
        logged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_in_window_logged_rest_counted_and_reported() {
        let throttle = LogThrottle::new();
        let t0 = Instant::now();
        assert_eq!(throttle.occur_at(&"a", t0), Some(0));
        assert_eq!(throttle.occur_at(&"a", t0 + Duration::from_secs(1)), None);
        assert_eq!(throttle.occur_at(&"a", t0 + Duration::from_secs(2)), None);
        // Another key has its own window.
        assert_eq!(
            throttle.occur_at(&"b", t0 + Duration::from_secs(2)),
            Some(0)
        );
        // After the window, the next line says how many were only counted.
        assert_eq!(
            throttle.occur_at(&"a", t0 + WINDOW + Duration::from_secs(1)),
            Some(2)
        );
        assert_eq!(
            throttle.occur_at(&"a", t0 + WINDOW + Duration::from_secs(2)),
            None
        );
    }

    #[test]
    fn keys_are_bounded_and_overflow_is_counted() {
        let throttle = LogThrottle::new();
        let t0 = Instant::now();
        for k in 0..MAX_KEYS {
            assert_eq!(throttle.occur_at(&k, t0), Some(0));
        }
        // Every key is in its window: a new one shares the overflow window.
        assert_eq!(throttle.occur_at(&MAX_KEYS, t0), Some(0));
        assert_eq!(throttle.occur_at(&(MAX_KEYS + 1), t0), None);
        assert_eq!(throttle.keys.lock().unwrap().by_key.len(), MAX_KEYS);
        // Once the windows expired, old keys make room again.
        let later = t0 + WINDOW + Duration::from_secs(1);
        assert_eq!(throttle.occur_at(&(MAX_KEYS + 2), later), Some(0));
        assert!(throttle.keys.lock().unwrap().by_key.len() < MAX_KEYS);
    }
}
