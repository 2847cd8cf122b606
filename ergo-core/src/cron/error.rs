//! Why a cron operation was refused. Owns `CronError` only.

/// Why a cron operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    /// The spec does not parse.
    #[error("bad cron spec {spec:?}: {reason}")]
    BadSpec {
        /// The spec as given.
        spec: String,
        /// What croner said about it.
        reason: String,
    },
    /// A job with that name is scheduled already.
    #[error("a cron job named {0} exists already")]
    Taken(String),
    /// No job has that name.
    #[error("no cron job named {0}")]
    Unknown(String),
    /// The spec has no run after now (a date that never comes again).
    #[error("cron job {0} would never run")]
    NeverRuns(String),
    /// The node's scheduler was started already, with its clock: a clock is set before the
    /// first job.
    #[error("the node's cron scheduler is running already (set its clock before the first job)")]
    AlreadyStarted,
    /// The node is stopped.
    #[error("the node is stopped")]
    NodeStopped,
}
