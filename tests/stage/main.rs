//! gen_stage: Rust stages among themselves (`local`), the protocol's bad input (`local`),
//! `erlang:phash2/2` against a real `erl` (`phash2`), and Rust stages with real Elixir GenStage
//! stages on other nodes, both directions, every dispatcher (`elixir_interop`), typed events
//! kept typed between Rust stages of one node (`typed`). GenStage is
//! compiled once per test run from `../shared/third_party/gen_stage` (`elixir.rs`).
//!
//! One test binary, its tests in parallel threads: every node gets a unique name and cookie,
//! all share the system EPMD, every child process is killed when its test ends.

#[path = "../common/mod.rs"]
mod common;

mod elixir;
mod elixir_interop;
mod example;
mod local;
mod phash2;
mod stages;
mod typed;
