//! A small supervision tree, declared with `#[supervisor]` and `#[gen_server]`:
//!
//! ```text
//! root (one_for_one)
//! ├── alpha   worker (gen_server)
//! ├── beta    worker (gen_server)
//! └── pair    supervisor (rest_for_one)
//!     ├── left   worker
//!     └── right  worker
//! ```
//!
//! A timer crashes a worker every 400 ms (round robin); after each crash the example prints
//! which children got new pids, showing the strategies at work: under `root` only the crashed
//! worker restarts; under `pair` crashing `left` restarts `left` and `right`, crashing `right`
//! restarts only `right`. It ends by itself after six crashes. Run: `cargo run --example supervisor`.

use std::collections::BTreeMap;
use std::time::Duration;

use ergo::runtime::gen::supervisor::ChildInfo;
use ergo::{gen_server, supervisor, Node, NodeOptions, Pid, SpawnOptions, Term};

/// A worker that answers `ping` and crashes (panics) on `crash`.
struct Worker {
    name: String,
}

#[gen_server]
impl Worker {
    async fn init(name: String) -> Result<Self, Term> {
        Ok(Worker { name })
    }

    async fn handle_call(&mut self, msg: Term, _from: ergo::ReplyTo) -> ergo::Reply<Term> {
        if msg.is_atom("crash") {
            panic!("{} crashed on purpose", self.name);
        }
        ergo::Reply::Reply(Term::atom("pong"))
    }
}

struct Pair;

#[supervisor(strategy = rest_for_one, intensity = 10, period = 5)]
impl Pair {
    children! {
        worker(id = left, start = Worker, args = "left".to_string(), name = "left"),
        worker(id = right, start = Worker, args = "right".to_string(), name = "right"),
    }
}

struct Root;

#[supervisor(strategy = one_for_one, intensity = 10, period = 5)]
impl Root {
    children! {
        worker(id = alpha, start = Worker, args = "alpha".to_string(), name = "alpha"),
        worker(id = beta, start = Worker, args = "beta".to_string(), name = "beta"),
        supervisor(id = pair, start = Pair),
    }
}

/// Every worker's pid by registered name.
fn snapshot(node: &Node) -> BTreeMap<&'static str, Option<Pid>> {
    ["alpha", "beta", "left", "right"]
        .into_iter()
        .map(|n| (n, node.whereis(n)))
        .collect()
}

fn show(children: &[ChildInfo]) -> String {
    children
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c.id.as_ref().map(|a| a.as_str()).unwrap_or("?"),
                c.pid
                    .pid()
                    .map(|p| Term::Pid(p.clone()).to_string())
                    .unwrap_or("undefined".into())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The crashes are panics on purpose: the runtime logs one line for each (with its place in
    // the source) and the supervisor's restarts follow.
    ergo::logging::init()?;
    let node = Node::start("supervisor_example@localhost", NodeOptions::default()).await?;
    let root = node
        .start_supervisor::<Root>((), SpawnOptions::default())
        .await?;
    let root_ref = node.supervisor_ref(root.clone());
    println!("root started: {}", show(&root_ref.which_children().await?));
    let victims = ["alpha", "left", "beta", "right", "left", "alpha"];
    let mut ticker = tokio::time::interval(Duration::from_millis(400));
    ticker.tick().await;
    for victim in victims {
        ticker.tick().await;
        let before = snapshot(&node);
        let Some(pid) = node.whereis(victim) else {
            continue;
        };
        println!("\ncrashing {victim} ({})", Term::Pid(pid.clone()));
        let _ = node.call::<Term>(pid, Term::atom("crash")).await;
        // Wait (with a deadline) until the crashed worker is back under a new pid.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while node.whereis(victim).as_ref() == before.get(victim).and_then(|p| p.as_ref())
            || node.whereis(victim).is_none()
        {
            if tokio::time::Instant::now() > deadline {
                return Err(format!("{victim} was not restarted").into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Both supervisors answer only after finishing the restart they are in the middle of.
        for child in root_ref.which_children().await? {
            if let (ergo::ChildKind::Supervisor, Some(pid)) = (child.kind, child.pid.pid()) {
                node.supervisor_ref(pid.clone()).which_children().await?;
            }
        }
        let after = snapshot(&node);
        for (name, pid) in &after {
            if before.get(name) != Some(pid) {
                let old = before
                    .get(name)
                    .and_then(|p| p.clone())
                    .map(|p| Term::Pid(p).to_string())
                    .unwrap_or_default();
                let new = pid
                    .clone()
                    .map(|p| Term::Pid(p).to_string())
                    .unwrap_or_default();
                println!("  restarted {name}: {old} -> {new}");
            }
        }
        let unchanged: Vec<_> = after
            .iter()
            .filter(|(n, p)| before.get(*n) == Some(*p))
            .map(|(n, _)| *n)
            .collect();
        println!("  unchanged: {}", unchanged.join(", "));
    }
    println!("\nroot now: {}", show(&root_ref.which_children().await?));
    root_ref.stop(Term::atom("shutdown")).await?;
    println!("tree stopped");
    Ok(())
}
