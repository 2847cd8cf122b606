//! What a cron job is: its name, its parsed spec, its time zone, what it does when due, who is
//! told when that fails, and how late a run may still start. Owns `CronJob`, `CronAction` and
//! the spec's parsing and next-run search; must not schedule or run anything.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use ergo_etf::{Atom, Pid, Term};

use super::error::CronError;
use crate::node::{Dest, Node};

/// What a spawn action's factory returns: the new process, or why there is none.
pub type SpawnResult = Result<Pid, Box<dyn std::error::Error + Send + Sync>>;

type SpawnFactory =
    Arc<dyn Fn(Node) -> Pin<Box<dyn Future<Output = SpawnResult> + Send>> + Send + Sync>;

/// What a job does at each run.
#[derive(Clone)]
pub enum CronAction {
    /// Sends `message` to `to` (a local or a remote process: the node's own send, so a remote
    /// destination goes through the distribution).
    Send {
        /// Where the message goes.
        to: Dest,
        /// The message, sent as it is at every run.
        message: Term,
    },
    /// Starts a process: the factory is given the node and returns the new pid (it may spawn
    /// locally with `Node::spawn`, start a gen_server, or spawn on another node).
    Spawn(SpawnFactory),
}

impl CronAction {
    /// Send `message` to `to` at every run.
    pub fn send(to: impl Into<Dest>, message: impl Into<Term>) -> CronAction {
        CronAction::Send {
            to: to.into(),
            message: message.into(),
        }
    }

    /// Start a process at every run with `factory` (called with the node).
    pub fn spawn<F, Fut, E>(factory: F) -> CronAction
    where
        F: Fn(Node) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Pid, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        CronAction::Spawn(Arc::new(move |node| {
            let started = factory(node);
            Box::pin(async move { started.await.map_err(Into::into) })
        }))
    }
}

impl std::fmt::Debug for CronAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CronAction::Send { to, message } => {
                write!(f, "Send {{ to: {to}, message: {message} }}")
            }
            CronAction::Spawn(_) => f.write_str("Spawn(..)"),
        }
    }
}

/// How late a run may start by default (the node was busy, or the machine slept): one minute.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);

/// A scheduled job: add it to a node with [`super::Cron::add`].
#[derive(Clone, Debug)]
pub struct CronJob {
    pub(super) name: Atom,
    pub(super) spec: String,
    pub(super) cron: Cron,
    pub(super) time_zone: Tz,
    pub(super) action: CronAction,
    pub(super) fallback: Option<Dest>,
    pub(super) max_delay: Duration,
}

impl CronJob {
    /// A job named `name` that runs `action` as `spec` says, in UTC until
    /// [`CronJob::time_zone`] says otherwise.
    ///
    /// `spec` is a standard 5-field spec (`minute hour day-of-month month day-of-week`, with
    /// `L`, `#`, `W`, names of months and days, and an OR between the two day fields when both
    /// are restricted), a 6-field spec whose first field is the second, or `@hourly`, `@daily`,
    /// `@weekly`, `@monthly`, `@yearly`/`@annually` with their usual meanings (minute 0 of each
    /// hour; midnight; midnight on Sunday; midnight on the 1st; midnight on January 1st).
    pub fn new(name: &str, spec: &str, action: CronAction) -> Result<CronJob, CronError> {
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(spec).map_err(|e| CronError::BadSpec {
            spec: spec.to_string(),
            reason: e.to_string(),
        })?;
        Ok(CronJob {
            name: Atom::new(name),
            spec: spec.to_string(),
            cron,
            time_zone: Tz::UTC,
            action,
            fallback: None,
            max_delay: DEFAULT_MAX_DELAY,
        })
    }

    /// Reads the spec in `time_zone` (an IANA zone of `chrono_tz`, re-exported as
    /// `ergo::cron::Tz`).
    pub fn time_zone(mut self, time_zone: Tz) -> CronJob {
        self.time_zone = time_zone;
        self
    }

    /// Tells `fallback` when a run fails (`{cron_failed, Name, Time, Reason}`) or runs are
    /// missed (`{cron_missed, Name, Count, First, Last}`); see `docs/cron.md`.
    pub fn fallback(mut self, fallback: impl Into<Dest>) -> CronJob {
        self.fallback = Some(fallback.into());
        self
    }

    /// How late a run may still start ([`DEFAULT_MAX_DELAY`] unless set): a run found later
    /// than this is reported missed instead.
    pub fn max_delay(mut self, max_delay: Duration) -> CronJob {
        self.max_delay = max_delay;
        self
    }

    /// The job's name.
    pub fn name(&self) -> &Atom {
        &self.name
    }

    /// The spec as given.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// The first run strictly after `after`, in the job's time zone (`None` when the spec never
    /// matches again).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Tz>> {
        let local = after.with_timezone(&self.time_zone);
        self.cron.find_next_occurrence(&local, false).ok()
    }
}
