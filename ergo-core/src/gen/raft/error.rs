//! gen_raft's errors: what an append or a read can answer, and why a member did not start.
//! Owns the error enum only.

use crate::node::SpawnError;

/// Why a gen_raft request or start failed.
#[derive(Debug, thiserror::Error)]
pub enum GenRaftError {
    /// Fewer than 3 peers formed the cluster, or no leader could be found: nothing can commit.
    #[error("no quorum")]
    NoQuorum,
    /// The request did not commit (or the read was not confirmed) in time.
    #[error("timeout")]
    Timeout,
    /// The member has been stopped.
    #[error("the raft member is stopped")]
    Stopped,
    /// A key or value could not be encoded as ETF.
    #[error("cannot encode the term: {0}")]
    Encode(String),
    /// Options openraft refuses (e.g. timings).
    #[error("invalid raft options: {0}")]
    Options(String),
    /// The raft process could not be spawned (its name is taken...).
    #[error("cannot start the raft process: {0}")]
    Spawn(#[from] SpawnError),
    /// The engine failed (storage error, shut down).
    #[error("raft engine: {0}")]
    Engine(String),
}

impl GenRaftError {
    /// The reason atom Erlang callers see in `{error, Reason}`.
    pub fn reason(&self) -> &'static str {
        match self {
            GenRaftError::NoQuorum => "no_quorum",
            GenRaftError::Timeout => "timeout",
            GenRaftError::Stopped => "stopped",
            GenRaftError::Encode(_) => "badarg",
            GenRaftError::Options(_) => "badarg",
            GenRaftError::Spawn(_) => "spawn_failed",
            GenRaftError::Engine(_) => "engine",
        }
    }
}
