//! Generic behaviours built on processes: `server` (gen_server), `stage` (gen_stage),
//! `supervisor`, `application`.

pub mod application;
pub mod server;
pub mod stage;
pub mod supervisor;
