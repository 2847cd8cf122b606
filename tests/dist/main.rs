//! The distribution layers: the handshake (`handshake`), connections to a real Erlang node
//! (`erl`), EPMD (`epmd_erl`), Rust nodes talking over loopback (`net_local`), compression
//! (`compression`) and proxy routes (`proxy`). `peer.escript` beside this file is the Erlang
//! peer the `erl` and `epmd_erl` tests start (`common::peer::ErlPeer`).
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.
//! Their tests run in parallel threads of this one process: every node gets a unique name,
//! nodes that need no EPMD listen on loopback with static routes, the others share the system
//! EPMD on port 4369, and every child process is killed when its test ends.
//! A log subscriber is process-wide: `net_local`'s (with `NET_LOCAL_TRACE` set) and
//! `common::dist_node`'s (with `RUST_LOG` set) are only installed on request, and the first one
//! installed serves the whole binary.

#[path = "../common/mod.rs"]
mod common;
#[path = "../../benches/support/relay.rs"]
mod relay;

mod compression;
mod epmd_erl;
mod erl;
mod handshake;
mod net_local;
mod proxy;
