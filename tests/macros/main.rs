//! The macros from outside: `#[gen_server]` (`gen_server`), `#[gen_stage]` (`gen_stage`) and
//! `#[supervisor]` (`supervisor`)
//! at work, and every misuse of the four macros as a compile error (`ui`).
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod gen_server;
mod gen_stage;
mod supervisor;
mod ui;
