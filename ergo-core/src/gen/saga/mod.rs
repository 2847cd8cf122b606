//! gen_saga: distributed transactions across sagas on any nodes. A transaction starts on its
//! originator (`start_transaction`), each saga does local work through workers (`start_job`),
//! passes it on to next sagas (`next`, monitored, with the time left of the lifespan), collects
//! their results and reports to its parent (`send_result`); a failure, a timeout, the lifespan's
//! end or a dead saga or node cancels it everywhere, each participant told once; two-phase
//! commit makes the outcome atomic. The messages between sagas are the seed's (Ergo's
//! `gen.Saga`), see `wire.rs` and docs/saga.md. A saga runs as a gen_server (so `sys`, calls,
//! casts and supervision work as for any server).
//!
//! Files: `ids` (the ids), `options`, `wire` (shapes), `error`, `behaviour` (`GenSaga`),
//! `worker` (`SagaWorker`, `Job`, the worker process), `bad_value` (undecodable values of the typed macros), `table` (transactions), `core`
//! (cancellation, commit, the callback queue), `context` (`SagaContext`, the API), `receive`
//! (incoming messages), `run` (the process). Must not reach the network (remote sagas are
//! reached through the node's sends and monitors).

mod bad_value;
mod behaviour;
mod context;
mod core;
mod error;
mod ids;
mod options;
mod receive;
mod run;
mod table;
mod wire;
mod worker;

pub use bad_value::{reject_job_value, reject_tx_value};
pub use behaviour::GenSaga;
pub use context::SagaContext;
pub use error::SagaError;
pub use ids::{JobId, NextId, TxId};
pub use options::{
    JobOptions, NextOptions, SagaOptions, TxOptions, DEFAULT_HOP_LIMIT, DEFAULT_LIFESPAN,
};
pub use run::SagaServer;
pub use wire::NextCancelled;
pub use worker::{Job, SagaWorker};
