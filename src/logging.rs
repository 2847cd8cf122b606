//! Logging for programs built on ergo: one call at the start of `main` (`ergo::logging::init()`)
//! installs a `tracing` subscriber that writes the runtime's events (and the program's) to
//! stderr, filtered by `RUST_LOG` (default `info,openraft=warn`: gen_raft's engine logs every
//! election step and membership change at info), in colour only when stderr is a terminal, and
//! installs the runtime's panic hook, so a panic in a process is reported once, by the runtime's
//! ERROR line with its location. The library itself never installs a global subscriber: without
//! this call (or a subscriber of the program's own) nothing is printed.

use std::io::IsTerminal;

/// The filter without `RUST_LOG`: info, but openraft (gen_raft's engine) from warn.
pub const DEFAULT_FILTER: &str = "info,openraft=warn";

/// A global `tracing` subscriber was installed already (by the program or a second `init`).
#[derive(Debug, thiserror::Error)]
#[error("a global tracing subscriber is installed already")]
pub struct AlreadyInstalled;

/// Installs the subscriber and the panic hook described in the module docs. `RUST_LOG` takes
/// the usual `tracing_subscriber::EnvFilter` directives (`debug`, `ergo_core=debug,info`...).
///
/// With the feature `observer`, the observer's log layer is added (the observer's live log view
/// shows what passes the filter). With the feature `console`, tokio-console's layer is added
/// too (it sees every task, whatever the filter): the program must be built with
/// `RUSTFLAGS="--cfg tokio_unstable"`, and `tokio-console` connects to `127.0.0.1:6669`.
pub fn init() -> Result<(), AlreadyInstalled> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_FILTER));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    #[cfg(feature = "observer")]
    let filtered = fmt
        .and_then(ergo_core::observer::log_layer())
        .with_filter(filter);
    #[cfg(not(feature = "observer"))]
    let filtered = fmt.with_filter(filter);
    let registry = tracing_subscriber::registry().with(filtered);
    #[cfg(feature = "console")]
    let registry = registry.with(console_subscriber::spawn());
    registry.try_init().map_err(|_| AlreadyInstalled)?;
    ergo_core::process::install_panic_hook();
    Ok(())
}
