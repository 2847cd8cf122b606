//! Cron: node-level scheduled jobs. A job has a cron spec read in its own time zone (parsed and
//! searched by `croner`), an action (send a message to a local or remote process, or spawn one),
//! and a fallback process told when a run fails or runs are missed. `node.cron()` adds, removes
//! and lists them with their next run times. Owns the node's job registry (a node extension) and
//! the public API; the loop of one job is `schedule.rs`, the clock `clock.rs`. Must not reach
//! the network except through `Node::send`, and must not keep a node alive.
//!
//! Daylight saving (croner's rule, tested in `tests/toolkit`): a run whose local time falls in
//! a gap (the clock jumps forward) runs at the first valid time after the gap when the spec
//! fixes its second, minute and hour, and is skipped when those fields have a wildcard or a
//! step; a local time that repeats (the clock goes back) runs once, at its first occurrence,
//! for a fixed-time spec, and at both occurrences for a wildcard or stepped one.

mod clock;
mod error;
mod job;
mod report;
mod schedule;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use chrono;
pub use chrono::{DateTime, Utc};
pub use chrono_tz::{self, Tz};
pub use clock::{CronClock, MAX_SLEEP};
pub use error::CronError;
pub use job::{CronAction, CronJob, SpawnResult, DEFAULT_MAX_DELAY};
pub use report::{CronFailed, CronMissed};

use ergo_etf::Atom;
use schedule::JobState;

use crate::node::Node;

/// A node's jobs (a node extension: made with the first `node.cron()`, dropped with the node,
/// which aborts every job's task).
struct Scheduler {
    clock: CronClock,
    jobs: Mutex<BTreeMap<Atom, Scheduled>>,
}

struct Scheduled {
    job: CronJob,
    state: Arc<Mutex<JobState>>,
    task: tokio::task::AbortHandle,
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        let jobs = self.jobs.get_mut().unwrap_or_else(|p| p.into_inner());
        for scheduled in jobs.values() {
            scheduled.task.abort();
        }
    }
}

/// A job as [`Cron::list`] shows it.
#[derive(Clone, Debug)]
pub struct CronJobInfo {
    /// The job's name.
    pub name: Atom,
    /// Its spec as given.
    pub spec: String,
    /// The time zone its spec is read in.
    pub time_zone: Tz,
    /// Its next run (`None` once the spec never matches again).
    pub next_run: Option<DateTime<Tz>>,
    /// Its last run, if any.
    pub last_run: Option<DateTime<Tz>>,
    /// How many runs it made (failed ones included).
    pub runs: u64,
    /// How many of them failed.
    pub failed: u64,
    /// How many runs were missed.
    pub missed: u64,
}

/// A node's cron scheduler: `node.cron()`.
#[derive(Clone)]
pub struct Cron {
    node: Node,
    scheduler: Arc<Scheduler>,
}

impl std::fmt::Debug for Cron {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cron")
            .field("node", self.node.name())
            .field("clock", &self.scheduler.clock)
            .finish()
    }
}

impl Node {
    /// The node's cron scheduler (on the system clock unless [`Node::set_cron_clock`] said
    /// otherwise before).
    pub fn cron(&self) -> Cron {
        let scheduler = self.extensions().get_or_insert_with(|| Scheduler {
            clock: CronClock::System,
            jobs: Mutex::new(BTreeMap::new()),
        });
        Cron {
            node: self.clone(),
            scheduler,
        }
    }

    /// Sets the clock of the node's cron scheduler (a test's [`CronClock::starting_at`]);
    /// refused once the scheduler exists (after the first `node.cron()`).
    pub fn set_cron_clock(&self, clock: CronClock) -> Result<Cron, CronError> {
        let scheduler = Arc::new(Scheduler {
            clock,
            jobs: Mutex::new(BTreeMap::new()),
        });
        if !self.extensions().insert(Arc::clone(&scheduler)) {
            return Err(CronError::AlreadyStarted);
        }
        Ok(Cron {
            node: self.clone(),
            scheduler,
        })
    }
}

impl Cron {
    /// The time now on the scheduler's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.scheduler.clock.now()
    }

    /// Schedules `job`; returns its first run. Refused when the name is taken, when the spec
    /// never matches after now, or when the node is stopped.
    pub fn add(&self, job: CronJob) -> Result<DateTime<Tz>, CronError> {
        if self.node.is_stopped() {
            return Err(CronError::NodeStopped);
        }
        let mut jobs = self.jobs();
        if jobs.contains_key(&job.name) {
            return Err(CronError::Taken(job.name.to_string()));
        }
        let first = job
            .next_after(self.scheduler.clock.now())
            .ok_or_else(|| CronError::NeverRuns(job.name.to_string()))?;
        let state = Arc::new(Mutex::new(JobState {
            next_run: Some(first),
            ..JobState::default()
        }));
        let task = self.node.runtime().spawn(schedule::run_job(
            self.node.downgrade(),
            self.scheduler.clock.clone(),
            job.clone(),
            Arc::clone(&state),
            first,
        ));
        tracing::info!(job = %job.name, spec = %job.spec, time_zone = %job.time_zone, next = %first, "cron job added");
        jobs.insert(
            job.name.clone(),
            Scheduled {
                job,
                state,
                task: task.abort_handle(),
            },
        );
        Ok(first)
    }

    /// Unschedules the job `name` (a run in progress is cut where it stands).
    pub fn remove(&self, name: &str) -> Result<(), CronError> {
        let removed = self.jobs().remove(&Atom::new(name));
        match removed {
            Some(scheduled) => {
                scheduled.task.abort();
                tracing::info!(job = %name, "cron job removed");
                Ok(())
            }
            None => Err(CronError::Unknown(name.to_string())),
        }
    }

    /// The jobs, by name, with their next and last runs and counters.
    pub fn list(&self) -> Vec<CronJobInfo> {
        self.jobs()
            .values()
            .map(|scheduled| {
                let state = scheduled
                    .state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                CronJobInfo {
                    name: scheduled.job.name.clone(),
                    spec: scheduled.job.spec.clone(),
                    time_zone: scheduled.job.time_zone,
                    next_run: state.next_run,
                    last_run: state.last_run,
                    runs: state.runs,
                    failed: state.failed,
                    missed: state.missed,
                }
            })
            .collect()
    }

    /// The job `name` as [`Cron::list`] shows it.
    pub fn info(&self, name: &str) -> Option<CronJobInfo> {
        let name = Atom::new(name);
        self.list().into_iter().find(|info| info.name == name)
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, BTreeMap<Atom, Scheduled>> {
        self.scheduler
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}
