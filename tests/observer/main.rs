//! Looking into a running node: the inspect API (`inspect`), the observer's HTTP server, its
//! pages, actions and `/metrics` (`http`), its pages in a real headless Chromium (`browser`, driven over the DevTools protocol by
//! `devtools`),
//! and `examples/observer.rs` end to end (`example`).
//!
//! One test binary for all of them (see tests/runtime/main.rs for why).

#[path = "../common/mod.rs"]
mod common;

mod browser;
mod devtools;
mod example;
mod http;
mod inspect;
mod tree;
