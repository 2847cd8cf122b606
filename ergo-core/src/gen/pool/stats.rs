//! What a pool tells about itself and the control requests it takes (plain Rust values through
//! `Node::direct`, never forwarded to a worker). Owns `PoolStats`, `WorkerStats`,
//! `PoolStatsRequest` and `PoolResize`; must not run anything.

use ergo_etf::Pid;

use crate::process::DirectRequest;

/// One worker's load.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerStats {
    /// The worker.
    pub pid: Pid,
    /// Requests queued in its mailbox now.
    pub queued: usize,
    /// Requests handed to it since it started.
    pub forwarded: u64,
}

/// A pool's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolStats {
    /// The live workers, in round-robin order.
    pub workers: Vec<WorkerStats>,
    /// Requests handed to a worker since the pool started.
    pub forwarded: u64,
    /// Calls answered with `busy` because every worker was full.
    pub rejected_calls: u64,
    /// Casts and messages dropped (and logged) because every worker was full.
    pub dropped: u64,
    /// Workers that ended and were replaced.
    pub restarts: u64,
}

/// Asks a pool for its [`PoolStats`] (`Node::direct(pool, PoolStatsRequest)`).
#[derive(Clone, Copy, Debug)]
pub struct PoolStatsRequest;

impl DirectRequest for PoolStatsRequest {
    type Reply = PoolStats;
}

/// Sets a pool's number of workers (`Node::direct(pool, PoolResize(n))`); answers the number
/// it now has, or the error. Removed workers get no new requests and stop (`shutdown`) after
/// those already queued.
#[derive(Clone, Copy, Debug)]
pub struct PoolResize(pub usize);

impl DirectRequest for PoolResize {
    type Reply = Result<usize, super::PoolError>;
}
