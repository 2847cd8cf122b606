//! ergo-rs nodes with real Erlang and Elixir nodes at the node API level: the `echo` example
//! driven from Erlang and Elixir (`echo`), `global` (`global`), `pg` (`pg`), RPC and remote
//! spawn (`rpc`), a Rust node driving an Erlang node (`rust_erlang`), and distribution over TLS
//! (`tls`). The Erlang sources and escripts they run live beside this file.
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.
//! Their tests run in parallel threads of this one process: every node (Rust, `erl`, `elixir`)
//! gets a unique name and cookie, all share the system EPMD on port 4369
//! (`common::ensure_system_epmd`), and every child process is killed when its test ends.
//! The log subscriber is process-wide, so `common::dist_node` installs it only when `RUST_LOG`
//! is set.

#[path = "../common/mod.rs"]
mod common;

mod echo;
mod global;
mod pg;
mod rpc;
mod rust_erlang;
mod tls;
