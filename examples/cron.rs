//! Cron: a job with a seconds spec (`*/2 * * * * *`: every two seconds) sends `tick` to a
//! printer process, which prints each run with the time it arrived; `list` shows the job's next
//! run. After five runs the job is removed and the node stops.
//!
//! Run with `cargo run --example cron` (`-- 3` for three runs).

use ergo::cron::{CronAction, CronJob, Tz, Utc};
use ergo::{Context, Node, NodeOptions, SpawnOptions, Term};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 5,
    };
    let node = Node::start("cron@localhost", NodeOptions::default()).await?;
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = node.spawn(
        SpawnOptions::named("printer"),
        move |mut ctx: Context| async move {
            let mut seen = 0;
            while let Ok(message) = ctx.recv_term().await {
                seen += 1;
                println!(
                    "run {seen}: {message} at {}",
                    Utc::now().format("%H:%M:%S%.3f")
                );
                if seen == runs {
                    let _ = done_tx.send(());
                }
            }
            Term::atom("normal")
        },
    )?;
    let cron = node.cron();
    let job = CronJob::new(
        "ticker",
        "*/2 * * * * *",
        CronAction::send(printer, Term::atom("tick")),
    )?
    .time_zone(Tz::Europe__Paris)
    .fallback("printer");
    let first = cron.add(job)?;
    println!("job ticker added, first run at {first}");
    for info in cron.list() {
        println!(
            "listed: {} {:?} next run {:?}",
            info.name,
            info.spec,
            info.next_run.map(|t| t.to_string())
        );
    }
    done_rx.recv().await.ok_or("the printer ended early")?;
    cron.remove("ticker")?;
    println!("job ticker removed after {runs} runs");
    node.stop();
    Ok(())
}
