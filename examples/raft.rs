//! The raft node: one member of a gen_raft cluster, a `#[gen_raft]` process registered as `kv`
//! that Erlang drives:
//!
//! - `gen_server:call({kv, Node}, {put, Key, Value})` -> `{ok, Serial}` once a majority
//!   committed it, or `{error, no_quorum | timeout}`;
//! - `{get, Key}` -> `{ok, Value}` or `not_found` (linearizable: the leader confirms it still
//!   leads before answering), or `{error, no_quorum | timeout}`;
//! - `leader` -> `{LeaderNode, Term}` or `none`;
//! - `members` -> the voting members' node names.
//!
//! Run the same command on each node (at least 3 for a quorum):
//! `cargo run --release --example raft -- --name a@localhost --cookie C
//!  --peers a@localhost,b@localhost,c@localhost [--data DIR]`.
//! It prints `ready` once its member runs. With `--data DIR` its Raft log is a file log in DIR
//! (fsync before an entry counts as stored, group commit), so a node restarted with the same
//! name and DIR after `kill -9` comes back with its log; without it the log is in memory.

use ergo::{gen_raft, CallOutcome, Node, NodeOptions, Payload, RaftContext, RaftStart, Term};

/// What Erlang asks `kv`.
#[derive(ergo::Term)]
enum Request {
    /// `{put, Key, Value}`
    Put(Term, Term),
    /// `{get, Key}`
    Get(Term),
    /// `leader`
    Leader,
    /// `members`
    Members,
}

/// The `kv` process: it owns this node's member (its `init` says how the member starts). A put
/// or a get waits for the cluster on a task of its own and answers from there, so a slow commit
/// never holds up the other callers.
struct Kv;

#[gen_raft]
impl Kv {
    async fn init(start: RaftStart) -> Result<(Self, RaftStart), Term> {
        Ok((Kv, start))
    }

    async fn handle_call(
        &mut self,
        raft: &mut RaftContext<'_>,
        request: Request,
        from: ergo::ReplyTo,
    ) -> CallOutcome {
        let member = raft.member().clone();
        match request {
            Request::Put(key, value) => {
                tokio::spawn(async move {
                    from.reply(match member.append(&key, &value).await {
                        Ok(serial) => ok(Term::from(serial)),
                        Err(e) => error(e.reason()),
                    });
                });
                CallOutcome::NoReply
            }
            Request::Get(key) => {
                tokio::spawn(async move {
                    from.reply(match member.get(&key).await {
                        Ok(Some((_serial, value))) => ok(value),
                        Ok(None) => Term::atom("not_found"),
                        Err(e) => error(e.reason()),
                    });
                });
                CallOutcome::NoReply
            }
            Request::Leader => CallOutcome::Reply(Payload::new(match raft.leader() {
                Some((node, term)) => Term::tuple(vec![Term::Atom(node), Term::from(term)]),
                None => Term::atom("none"),
            })),
            Request::Members => CallOutcome::Reply(Payload::new(Term::List(
                raft.members().into_iter().map(Term::Atom).collect(),
            ))),
        }
    }
}

fn ok(value: Term) -> Term {
    Term::tuple(vec![Term::atom("ok"), value])
}

fn error(reason: &str) -> Term {
    Term::tuple(vec![Term::atom("error"), Term::atom(reason)])
}

struct Args {
    name: String,
    cookie: String,
    peers: Vec<String>,
    data: Option<String>,
}

const USAGE: &str =
    "usage: raft --name NAME@HOST --cookie COOKIE --peers A@HOST,B@HOST,... [--data DIR]";

fn parse_args() -> Result<Args, String> {
    let (mut name, mut cookie, mut peers, mut data) = (None, None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--name" => name = Some(value("--name")?),
            "--cookie" => cookie = Some(value("--cookie")?),
            "--peers" => peers = Some(value("--peers")?),
            "--data" => data = Some(value("--data")?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let missing = |what: &str| format!("{what} is required\n{USAGE}");
    Ok(Args {
        name: name.ok_or_else(|| missing("--name"))?,
        cookie: cookie.ok_or_else(|| missing("--cookie"))?,
        peers: peers
            .ok_or_else(|| missing("--peers"))?
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        data,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let node = Node::start_distributed(
        &args.name,
        NodeOptions {
            cookie: args.cookie.clone(),
            ..NodeOptions::default()
        },
        ergo::DistOptions::default(),
    )
    .await?;
    let mut options = ergo::RaftOptions::new("ergo_raft_example", "ergo_raft", args.peers.clone());
    let start = match &args.data {
        Some(dir) => {
            options.snapshot_every = None;
            let log = ergo::raft::FileLog::open(dir)
                .map_err(|e| format!("--data {dir}: cannot open the raft log: {e}"))?;
            RaftStart::new(options).log(log)
        }
        None => RaftStart::new(options),
    };
    node.start_raft::<Kv>(start, ergo::SpawnOptions::named("kv"))
        .await?;
    println!("ready");
    let reason = tokio::select! {
        signal = tokio::signal::ctrl_c() => {
            signal?;
            node.stop();
            node.wait().await
        }
        reason = node.wait() => reason,
    };
    if !reason.is_atom("normal") {
        return Err(format!("node stopped: {reason}").into());
    }
    Ok(())
}
