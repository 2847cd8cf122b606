//! Shared helpers for the black-box tests: finding `erl` and `elixir`, and deciding what to do
//! when they are missing (fail loudly under CI, skip with a clear message elsewhere).
#![allow(dead_code)]

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
    if on_path(program) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: `{program}` is not installed, and CI is set: .ci/run must install it");
    }
    eprintln!("SKIPPED {test}: `{program}` is not installed (apt-get install -y erlang-base elixir)");
    false
}

/// True when `erl` and `escript` can run. Under `CI` a missing `erl` panics; elsewhere the test
/// prints that it was skipped and should return early.
pub fn require_erl(test: &str) -> bool {
    require("erl", test) && require("escript", test)
}

/// True when `elixir` can run; same rules as [`require_erl`].
pub fn require_elixir(test: &str) -> bool {
    require("elixir", test)
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
