//! Generic behaviours built on processes: `server` (gen_server), `supervisor`, `application`.

pub mod application;
pub mod server;
pub mod supervisor;
