//! Generic behaviours built on processes. Only `server` (gen_server) so far.

pub mod server;
