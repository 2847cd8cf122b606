//! The one support module of the black-box tests, shared by every test binary (the grouped ones
//! through `#[path = "../common/mod.rs"] mod common;`, the single-file ones through
//! `mod common;`). Split by idea:
//!
//! - this file: finding `erl` and `elixir` (fail loudly under CI or ERGO_REQUIRE_ERL=1, skip
//!   elsewhere, as `ergo::testing::ErlNode` does), unique names,
//!   paths under tests/ and temporary directories;
//! - [`wait`]: deadlines: the next message on a channel, a condition polled until it holds;
//! - [`collector`]: one process that forwards what it receives to the test;
//! - [`node`]: Rust nodes for tests (on loopback without EPMD, or with EPMD), an echo gen_server;
//! - [`child`]: child processes killed with their test, their output read line by line with
//!   deadlines, commands run to their end with a deadline, the examples;
//! - [`erl`]: the system EPMD, and real `erl` nodes running modules from tests/ (a thin layer
//!   over `ergo::testing::ErlNode`);
//! - [`peer`]: the distribution layer's helpers: an Erlang peer running
//!   `tests/dist/peer.escript`, our own pids, a raw peer;
//! - [`tls`]: a TLS client that accepts a server's self-signed certificate.
//!
//! Not every binary uses every helper.
#![allow(dead_code, unused_imports)]

pub mod child;
pub mod collector;
pub mod erl;
pub mod node;
pub mod peer;
pub mod tls;
pub mod wait;

pub use child::{example_binary, run_example, run_within, ChildGuard, EchoNode, Finished, Output};
pub use collector::{forwarder, Collector};
pub use erl::{ensure_system_epmd, ErlNode};
pub use node::{
    dist_node, loopback, route, start_dist, start_loopback, start_node, Echo, RecordingDistribution,
};
pub use peer::raw_peer;

use std::process::Command;

/// Whether a program answers on the PATH.
fn on_path(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn require(program: &str, test: &str) -> bool {
    require_package(program, "erlang-base elixir", test)
}

fn require_package(program: &str, package: &str, test: &str) -> bool {
    if on_path(program) {
        return true;
    }
    // The project's own tests treat CI like ERGO_REQUIRE_ERL=1 (what `ergo::testing::ErlNode`
    // obeys): .ci/run sets both, and a CI that lacks erl must fail, not skip.
    if std::env::var_os("CI").is_some() || ergo::testing::erl_required() {
        panic!(
            "{test}: `{program}` is not installed, and CI or ERGO_REQUIRE_ERL=1 is set: .ci/run \
             must install it"
        );
    }
    eprintln!("SKIPPED {test}: `{program}` is not installed (apt-get install -y {package})");
    false
}

/// True when `erl` and `escript` can run. Under `CI` or `ERGO_REQUIRE_ERL=1` a missing `erl` panics; elsewhere the test
/// prints that it was skipped and should return early.
pub fn require_erl(test: &str) -> bool {
    require("erl", test) && require("escript", test)
}

/// True when `elixir` can run; same rules as [`require_erl`].
pub fn require_elixir(test: &str) -> bool {
    require("elixir", test)
}

/// True when `curl` can run; same rules as [`require_erl`].
pub fn require_curl(test: &str) -> bool {
    require_package("curl", "curl", test)
}

/// A name that no other test (or concurrent run) uses: `prefix_<pid>_<counter>_<nanos>`.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A node name no other test uses: `<unique_name(prefix)>@localhost`.
pub fn node_name(prefix: &str) -> String {
    format!("{}@localhost", unique_name(prefix))
}

/// The path of a file under tests/.
pub fn test_file(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

/// A fresh directory under the system's temporary directory, named after `tag` and unique.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique_name(tag));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir {}: {e}", dir.display()));
    dir
}
