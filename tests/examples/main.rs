//! The examples end to end (`cron`, `proxy`, `saga`, `supervisor`): each runs by itself as its own process and
//! ends by itself, and its output shows what it demonstrates.
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod cron;
mod proxy;
mod saga;
mod supervisor;
