//! The stage node: GenStage stages any Elixir node can subscribe to, or feed:
//!
//! - `numbers`: a producer (demand dispatcher) emitting the integers 0, 1, 2, ... on demand;
//! - `parts`: a producer with a partition dispatcher of 4 partitions (the default hash,
//!   `erlang:phash2(Event, 4)`, as Elixir's) emitting 0, 1, 2, ...;
//! - `news`: a broadcast producer emitting 0, 1, 2, ...;
//! - `sink`: a gen_server; `gen_server:call(sink, {subscribe, To, Opts})` (To a pid or
//!   `{Name, Node}`, Opts GenStage's subscription options) starts a Rust consumer subscribed to
//!   To with Opts and replies `{ok, SubRef}`; `gen_server:call(sink, stats)` replies
//!   `{Count, Sum, Last}` over every event its consumers received (`Last` is `nil` before any).
//!
//! Run: `cargo run --release --example stage -- --name stage@localhost --cookie ergo` (both
//! flags optional; those are the defaults). It prints `ready` once it accepts connections. From
//! `iex --sname client --cookie ergo -pa <GenStage ebin>` (see the README):
//! `GenStage.sync_subscribe(consumer, to: {:numbers, :"stage@localhost"}, max_demand: 100)`.

use std::sync::{Arc, Mutex};

use ergo::stage::{BroadcastDispatcher, PartitionDispatcher, StageFrom, StageInit, StageOptions};
use ergo::{gen_server, gen_stage, Context, Node, NodeOptions, Reply, SpawnOptions, Term};

/// Emits 0, 1, 2, ... on demand, through the dispatcher its options name.
struct Counter {
    next: u64,
}

#[gen_stage]
impl Counter {
    async fn init(options: StageOptions) -> StageInit<Self> {
        StageInit::producer(Counter { next: 0 }).with(options)
    }

    async fn handle_demand(&mut self, demand: u64) -> Vec<u64> {
        let events = (self.next..self.next + demand).collect();
        self.next += demand;
        events
    }
}

/// What the sink's consumers received, all together.
#[derive(Default)]
struct Stats {
    count: u64,
    sum: i64,
    last: Option<Term>,
}

/// One consumer the sink started: adds every event to the stats.
struct SinkConsumer {
    stats: Arc<Mutex<Stats>>,
}

#[gen_stage]
impl SinkConsumer {
    async fn init(stats: Arc<Mutex<Stats>>) -> StageInit<Self> {
        StageInit::consumer(SinkConsumer { stats })
    }

    async fn handle_events(&mut self, events: Vec<Term>, _from: &StageFrom) {
        let Ok(mut stats) = self.stats.lock() else {
            return;
        };
        for event in events {
            stats.count += 1;
            if let Term::Int(n) = event {
                stats.sum = stats.sum.wrapping_add(n);
            }
            stats.last = Some(event);
        }
    }
}

/// `{subscribe, To, Opts}` | `stats`.
#[derive(ergo::Term, Debug, Clone)]
enum SinkCall {
    /// Start a consumer subscribed to To with Opts.
    Subscribe(Term, Term),
    /// `{Count, Sum, Last}`.
    Stats,
}

/// Starts consumers on request; answers their stats.
struct Sink {
    stats: Arc<Mutex<Stats>>,
}

#[gen_server]
impl Sink {
    async fn init(_args: ()) -> Result<Self, Term> {
        Ok(Sink {
            stats: Arc::default(),
        })
    }

    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: SinkCall,
        _from: ergo::ReplyTo,
    ) -> Reply<Term> {
        match request {
            SinkCall::Subscribe(to, options) => {
                let node = ctx.node().clone();
                let consumer = match node
                    .start_stage::<SinkConsumer>(self.stats.clone(), SpawnOptions::default())
                    .await
                {
                    Ok(pid) => pid,
                    Err(e) => {
                        return Reply::ok(Term::tuple(vec![
                            Term::atom("error"),
                            Term::binary(e.to_string().into_bytes()),
                        ]))
                    }
                };
                // GenStage's own subscribe request, so the consumer answers `{ok, Ref}` or
                // `{error, Reason}` exactly as an Elixir consumer would.
                let request = Term::tuple(vec![
                    Term::atom("$subscribe"),
                    Term::atom("nil"),
                    to,
                    options,
                ]);
                match ctx.call::<Term>(consumer, request).await {
                    Ok(reply) => Reply::ok(reply),
                    Err(e) => Reply::ok(Term::tuple(vec![
                        Term::atom("error"),
                        Term::binary(e.to_string().into_bytes()),
                    ])),
                }
            }
            SinkCall::Stats => {
                let Ok(stats) = self.stats.lock() else {
                    return Reply::ok(Term::atom("error"));
                };
                Reply::ok(Term::tuple(vec![
                    Term::from(stats.count),
                    Term::from(stats.sum),
                    stats.last.clone().unwrap_or_else(|| Term::atom("nil")),
                ]))
            }
        }
    }
}

fn parse_args() -> Result<(String, String), String> {
    let (mut name, mut cookie) = ("stage@localhost".to_string(), "ergo".to_string());
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--name" => name = value("--name")?,
            "--cookie" => cookie = value("--cookie")?,
            "-h" | "--help" => {
                return Err("usage: stage [--name NAME@HOST] [--cookie COOKIE]".into())
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok((name, cookie))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let (name, cookie) = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let node = Node::start_distributed(
        &name,
        NodeOptions {
            cookie: cookie.clone(),
            ..NodeOptions::default()
        },
        ergo::DistOptions::default(),
    )
    .await?;
    node.start_stage::<Counter>(StageOptions::default(), SpawnOptions::named("numbers"))
        .await?;
    node.start_stage::<Counter>(
        StageOptions::default().dispatcher(PartitionDispatcher::new(4)),
        SpawnOptions::named("parts"),
    )
    .await?;
    node.start_stage::<Counter>(
        StageOptions::default().dispatcher(BroadcastDispatcher::new()),
        SpawnOptions::named("news"),
    )
    .await?;
    node.start_server::<Sink>((), SpawnOptions::named("sink"))
        .await?;
    println!("ready");
    println!(
        "node {}; from Elixir (GenStage on the code path):\n  iex --sname client --cookie {cookie} -pa GENSTAGE_EBIN",
        node.name()
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
