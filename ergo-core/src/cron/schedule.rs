//! One job's life on the scheduler: sleep until its next run, find every run that came due,
//! run the latest if it is not too late, report the others as missed, and again. Owns the loop
//! and the job's counters; must not keep the node alive while it sleeps (it holds a weak
//! handle) and must not know the registry.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::clock::{CronClock, MAX_SLEEP};
use super::job::{CronAction, CronJob};
use super::report::{CronFailed, CronMissed};
use crate::node::{Node, WeakNode};

/// The most runs counted in one wake-up; more are reported by the next pass of the loop.
const MAX_DUE_COUNTED: u64 = 100_000;

/// What the scheduler knows of a job between runs.
#[derive(Clone, Debug, Default)]
pub(super) struct JobState {
    pub(super) next_run: Option<DateTime<Tz>>,
    pub(super) last_run: Option<DateTime<Tz>>,
    pub(super) runs: u64,
    pub(super) failed: u64,
    pub(super) missed: u64,
}

fn lock(state: &Mutex<JobState>) -> std::sync::MutexGuard<'_, JobState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `job` until it has no next run, its node is gone or stopped, or the task is aborted
/// (the job was removed). `next` is its first run, found when it was added.
pub(super) async fn run_job(
    node: WeakNode,
    clock: CronClock,
    job: CronJob,
    state: Arc<Mutex<JobState>>,
    mut next: DateTime<Tz>,
) {
    loop {
        lock(&state).next_run = Some(next);
        let due = next.with_timezone(&Utc);
        let mut now = clock.now();
        while now < due {
            let wait = (due - now).to_std().unwrap_or_default().min(MAX_SLEEP);
            tokio::time::sleep(wait).await;
            now = clock.now();
        }
        let Some(node) = node.upgrade() else { return };
        if node.is_stopped() {
            return;
        }
        // Every run due by now: the first, the last, and the one before the last.
        let mut count = 1u64;
        let mut last = next;
        let mut before_last = None;
        while count < MAX_DUE_COUNTED {
            match job.next_after(last.with_timezone(&Utc)) {
                Some(t) if t.with_timezone(&Utc) <= now => {
                    before_last = Some(last);
                    last = t;
                    count += 1;
                }
                _ => break,
            }
        }
        let late = (now - last.with_timezone(&Utc))
            .to_std()
            .unwrap_or_default();
        let run_last = late <= job.max_delay;
        if run_last {
            if let Some(before_last) = before_last {
                report_missed(&node, &job, &state, count - 1, next, before_last);
            }
            run_once(&node, &job, &state, last).await;
        } else {
            report_missed(&node, &job, &state, count, next, last);
        }
        drop(node);
        match job.next_after(last.with_timezone(&Utc)) {
            Some(t) => next = t,
            None => {
                tracing::info!(job = %job.name, "cron job has no further run");
                lock(&state).next_run = None;
                return;
            }
        }
    }
}

async fn run_once(node: &Node, job: &CronJob, state: &Mutex<JobState>, at: DateTime<Tz>) {
    let outcome: Result<(), String> = match &job.action {
        CronAction::Send { to, message } => node
            .send(to.clone(), message.clone())
            .map_err(|e| e.to_string()),
        CronAction::Spawn(factory) => factory(node.clone())
            .await
            .map(|pid| tracing::debug!(job = %job.name, pid = ?pid, "cron job spawned"))
            .map_err(|e| e.to_string()),
    };
    {
        let mut state = lock(state);
        state.runs += 1;
        state.last_run = Some(at);
        if outcome.is_err() {
            state.failed += 1;
        }
    }
    match outcome {
        Ok(()) => tracing::debug!(job = %job.name, time = %at, "cron job ran"),
        Err(reason) => {
            tracing::warn!(job = %job.name, time = %at, %reason, "cron job failed");
            let failed = CronFailed {
                name: job.name.clone(),
                time: at.timestamp(),
                reason,
            };
            tell_fallback(node, job, failed);
        }
    }
}

fn report_missed(
    node: &Node,
    job: &CronJob,
    state: &Mutex<JobState>,
    count: u64,
    first: DateTime<Tz>,
    last: DateTime<Tz>,
) {
    lock(state).missed += count;
    tracing::warn!(
        job = %job.name, count, first = %first, last = %last,
        "cron job missed runs (the node was busy or asleep, or the clock jumped)"
    );
    let missed = CronMissed {
        name: job.name.clone(),
        count,
        first: first.timestamp(),
        last: last.timestamp(),
    };
    tell_fallback(node, job, missed);
}

fn tell_fallback(node: &Node, job: &CronJob, message: impl ergo_etf::IntoTerm + Send + 'static) {
    let Some(fallback) = &job.fallback else {
        return;
    };
    if let Err(error) = node.send(fallback.clone(), message) {
        tracing::error!(job = %job.name, fallback = %fallback, %error, "cron fallback unreachable");
    }
}
