//! `examples/observer.rs` end to end: it prints its observer's URL, serves its tree, and the
//! flaky worker's crashes show as the root supervisor's restarts in `/metrics`.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::http::get;
use crate::common::{self, ChildGuard, Output};

/// The value of the first metrics line starting with `prefix` and containing `with`.
fn metric(text: &str, prefix: &str, with: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix) && l.contains(with))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_prints_its_url_and_its_flaky_worker_is_restarted() {
    let mut child = Command::new(common::example_binary("observer"))
        .env("ERGO_OBSERVER_ADDR", "127.0.0.1:0")
        .args(["--secs", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the observer example");
    let out = Output::of(&mut child, "observer example");
    let _guard = ChildGuard(child);
    let line = out
        .wait_line_async("observer: http://", Duration::from_secs(20))
        .await;
    let url = line.trim_start_matches("observer: http://");
    let (addr, rest) = url.split_once('/').expect("an address and a path");
    let addr: SocketAddr = addr.parse().expect("an address");
    assert!(rest.starts_with("?token=") && rest.len() > "?token=".len() + 8);
    let tree = get(addr, "/supervision").await;
    for id in ["counter", "ticker", "flaky", "pool", "worker_1"] {
        assert!(tree.body.contains(&format!("data-id=\"{id}\"")), "{id}");
    }
    // The flaky worker crashes after 3 to 8 s; the ticker keeps calling the counter.
    let last = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let restarted = common::wait::poll_until(Duration::from_secs(20), || {
        let last = std::sync::Arc::clone(&last);
        async move {
            // A scrape every 200 ms is plenty.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let text = get(addr, "/metrics").await.body;
            let seen = metric(&text, "ergo_supervisor_restarts_total{", "name=\"root\"")
                .unwrap_or(0.0)
                >= 1.0
                && metric(&text, "ergo_calls_handled_total ", "").unwrap_or(0.0) >= 10.0;
            *last.lock().unwrap_or_else(|p| p.into_inner()) = text;
            seen
        }
    })
    .await;
    let last = last.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(restarted, "no restart of the flaky worker seen:\n{last}");
}
