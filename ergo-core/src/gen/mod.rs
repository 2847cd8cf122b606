//! Generic behaviours built on processes: `server` (gen_server), `stage` (gen_stage),
//! `supervisor`, `application`, `saga` (gen_saga).

pub mod application;
pub mod saga;
pub mod server;
pub mod stage;
pub mod supervisor;
