//! Generic behaviours built on processes: `server` (gen_server), `stage` (gen_stage),
//! `supervisor`, `application`, `saga` (gen_saga), `pool` (gen_server workers behind one
//! process).

pub mod application;
pub mod pool;
pub mod saga;
pub mod server;
pub mod stage;
pub mod supervisor;
