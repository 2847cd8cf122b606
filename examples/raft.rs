//! The raft node: one member of a gen_raft cluster, with a gen_server registered as `kv` that
//! Erlang drives:
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

use ergo::{
    CallOutcome, Context, Node, NodeOptions, Payload, RaftMember, RaftOptions, ReplyTo, Term,
};

/// The `kv` server: each request runs on a task of its own and answers when the cluster does,
/// so a slow commit never holds up the other callers.
struct Kv {
    member: RaftMember,
}

impl ergo::GenServer for Kv {
    type Args = RaftMember;

    async fn init(_ctx: &mut Context, member: RaftMember) -> ergo::Init<Self> {
        ergo::Init::Ok(Kv { member })
    }

    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> CallOutcome {
        let request = request.into_term();
        let member = self.member.clone();
        match request.as_tuple() {
            Some([tag, key, value]) if tag.is_atom("put") => {
                let (key, value) = (key.clone(), value.clone());
                tokio::spawn(async move {
                    from.reply(match member.append(&key, &value).await {
                        Ok(serial) => ok(Term::from(serial)),
                        Err(e) => error(e.reason()),
                    });
                });
                CallOutcome::NoReply
            }
            Some([tag, key]) if tag.is_atom("get") => {
                let key = key.clone();
                tokio::spawn(async move {
                    from.reply(match member.get(&key).await {
                        Ok(Some((_serial, value))) => ok(value),
                        Ok(None) => Term::atom("not_found"),
                        Err(e) => error(e.reason()),
                    });
                });
                CallOutcome::NoReply
            }
            _ if request.is_atom("leader") => {
                CallOutcome::Reply(Payload::new(match member.leader() {
                    Some((node, term)) => Term::tuple(vec![Term::Atom(node), Term::from(term)]),
                    None => Term::atom("none"),
                }))
            }
            _ if request.is_atom("members") => CallOutcome::Reply(Payload::new(Term::List(
                member.members().into_iter().map(Term::Atom).collect(),
            ))),
            _ => CallOutcome::Refuse(request),
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
    let mut options = RaftOptions::new("ergo_raft_example", "ergo_raft", args.peers.clone());
    let member = match &args.data {
        Some(dir) => {
            options.snapshot_every = None;
            let log = ergo::raft::FileLog::open(dir)
                .map_err(|e| format!("--data {dir}: cannot open the raft log: {e}"))?;
            RaftMember::start(&node, options, log, ()).await?
        }
        None => RaftMember::start_in_memory(&node, options).await?,
    };
    node.start_server::<Kv>(member, ergo::SpawnOptions::named("kv"))
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
