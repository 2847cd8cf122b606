//! Generic behaviours built on processes: `server` (gen_server), `stage` (gen_stage),
//! `supervisor`, `application`, `saga` (gen_saga), `pool` (gen_server workers behind one
//! process) and (feature `raft`) `raft` (gen_raft on openraft).

pub mod application;
pub mod pool;
#[cfg(feature = "raft")]
pub mod raft;
pub mod saga;
pub mod server;
pub mod stage;
pub mod supervisor;
