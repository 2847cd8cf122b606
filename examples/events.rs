//! Events: a producer registers `ticks` and publishes three values; two subscribers print them.
//! Then the producer stops; the subscriber that is still subscribed sees it go down, the other
//! (which unsubscribed after two values) does not.
//!
//! Run with `cargo run --example events`.

use std::time::Duration;

use ergo::runtime::event::EventMessage;
use ergo::{Context, Node, NodeOptions, SpawnOptions, Term};

fn subscriber(
    node: &Node,
    label: &'static str,
    keep: usize,
    done: tokio::sync::mpsc::UnboundedSender<String>,
) -> Result<ergo::Pid, ergo::SpawnError> {
    node.spawn(
        SpawnOptions::default(),
        move |mut ctx: Context| async move {
            let mut seen = 0;
            loop {
                let Ok(envelope) = ctx.recv().await else {
                    return Term::atom("killed");
                };
                let term = envelope.into_term();
                if let Ok(event) = <EventMessage<i64> as ergo::FromTerm>::from_term(term.clone()) {
                    seen += 1;
                    println!("{label}: event {} -> {}", event.name, event.message);
                    if seen == keep {
                        ctx.node().unsubscribe_event(ctx.pid(), "ticks");
                        println!("{label}: unsubscribed");
                        let _ = done.send(format!("{label} unsubscribed"));
                        return Term::atom("normal");
                    }
                } else if term
                    .as_tuple()
                    .is_some_and(|t| t.first().is_some_and(|a| a.is_atom("DOWN")))
                {
                    println!("{label}: producer went down: {term}");
                    let _ = done.send(format!("{label} saw down"));
                    return Term::atom("normal");
                }
            }
        },
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let node = Node::start("events_example@localhost", NodeOptions::default()).await?;
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let producer = node.spawn(
        SpawnOptions::named("producer"),
        move |ctx: Context| async move {
            let Ok(token) = ctx.node().register_event(ctx.pid(), "ticks") else {
                return Term::atom("no_event");
            };
            let _ = go_rx.await;
            for i in 1..=3i64 {
                let _ = ctx.node().publish_event(&token, i);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Term::atom("producer_done")
        },
    )?;
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let a = subscriber(&node, "subscriber A", usize::MAX, done_tx.clone())?;
    let b = subscriber(&node, "subscriber B", 2, done_tx)?;
    // Wait until the producer has registered the event, then subscribe both.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while node.subscribe_event(&a, "ticks").is_err() {
        if std::time::Instant::now() > deadline {
            return Err("event never registered".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    node.subscribe_event(&b, "ticks")?;
    let _ = go_tx.send(());
    for _ in 0..2 {
        let what = tokio::time::timeout(Duration::from_secs(5), done_rx.recv())
            .await?
            .ok_or("subscriber vanished")?;
        println!("main: {what}");
    }
    let _ = producer;
    node.stop();
    Ok(())
}
