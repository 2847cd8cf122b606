//! Logging for programs built on ergo: one call at the start of `main` (`ergo::logging::init()`)
//! installs a `tracing` subscriber that writes the runtime's events (and the program's) to
//! stderr, filtered by `RUST_LOG` (default `info`), in colour only when stderr is a terminal, and
//! installs the runtime's panic hook, so a panic in a process is reported once, by the runtime's
//! ERROR line with its location. The library itself never installs a global subscriber: without
//! this call (or a subscriber of the program's own) nothing is printed.

use std::io::IsTerminal;

/// A global `tracing` subscriber was installed already (by the program or a second `init`).
#[derive(Debug, thiserror::Error)]
#[error("a global tracing subscriber is installed already")]
pub struct AlreadyInstalled;

/// Installs the subscriber and the panic hook described in the module docs. `RUST_LOG` takes
/// the usual `tracing_subscriber::EnvFilter` directives (`debug`, `ergo_core=debug,info`...).
pub fn init() -> Result<(), AlreadyInstalled> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|_| AlreadyInstalled)?;
    ergo_core::process::install_panic_hook();
    Ok(())
}
