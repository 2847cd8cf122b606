//! A pool of gen_server workers behind one process: calls, casts, messages and direct requests
//! sent to the pool are handed, unchanged, to a worker (round-robin, skipping workers whose
//! bounded mailbox is full), so a worker answers the caller directly with the caller's own
//! reference. A request no worker can take is answered with an error (calls) or counted and
//! logged (casts, messages). Crashed workers are replaced and monitored again; the pool resizes
//! at run time and reports its load. Owns the pool process, its options, errors and control
//! requests; must not know what the workers do, nor reach the network.

mod options;
mod run;
mod stats;

pub use options::{PoolError, PoolOptions};
pub use stats::{PoolResize, PoolStats, PoolStatsRequest, WorkerStats};
