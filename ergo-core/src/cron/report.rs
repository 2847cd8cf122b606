//! What a job's fallback process is told: a run that failed, runs that were missed. Owns the two
//! message shapes; must not decide when they are sent.

use ergo_etf::Atom;

/// `{cron_failed, Name, Time, Reason}`: the run due at `Time` (Unix seconds) failed; `Reason` is
/// a binary saying why (the send's or the spawn's error).
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf", tag = "cron_failed")]
pub struct CronFailed {
    /// The job.
    pub name: Atom,
    /// When the run was due, in Unix seconds.
    pub time: i64,
    /// Why it failed.
    pub reason: String,
}

/// `{cron_missed, Name, Count, First, Last}`: `Count` runs due from `First` to `Last` (Unix
/// seconds) did not run, because the scheduler found them later than the job's `max_delay` (the
/// node was busy, the machine slept, or the wall clock jumped forward).
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf", tag = "cron_missed")]
pub struct CronMissed {
    /// The job.
    pub name: Atom,
    /// How many runs were missed.
    pub count: u64,
    /// The first one, in Unix seconds.
    pub first: i64,
    /// The last one, in Unix seconds.
    pub last: i64,
}
