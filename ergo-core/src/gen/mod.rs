//! Generic behaviours built on processes: `server` (gen_server), `supervisor`, `application`,
//! `pool` (gen_server workers behind one process).

pub mod application;
pub mod pool;
pub mod server;
pub mod supervisor;
