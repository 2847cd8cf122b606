//! A node serving its observer (web UI and Prometheus metrics) with a small tree of workers:
//!
//! ```text
//! root (one_for_one)
//! ├── counter   gen_server: counts the ticks, shows its count in the observer (`inspect`)
//! ├── ticker    worker: calls counter every 100 ms
//! ├── flaky     worker: crashes now and then (a panic every 3 to 8 s), and is restarted
//! └── pool      supervisor (one_for_one)
//!     └── worker_1..3  workers waiting for messages (send them one from the observer)
//! ```
//!
//! Run `cargo run --example observer` and open the URL it prints (`ERGO_OBSERVER_ADDR` changes
//! the address, default 127.0.0.1:9911; `--secs N` stops after N seconds). `RUST_LOG` filters
//! what the log page shows.

use std::time::Duration;

use ergo::{
    gen_server, ChildSpec, ChildStart, Context, Node, NodeOptions, ObserverOptions, SpawnOptions,
    Strategy, SupervisorSpec, Term,
};

/// Counts what it is told to add.
struct Counter {
    count: i64,
    calls: u64,
}

#[gen_server]
impl Counter {
    async fn init(_args: ()) -> Result<Self, Term> {
        Ok(Counter { count: 0, calls: 0 })
    }

    async fn handle_call(&mut self, add: i64, _from: ergo::ReplyTo) -> ergo::Reply<i64> {
        self.count += add;
        self.calls += 1;
        ergo::Reply::ok(self.count)
    }

    /// What the observer's process page shows.
    fn inspect(&self) -> Vec<(String, String)> {
        vec![
            ("count".into(), self.count.to_string()),
            ("calls".into(), self.calls.to_string()),
        ]
    }
}

/// Calls `counter` every 100 ms.
fn ticker() -> ChildStart {
    ChildStart::process(|ctx: Context| async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            if let Err(e) = ctx.call::<i64>("counter", 1i64).await {
                return Term::binary(format!("counter: {e}").into_bytes());
            }
        }
    })
}

/// Crashes after 3 to 8 seconds (by its pid, so each incarnation waits differently).
fn flaky() -> ChildStart {
    ChildStart::process(|ctx: Context| async move {
        let secs = 3 + u64::from(ctx.pid().id % 6);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        panic!("flaky worker gave up after {secs} s (on purpose)");
    })
}

/// Waits for messages and prints each.
fn waiter() -> ChildStart {
    ChildStart::process(|mut ctx: Context| async move {
        loop {
            match ctx.recv().await {
                Ok(message) => println!(
                    "{} got {}",
                    Term::Pid(ctx.pid().clone()),
                    message.into_term()
                ),
                Err(reason) => return reason,
            }
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let secs: Option<u64> = std::env::args()
        .skip_while(|a| a != "--secs")
        .nth(1)
        .and_then(|s| s.parse().ok());
    let addr = std::env::var("ERGO_OBSERVER_ADDR")
        .unwrap_or_else(|_| ergo::observer::DEFAULT_ADDR.to_string())
        .parse()?;
    let options = NodeOptions {
        observer: Some(ObserverOptions::new(addr)),
        ..NodeOptions::default()
    };
    let node = Node::start("observer_example@localhost", options).await?;
    let mut pool = SupervisorSpec::new(Strategy::OneForOne);
    for i in 1..=3 {
        let name = format!("worker_{i}");
        pool = pool.child(ChildSpec::worker(&name, waiter()));
    }
    let root = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10)
        .period(Duration::from_secs(10))
        .child(ChildSpec::worker(
            "counter",
            ChildStart::gen_server_opts::<Counter>(SpawnOptions::named("counter"), ()),
        ))
        .child(ChildSpec::worker("ticker", ticker()))
        .child(ChildSpec::worker("flaky", flaky()))
        .child(ChildSpec::supervisor(
            "pool",
            ChildStart::supervisor_spec(pool),
        ));
    node.start_supervisor_spec(root, SpawnOptions::named("root"))
        .await?;
    let url = ergo::observer::url(&node).ok_or("the observer is not running")?;
    println!("observer: {url}");
    match secs {
        Some(secs) => {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            node.stop();
        }
        None => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => node.stop(),
                _ = node.wait() => {}
            }
        }
    }
    node.wait().await;
    Ok(())
}
