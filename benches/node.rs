//! Node benchmarks, a scenario table chosen by the first CLI argument:
//! - `call-local [--pairs P] [--secs S]`: P client/server pairs, each client doing synchronous
//!   gen_server calls to its own server; prints calls/s and latency percentiles.
//! - `spawn [--count N]`: spawns N idle processes; prints the time and resident memory per process.
//!
//! Unknown or missing scenario: lists the scenarios and exits non-zero.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ergo::{CallOutcome, Context, GenServer, Init, Node, NodeOptions, Payload, SpawnOptions, Term};

type Scenario = fn(&[String]) -> Result<(), String>;

const SCENARIOS: &[(&str, &str, Scenario)] = &[
    (
        "call-local",
        "P client/server pairs doing synchronous calls (--pairs 30 --secs 5)",
        call_local,
    ),
    (
        "spawn",
        "spawn N idle processes, time and RSS per process (--count 1000000)",
        spawn,
    ),
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let chosen = args
        .first()
        .and_then(|name| SCENARIOS.iter().find(|(n, _, _)| n == name));
    match chosen {
        Some((_, _, run)) => {
            if let Err(e) = run(&args[1..]) {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
        None => {
            eprintln!("usage: cargo bench --bench node -- <scenario> [options]\nscenarios:");
            for (name, what, _) in SCENARIOS {
                eprintln!("  {name:12} {what}");
            }
            std::process::exit(2);
        }
    }
}

fn flag(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
        None => Ok(default),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

struct Echo;

impl GenServer for Echo {
    type Args = ();
    async fn init(_ctx: &mut Context, _args: ()) -> Init<Self> {
        Init::Ok(Echo)
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: Payload,
        _from: ergo::core::From,
    ) -> CallOutcome {
        CallOutcome::Reply(request)
    }
}

fn call_local(args: &[String]) -> Result<(), String> {
    let pairs = flag(args, "--pairs", 30)?;
    let secs = flag(args, "--secs", 5)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let node = Node::start("bench@localhost", NodeOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let total = Arc::new(AtomicU64::new(0));
        let (lat_tx, mut lat_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u32>>();
        for _ in 0..pairs {
            let server = node
                .start_server::<Echo>((), SpawnOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            let (stop, total, lat_tx) = (stop.clone(), total.clone(), lat_tx.clone());
            node.spawn(SpawnOptions::default(), move |ctx: Context| async move {
                let mut samples = Vec::with_capacity(1 << 16);
                let mut n: u64 = 0;
                while !stop.load(Ordering::Relaxed) {
                    // Every 8th call is timed (timing each one would add two clock reads per call).
                    let t0 = (n % 8 == 0).then(Instant::now);
                    if ctx.call::<i64>(&server, n as i64).await.is_err() {
                        break;
                    }
                    if let Some(t0) = t0 {
                        samples.push(t0.elapsed().as_nanos().min(u32::MAX as u128) as u32);
                    }
                    n += 1;
                }
                total.fetch_add(n, Ordering::Relaxed);
                let _ = lat_tx.send(samples);
                Term::atom("normal")
            })
            .map_err(|e| e.to_string())?;
        }
        drop(lat_tx);
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        while let Some(s) = lat_rx.recv().await {
            all.extend(s);
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort_unstable();
        let pct = |p: f64| {
            all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0) as f64
                / 1000.0
        };
        let rate = total.load(Ordering::Relaxed) as f64 / elapsed;
        println!(
            "call-local pairs={pairs} calls_per_sec={rate:.0} p50_us={:.2} p99_us={:.2}",
            pct(0.50),
            pct(0.99)
        );
        node.stop();
        Ok(())
    })
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn spawn(args: &[String]) -> Result<(), String> {
    let count = flag(args, "--count", 1_000_000)?;
    let rt = runtime()?;
    rt.block_on(async move {
        let node = Node::start("bench_spawn@localhost", NodeOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let before = rss_bytes();
        let started = Instant::now();
        // Spawn from inside tasks (as processes would), one spawner per worker thread, so new
        // tasks go to the workers' local queues and neither worker sits parked (a parked worker
        // is woken through a syscall for nearly every spawn).
        let spawners = 2;
        let mut handles = Vec::new();
        for part in 0..spawners {
            let spawner = node.clone();
            let share = count / spawners + u64::from(part < count % spawners);
            handles.push(tokio::spawn(async move {
                for _ in 0..share {
                    spawner
                        .spawn(SpawnOptions::default(), |mut ctx: Context| async move {
                            match ctx.recv().await {
                                Ok(_) => Term::atom("normal"),
                                Err(reason) => reason,
                            }
                        })
                        .map_err(|e| e.to_string())?;
                }
                Ok::<(), String>(())
            }));
        }
        for handle in handles {
            handle.await.map_err(|e| e.to_string())??;
        }
        let spawned = started.elapsed();
        // Let every task run once and park on its mailbox.
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss_bytes();
        let per = after.saturating_sub(before) as f64 / count as f64;
        println!(
            "spawn count={count} secs={:.3} per_sec={:.0} rss_per_process_bytes={per:.0} alive={}",
            spawned.as_secs_f64(),
            count as f64 / spawned.as_secs_f64(),
            node.process_count()
        );
        node.stop();
        Ok(())
    })
}
