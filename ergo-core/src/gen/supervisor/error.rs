//! Errors of the supervisor API and of bad specs. Owns only the error enum.

use ergo_etf::{Pid, Term};

/// Why a supervisor operation failed (OTP's `{error, ...}` results, plus spec and start errors).
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// The spec is invalid (duplicate ids, wrong child count for simple_one_for_one, ...).
    #[error("invalid supervisor spec: {0}")]
    InvalidSpec(String),
    /// No child has that id (or pid).
    #[error("no such child")]
    NotFound,
    /// A child with that id is already running (`{already_started, Pid}`).
    #[error("child already started as {0:?}")]
    AlreadyStarted(Pid),
    /// A child spec with that id exists but is not running (`already_present`).
    #[error("child spec already present")]
    AlreadyPresent,
    /// The child is running (restart_child / delete_child need it stopped).
    #[error("child is running")]
    Running,
    /// The operation does not apply to a simple_one_for_one supervisor.
    #[error("not allowed on a simple_one_for_one supervisor")]
    SimpleOneForOne,
    /// Extra start arguments were given to a supervisor that is not simple_one_for_one.
    #[error("extra start arguments need a simple_one_for_one supervisor")]
    NotSimpleOneForOne,
    /// The child's start failed with this reason.
    #[error("child failed to start: {0}")]
    StartFailed(Term),
    /// The supervisor itself failed to start: `{shutdown, {failed_to_start_child, Id, Reason}}`,
    /// or its `init` refused.
    #[error("supervisor failed to start: {0}")]
    InitFailed(Term),
    /// The supervisor could not be spawned.
    #[error("the supervisor could not be spawned")]
    Spawn(#[source] crate::node::SpawnError),
    /// The supervisor is not running (or exited before answering).
    #[error("supervisor is not running")]
    NoProc,
    /// The supervisor did not answer in the time given (`SupervisorRef::report_within`).
    #[error("supervisor did not answer in time")]
    Timeout,
}
