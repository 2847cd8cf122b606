//! The one policy for a transaction value a typed callback (`#[gen_saga]`, `#[saga_worker]`)
//! cannot decode: logged (a warning naming the callback, the type it takes and the value);
//! an interim result is then dropped; any other value cancels its transaction with
//! `{error, {bad_value, Value}}` (the transaction cannot go on without it); a job's start or
//! commit value fails the job with `{bad_value, Value}`. Owns these log lines and reasons.

use ergo_etf::Term;

use super::context::SagaContext;
use super::ids::TxId;
use crate::gen::server::Status;

fn bad_value(value: Term) -> Term {
    Term::tuple(vec![Term::atom("bad_value"), value])
}

/// A value of `tx` that `callback` could not decode as `expected`.
pub fn reject_tx_value(
    saga: &mut SagaContext<'_>,
    tx: &TxId,
    callback: &'static str,
    expected: &'static str,
    value: Term,
) -> Status {
    tracing::warn!(%tx, callback, expected, %value,
        "saga: value does not decode as the type the callback takes");
    if callback.ends_with("_interim") {
        return Status::Continue;
    }
    let reason = Term::tuple(vec![Term::atom("error"), bad_value(value)]);
    if saga.cancel(tx, reason).is_err() {
        tracing::debug!(%tx, "saga: the transaction of the undecodable value is already over");
    }
    Status::Continue
}

/// A job's value that `callback` could not decode as `expected`: the job fails.
pub fn reject_job_value(callback: &'static str, expected: &'static str, value: Term) -> Status {
    tracing::warn!(callback, expected, %value,
        "saga worker: value does not decode as the type the callback takes; the job fails");
    Status::Stop(bad_value(value))
}
