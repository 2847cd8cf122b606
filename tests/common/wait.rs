//! Deadlines instead of fixed sleeps: the next message on a channel, and a condition polled
//! until it holds. Each test passes the deadline it asserts.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

/// The deadline of [`next`] and [`wait_until`], which name none: what the single-node runtime
/// tests allow.
pub const DEFAULT: Duration = Duration::from_secs(5);

/// The next item on `rx`, within [`DEFAULT`] (5 s); panics at the deadline or when the channel
/// closes first.
pub async fn next<T>(rx: &mut UnboundedReceiver<T>) -> T {
    next_within(rx, DEFAULT).await
}

/// The next item on `rx`, within `within`; panics at the deadline or when the channel closes
/// first.
pub async fn next_within<T>(rx: &mut UnboundedReceiver<T>, within: Duration) -> T {
    match tokio::time::timeout(within, rx.recv()).await {
        Ok(Some(item)) => item,
        Ok(None) => panic!("the channel closed before the next message"),
        Err(_) => panic!("no message within {within:?}"),
    }
}

/// Polls `cond` (every 2 ms: it must be cheap) until it holds; panics, naming `what`, once
/// [`DEFAULT`] (5 s) has passed.
pub async fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    wait_until_within(what, DEFAULT, cond).await
}

/// Polls `cond` (every 2 ms: it must be cheap) until it holds; panics, naming `what`, once
/// `within` has passed.
pub async fn wait_until_within(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Polls the asynchronous `check` (every 20 ms) until it holds; panics, naming `what`, once
/// `within` has passed.
pub async fn eventually<F, Fut>(what: &str, within: Duration, check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    assert!(
        poll_until(within, check).await,
        "timed out after {within:?} waiting until {what}"
    );
}

/// Polls the asynchronous `check` (every 20 ms) until it holds or `within` has passed; returns
/// whether it held, for a test that asserts with its own message.
pub async fn poll_until<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
