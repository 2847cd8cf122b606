//! The worker pool (`ergo::pool`): requests handed to workers that answer the caller directly,
//! round-robin, load shedding when every bounded mailbox is full, crashed workers replaced under
//! load with no call lost, resizing, and a real `erl` calling a pool on a Rust node.

#[path = "../common/mod.rs"]
mod common;

mod erl;
mod runtime;
