//! The observer: a web UI and a Prometheus `/metrics` endpoint served by the node itself (node
//! option `observer`, feature `observer`), built on the inspect API. Pages are rendered on the
//! server (`pages.rs`, `html.rs`) with a little hand-written JavaScript (`assets.rs`: sortable
//! and filterable tables, live charts fed by server-sent events); no build step.
//!
//! Access (`auth.rs`): every observer has a token (the option's, or a random one made at start
//! and printed in its URL). On a loopback address the pages are readable without it; on any
//! other address every request needs it. Actions that change state (send a message, exit, kill)
//! always need it, in a POST.
//!
//! Owns the HTTP server, the pages, the metrics text and the log ring (`logs.rs`, a tracing
//! layer the program installs); must not reach into the layers below except through the
//! inspect API and the node's public process API.

mod assets;
mod auth;
mod history;
mod html;
mod logs;
mod metrics;
mod pages;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

pub use logs::{log_layer, LogLayer, LogLine};
pub use metrics::render_metrics;

use crate::node::{Node, ObserverOptions};

/// The default observer address, `127.0.0.1:9911` (as Ergo's).
pub const DEFAULT_ADDR: &str = "127.0.0.1:9911";

impl ObserverOptions {
    /// Serve the observer at `addr` (port 0 picks a free port; see [`url`]).
    pub fn new(addr: SocketAddr) -> ObserverOptions {
        ObserverOptions {
            addr,
            token: None,
            start,
        }
    }

    /// Requires `token` (instead of a random one) for actions and non-local readers.
    pub fn with_token(mut self, token: impl Into<String>) -> ObserverOptions {
        self.token = Some(token.into());
        self
    }
}

/// What the running observer of a node shares with its handlers.
pub(crate) struct Observer {
    pub node: crate::node::WeakNode,
    pub addr: SocketAddr,
    pub token: String,
    pub loopback_only: bool,
    pub history: history::History,
}

/// The running observer of a node (a node extension).
#[derive(Default)]
struct Running(std::sync::OnceLock<Arc<Observer>>);

/// The URL of `node`'s observer, with its token (`http://127.0.0.1:9911/?token=...`); `None`
/// when the node serves none.
pub fn url(node: &Node) -> Option<String> {
    let running = node.extensions().get::<Running>()?;
    let observer = running.0.get()?;
    Some(format!(
        "http://{}/?token={}",
        observer.addr, observer.token
    ))
}

/// The address `node`'s observer listens on (the real port when the option gave port 0).
pub fn local_addr(node: &Node) -> Option<SocketAddr> {
    let running = node.extensions().get::<Running>()?;
    running.0.get().map(|o| o.addr)
}

fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Binds the observer's address and starts serving (the node's `ObserverOptions::start`).
fn start(node: &Node, options: &ObserverOptions) -> Result<(), String> {
    let loopback_only = options.addr.ip().is_loopback();
    let listener = std::net::TcpListener::bind(options.addr)
        .map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", options.addr))?;
    let token = options.token.clone().unwrap_or_else(random_token);
    if token.len() < 8 {
        return Err("the observer's token must have at least 8 characters".into());
    }
    let observer = Arc::new(Observer {
        node: node.downgrade(),
        addr,
        token,
        loopback_only,
        history: history::History::default(),
    });
    let running = node.extensions().get_or_insert_with(Running::default);
    if running.0.set(Arc::clone(&observer)).is_err() {
        return Err("the node serves an observer already".into());
    }
    let runtime = node.runtime().clone();
    let _guard = runtime.enter();
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let stopped = node.stop_signal();
    runtime.spawn(history::sample(Arc::downgrade(&observer)));
    runtime.spawn(routes::serve(listener, observer, stopped));
    tracing::info!(%addr, "observer listening");
    Ok(())
}
