//! The restart intensity window: at most `intensity` restarts within any `period` of time
//! (the supervisor stamps restarts with tokio's clock, so a paused runtime moves it), a
//! sliding window as in OTP's `add_restart`. Owns only the bookkeeping; must not restart
//! anything.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Restarts recorded within the last `period`.
#[derive(Debug, Clone)]
pub struct RestartWindow {
    intensity: u32,
    period: Duration,
    stamps: VecDeque<Instant>,
}

impl RestartWindow {
    /// A window allowing `intensity` restarts per `period`.
    pub fn new(intensity: u32, period: Duration) -> RestartWindow {
        RestartWindow {
            intensity,
            period,
            stamps: VecDeque::new(),
        }
    }

    /// Records a restart at `now`; false when this restart exceeds the intensity (more than
    /// `intensity` restarts within `period`), meaning the supervisor must give up.
    pub fn add(&mut self, now: Instant) -> bool {
        self.stamps.push_back(now);
        while let Some(first) = self.stamps.front() {
            if now.saturating_duration_since(*first) > self.period {
                self.stamps.pop_front();
            } else {
                break;
            }
        }
        self.stamps.len() <= self.intensity as usize
    }

    /// Restarts currently inside the window.
    pub fn len(&self) -> usize {
        self.stamps.len()
    }

    /// True when no restart is inside the window.
    pub fn is_empty(&self) -> bool {
        self.stamps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensity_exceeded_only_within_period() {
        let t0 = Instant::now();
        let mut w = RestartWindow::new(2, Duration::from_secs(5));
        assert!(w.add(t0));
        assert!(w.add(t0 + Duration::from_secs(1)));
        assert!(!w.add(t0 + Duration::from_secs(2)));
        let mut w = RestartWindow::new(2, Duration::from_secs(5));
        assert!(w.add(t0));
        assert!(w.add(t0 + Duration::from_secs(3)));
        assert!(w.add(t0 + Duration::from_secs(6)));
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn zero_intensity_refuses_first_restart() {
        let mut w = RestartWindow::new(0, Duration::from_secs(5));
        assert!(!w.add(Instant::now()));
    }
}
