//! Generic behaviours built on processes: `server` (gen_server), `supervisor`, `application`, `saga` (gen_saga).

pub mod application;
pub mod saga;
pub mod server;
pub mod supervisor;
