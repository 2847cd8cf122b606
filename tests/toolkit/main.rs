//! The toolkit around the runtime: cron jobs on virtual time (`cron`), the test kit's real
//! Erlang node (`erl_node`), its gen_server, gen_stage and supervisor kits (`kit`,
//! `stage_kit`, `supervisor_kit`).
//!
//! One test binary for all of them, so that the crate graph is linked once. Tests run in
//! parallel threads of this one process: node names are unique (`common::node_name`), and the
//! cron tests run each on its own paused tokio runtime.

#[path = "../common/mod.rs"]
mod common;

mod cron;
mod erl_node;
mod kit;
mod stage_kit;
mod supervisor_kit;
