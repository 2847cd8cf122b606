//! gen_raft: replicated, serial-numbered key/value appends on a Raft cluster of 3 to 11 voting
//! members chosen among the online peers (the rest are learners), on the openraft engine with
//! the distribution as its transport. One idea per file:
//!
//! - `types`: openraft's type configuration, the log command, peer addresses, node ids;
//! - `wire`: the request and reply terms between raft processes, and the payload encoding;
//! - `log_store`: the log storage trait and the in-memory log;
//! - `log_entries`: the entries both logs keep in memory (append, truncate, purge, read);
//! - `file_log`: the file-backed log (fsync, group commit);
//! - `state_machine`: applying committed appends, reads, snapshots;
//! - `batcher`: group commit of appends into one log entry on the leader;
//! - `network`: openraft's RPCs as calls to the peers' raft processes;
//! - `service`: the raft process serving those calls;
//! - `quorum`: which online members vote;
//! - `member`: starting a member, its manager and its API;
//! - `callbacks`: the `RaftCallbacks` a member reports to, and the task running them;
//! - `behaviour`: the `GenRaft` trait (a gen_raft process's callbacks) and `RaftStart`;
//! - `context`: `RaftContext`, what those callbacks act through;
//! - `server`: the gen_raft process, dispatching the member's reports and the messages;
//! - `options`, `error`.
//!
//! Must not reach the network layer: remote calls go through `Node`.

pub mod batcher;
pub mod behaviour;
pub mod callbacks;
pub mod context;
pub mod error;
pub mod file_log;
mod log_entries;
pub mod log_store;
pub mod member;
pub mod network;
pub mod options;
pub mod quorum;
pub mod server;
pub mod service;
pub mod state_machine;
pub mod types;
pub mod wire;

pub use behaviour::{GenRaft, RaftStart};
pub use callbacks::{RaftCallbacks, RaftEvent};
pub use context::RaftContext;
pub use error::GenRaftError;
pub use file_log::FileLog;
pub use log_store::{LogStorage, MemLog};
pub use member::RaftMember;
pub use options::RaftOptions;
pub use server::RaftServer;
