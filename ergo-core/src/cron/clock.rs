//! The wall clock the cron scheduler reads: the system's, or a virtual one that follows tokio's
//! (pausable) time from a fixed wall-clock origin, so tests step days in microseconds. Owns
//! `CronClock`; must not know about jobs.

use chrono::{DateTime, Utc};

/// Where the scheduler reads the time of day.
///
/// The scheduler sleeps on tokio's timer either way (at most [`MAX_SLEEP`] at a time, then it
/// reads the clock again), so a system clock set forward or a machine that slept is noticed
/// within that bound, and runs it passed over are reported as missed.
#[derive(Clone, Debug)]
pub enum CronClock {
    /// The system's wall clock (`SystemTime::now`).
    System,
    /// `origin` plus the tokio time elapsed since `since`: with `tokio::time::pause` the clock
    /// moves only when the test advances tokio's time (or the paused runtime jumps to its next
    /// timer), always in step with the scheduler's sleeps.
    Virtual {
        /// The wall-clock time at `since`.
        origin: DateTime<Utc>,
        /// The tokio instant that `origin` stands for.
        since: tokio::time::Instant,
    },
}

/// The longest the scheduler sleeps before it reads the wall clock again.
pub const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(60);

impl CronClock {
    /// A virtual clock that reads `origin` now and follows tokio's time from here. Call it
    /// inside the tokio runtime whose time the test pauses and advances.
    pub fn starting_at(origin: DateTime<Utc>) -> CronClock {
        CronClock::Virtual {
            origin,
            since: tokio::time::Instant::now(),
        }
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            CronClock::System => Utc::now(),
            CronClock::Virtual { origin, since } => {
                let elapsed = tokio::time::Instant::now().saturating_duration_since(*since);
                // A virtual clock runs for centuries before this saturates.
                chrono::Duration::from_std(elapsed)
                    .ok()
                    .and_then(|d| origin.checked_add_signed(d))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }
}
