//! The examples end to end, each as its own process: `cron`, `proxy`, `saga` and `supervisor` run
//! and end by themselves and their output shows what they demonstrate; `gateway` serves until
//! killed and is driven by curl, raw sockets and a real `erl`.
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod cron;
mod gateway;
mod proxy;
mod saga;
mod supervisor;
