//! The examples end to end, each as its own process: `proxy` and `supervisor` run and end by
//! themselves and their output shows what they demonstrate; `gateway` serves until killed and
//! is driven by curl, raw sockets and a real `erl`.
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.

#[path = "../common/mod.rs"]
mod common;

mod gateway;
mod proxy;
mod supervisor;
