//! A counter gen_server driven by `send_after`: starts at 100, increases every 200 ms and prints
//! `increase counter: N`, stops after 105 and prints its terminate reason.
//!
//! Run with `cargo run --example genserver` (RUST_LOG=debug shows the runtime's spans).

use std::time::Duration;

use ergo::{gen_server, Context, Node, NodeOptions, SpawnOptions, Status, Term};

const TICK: Duration = Duration::from_millis(200);

/// The timer message.
#[derive(ergo::Term, Debug, Clone, PartialEq)]
struct Increase;

struct Counter {
    value: i64,
    done: Option<tokio::sync::oneshot::Sender<Term>>,
}

#[gen_server]
impl Counter {
    async fn init(
        ctx: &mut Context,
        args: (i64, tokio::sync::oneshot::Sender<Term>),
    ) -> Result<Self, Term> {
        let (start, done) = args;
        println!("started counter at {start}");
        ctx.send_self_after(Increase, TICK);
        Ok(Counter {
            value: start,
            done: Some(done),
        })
    }

    async fn handle_info(&mut self, ctx: &mut Context, _msg: Increase) -> Status {
        self.value += 1;
        println!("increase counter: {}", self.value);
        if self.value >= 105 {
            return Status::Stop(Term::atom("normal"));
        }
        ctx.send_self_after(Increase, TICK);
        Status::Continue
    }

    async fn terminate(&mut self, reason: &Term) {
        println!("terminated with reason: {reason}");
        if let Some(done) = self.done.take() {
            let _ = done.send(reason.clone());
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let node = Node::start("genserver_example@localhost", NodeOptions::default()).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let pid = node
        .start_server::<Counter>((100, tx), SpawnOptions::named("counter"))
        .await?;
    println!("counter process: {}", Term::Pid(pid));
    let reason = tokio::time::timeout(Duration::from_secs(10), rx).await??;
    node.stop();
    if !reason.is_atom("normal") {
        return Err(format!("unexpected reason {reason}").into());
    }
    Ok(())
}
