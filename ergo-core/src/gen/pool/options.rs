//! How a pool is configured and why it could not start. Owns `PoolOptions` and `PoolError`;
//! must not run anything.

use crate::node::SpawnError;

/// How a pool is made.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// How many workers it starts with (at least 1).
    pub workers: usize,
    /// Each worker's mailbox bound (at least 1): a worker with this many queued requests is
    /// skipped; when every worker is full, the request is rejected.
    pub worker_mailbox: usize,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            workers: 4,
            worker_mailbox: 100,
        }
    }
}

impl PoolOptions {
    /// Checks the options.
    pub(super) fn check(&self) -> Result<(), PoolError> {
        if self.workers == 0 {
            return Err(PoolError::NoWorkers);
        }
        if self.worker_mailbox == 0 {
            return Err(PoolError::ZeroMailbox);
        }
        Ok(())
    }
}

/// Why a pool could not start or resize.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// `workers` was 0.
    #[error("a pool needs at least one worker")]
    NoWorkers,
    /// `worker_mailbox` was 0 (no worker could ever take a request).
    #[error("a pool's worker mailbox bound must be at least 1")]
    ZeroMailbox,
    /// The pool process or a worker could not start.
    #[error("pool did not start: {0}")]
    Spawn(#[from] SpawnError),
}
