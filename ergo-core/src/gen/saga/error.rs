//! What the saga API refuses, as one error type. Owns `SagaError` only.

use crate::node::SpawnError;

/// Why a saga API call was refused.
#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    /// No such transaction on this saga (never started here, or already ended or cancelled).
    #[error("unknown transaction")]
    UnknownTx,
    /// `send_result` while next sagas or jobs of the transaction are still pending.
    #[error("transaction still in progress: next sagas or jobs are pending")]
    TxInProgress,
    /// The result of this transaction was already sent (or, on the originator, taken).
    #[error("the result of this transaction was already sent")]
    ResultAlreadySent,
    /// The next hop would make the path from the originator longer than the hop limit.
    #[error("the transaction's hop limit ({0}) would be exceeded")]
    HopLimit(u32),
    /// The transaction's lifespan is over (the transaction is cancelled).
    #[error("the transaction's lifespan is over")]
    LifespanExpired,
    /// The saga already runs its maximum number of transactions.
    #[error("exceed_tx_limit: the saga runs its maximum of {0} transactions")]
    ExceedTxLimit(usize),
    /// The worker process could not be spawned.
    #[error("could not spawn the worker: {0}")]
    Spawn(#[from] SpawnError),
}
