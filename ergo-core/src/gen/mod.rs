//! Generic behaviours built on processes: `server` (gen_server), `supervisor`, `application`,
//! and (feature `raft`) `raft` (gen_raft on openraft).

pub mod application;
#[cfg(feature = "raft")]
pub mod raft;
pub mod server;
pub mod supervisor;
