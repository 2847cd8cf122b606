//! A real `erl` calling a pool on a Rust node: calls answered by the workers straight to the
//! Erlang caller, round-robin over every worker, a call that crashes its worker answered at once
//! with `{error, no_reply}` (not at the caller's timeout), the replacement serving the next call,
//! and casts reaching the workers.

use crate::common;

use std::sync::Arc;

use ergo::{PoolOptions, SpawnOptions};
use tokio::sync::Semaphore;

use crate::runtime::Worker;

#[tokio::test]
async fn erl_calls_a_pool_on_a_rust_node() {
    if !common::require_erl("erl_calls_a_pool_on_a_rust_node") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let node = common::dist_node("pool", &cookie).await;
    let options = PoolOptions {
        workers: 4,
        worker_mailbox: 100,
    };
    node.start_pool::<Worker>(
        Arc::new(Semaphore::new(0)),
        options,
        SpawnOptions::named("pool"),
    )
    .await
    .expect("pool starts");
    let erl = common::ErlNode::spawn(
        "erl",
        &cookie,
        &["pool/pool_caller.erl"],
        &[node.name().as_str()],
    );
    assert_eq!(
        erl.wait_line("WORKERS").await,
        "WORKERS 4",
        "{}",
        erl.output()
    );
    assert_eq!(erl.wait_line("ECHO").await, "ECHO ok", "{}", erl.output());
    let crash = erl.wait_line("CRASH").await;
    let fields: Vec<&str> = crash.split(' ').collect();
    assert_eq!(fields[1], "{error,no_reply}", "{crash}");
    let ms: u64 = fields[2].parse().expect("milliseconds");
    assert!(
        ms < 5000,
        "the lost call was answered at once, not at the timeout: {crash}"
    );
    assert_eq!(
        erl.wait_line("AFTER").await,
        "AFTER {echo,after_crash}",
        "{}",
        erl.output()
    );
    assert_eq!(erl.wait_line("CAST").await, "CAST ok", "{}", erl.output());
}
