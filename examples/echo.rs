//! The echo node: a published distributed node (embedded EPMD when none runs) with a gen_server
//! registered as `echo`, supervised (one_for_one) inside the `echo` application:
//!
//! - `gen_server:call({echo, Node}, R)` replies `{echo, R, EchoPid}`;
//! - `gen_server:cast({echo, Node}, {reply_to, Pid, M})` sends `{echo, M}` to Pid;
//! - `{echo, Node} ! {Pid, M}` sends `{echo, M}` to Pid;
//! - `gen_server:call({store, Node}, {incr, 5} | get | reset)` answers the running total (the
//!   README's typed server): a request of another shape is refused at once with
//!   `{error, {bad_request, Req}}`, and a cast of another shape is logged and dropped.
//!
//! Killing the server (`exit(rpc:call(...) or a pid from a call, kill)`) brings a new `echo` at
//! once, from its supervisor.
//!
//! For `rpc` / `erpc` it provides `echo:reverse/1` (a list reversed, or a binary's bytes) and
//! `echo:crash/0` (raises `error:crash`), and `spawn_request(Node, echo, start, [])` starts a
//! process that answers `{Pid, M}` with `{echo, M}` until it receives `stop`.
//!
//! Each `echo` server joins group `echo` in the pg scope `ergo` (`pg:get_members(ergo, echo)` on
//! an Erlang node with that scope started lists it).
//!
//! Run: `cargo run --release --example echo -- --name echo@localhost --cookie ergo`
//! (both flags optional; those are the defaults). `--tls` runs distribution over TLS 1.3 with a
//! self-signed certificate (peers not verified: for `erl -proto_dist inet_tls` with
//! `verify_none`); `--cert C.pem --key K.pem [--cacert CA.pem]` uses those files instead. It prints `ready` once it accepts
//! connections, then how to reach it from `erl`.

use ergo::{application, gen_server, supervisor, Context, Node, NodeOptions, Pid, Status, Term};

/// Casts the echo server understands.
#[derive(ergo::Term, Debug, Clone)]
enum EchoCast {
    /// `{reply_to, Pid, M}`: send `{echo, M}` to Pid.
    ReplyTo(Pid, Term),
}

/// The echo server; it counts the calls it answered.
struct Echo {
    calls: u64,
}

fn echo_of(message: Term) -> Term {
    Term::tuple(vec![Term::atom("echo"), message])
}

/// The pg scope `ergo`, started before the application.
static PG: std::sync::OnceLock<ergo::runtime::pg::PgScope> = std::sync::OnceLock::new();

#[gen_server]
impl Echo {
    async fn init(ctx: &mut Context, _args: ()) -> Result<Self, Term> {
        if let Some(pg) = PG.get() {
            pg.join(Term::atom("echo"), &[ctx.pid().clone()])
                .await
                .map_err(|e| Term::binary(e.to_string().into_bytes()))?;
        }
        Ok(Echo { calls: 0 })
    }

    /// What `sys:get_state({echo, Node})` shows from Erlang: `{echo_state, Calls}`.
    fn format_state(&self) -> Term {
        Term::tuple(vec![Term::atom("echo_state"), Term::from(self.calls)])
    }

    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Term,
        _from: ergo::ReplyTo,
    ) -> ergo::Reply<Term> {
        self.calls += 1;
        ergo::Reply::ok(Term::tuple(vec![
            Term::atom("echo"),
            request,
            Term::Pid(ctx.pid().clone()),
        ]))
    }

    async fn handle_cast(&mut self, ctx: &mut Context, request: EchoCast) -> Status {
        let EchoCast::ReplyTo(to, message) = request;
        let _ = ctx.send(to, echo_of(message));
        Status::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: (Pid, Term)) -> Status {
        let (to, message) = message;
        let _ = ctx.send(to, echo_of(message));
        Status::Continue
    }
}

/// `echo:reverse/1`: a list reversed, or the bytes of a binary; `badarg` otherwise.
async fn reverse(arg: Term) -> Result<Term, ergo::Exception> {
    match arg {
        Term::List(mut items) => {
            items.reverse();
            Ok(Term::List(items))
        }
        Term::Binary(bytes) => {
            let mut bytes = bytes.to_vec();
            bytes.reverse();
            Ok(Term::binary(bytes))
        }
        _ => Err(ergo::Exception::error(Term::atom("badarg"))),
    }
}

/// The process `spawn_request(Node, echo, start, [])` starts: `{Pid, M}` -> `{echo, M}` to
/// Pid, until `stop`.
async fn spawned_echo(mut ctx: Context) -> Term {
    loop {
        match ctx.recv_as::<(Pid, Term)>().await {
            Err(reason) => return reason,
            Ok(Ok((to, message))) => {
                let _ = ctx.send(to, echo_of(message));
            }
            Ok(Err(other)) if other.term.is_atom("stop") => return Term::atom("normal"),
            Ok(Err(_)) => {}
        }
    }
}

/// `{incr, 5} | get | reset`: what the `store` server takes.
#[derive(ergo::Term, Debug, Clone, PartialEq)]
enum Counter {
    Incr(i64),
    Get,
    Reset,
}

/// The README's typed server: a running total.
struct Store {
    total: i64,
}

#[gen_server]
impl Store {
    async fn init(start: i64) -> Result<Self, Term> {
        Ok(Store { total: start })
    }

    async fn handle_call(&mut self, req: Counter, _from: ergo::ReplyTo) -> ergo::Reply<i64> {
        self.apply(req);
        ergo::Reply::ok(self.total)
    }

    async fn handle_cast(&mut self, req: Counter) -> Status {
        self.apply(req);
        Status::Continue
    }
}

impl Store {
    fn apply(&mut self, req: Counter) {
        match req {
            Counter::Incr(n) => self.total += n,
            Counter::Reset => self.total = 0,
            Counter::Get => {}
        }
    }
}

/// Restarts `echo` and `store` whenever they die (up to 100 times a second).
struct EchoSup;

#[supervisor(strategy = one_for_one, intensity = 100, period = 1)]
impl EchoSup {
    children! {
        worker(id = echo, start = Echo, args = (), name = "echo"),
        worker(id = store, start = Store, args = 0, name = "store"),
    }
}

/// The application holding the tree.
#[application(name = "echo", description = "Echo server", version = "0.1.0", root = EchoSup)]
struct EchoApp;

struct Args {
    name: String,
    cookie: String,
    tls: bool,
    cert: Option<String>,
    key: Option<String>,
    cacert: Option<String>,
}

const USAGE: &str = "usage: echo [--name NAME@HOST] [--cookie COOKIE] \
                     [--tls | --cert CERT.pem --key KEY.pem [--cacert CA.pem]]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        name: "echo@localhost".into(),
        cookie: "ergo".into(),
        tls: false,
        cert: None,
        key: None,
        cacert: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--name" => args.name = value("--name")?,
            "--cookie" => args.cookie = value("--cookie")?,
            "--tls" => args.tls = true,
            "--cert" => args.cert = Some(value("--cert")?),
            "--key" => args.key = Some(value("--key")?),
            "--cacert" => args.cacert = Some(value("--cacert")?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    if args.cert.is_some() != args.key.is_some() {
        return Err(format!("--cert and --key go together\n{USAGE}"));
    }
    Ok(args)
}

/// `--tls`: a self-signed certificate, peers not verified; `--cert/--key`: those files, peers
/// verified against `--cacert` when given.
fn tls_options(args: &Args) -> Option<ergo::runtime::net::TlsOptions> {
    use ergo::runtime::net::{TlsIdentity, TlsOptions, TlsVerify};
    let verify = match &args.cacert {
        Some(ca) => TlsVerify::Ca(ca.into()),
        None => TlsVerify::InsecureSkipVerify,
    };
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(TlsOptions {
            identity: TlsIdentity::Files {
                cert: cert.into(),
                key: key.into(),
            },
            verify,
        }),
        _ if args.tls => Some(TlsOptions::self_signed_insecure()),
        _ => None,
    }
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
        ergo::DistOptions {
            tls: tls_options(&args),
            ..ergo::DistOptions::default()
        },
    )
    .await?;
    let _ = PG.set(ergo::runtime::pg::PgScope::start(&node, "ergo").await?);
    node.applications()
        .start_app::<EchoApp>(ergo::StartType::Permanent)
        .await?;
    node.provide_rpc("echo", "reverse", |(arg,): (Term,)| reverse(arg))?;
    node.provide_rpc("echo", "crash", |()| async {
        Err::<Term, _>(ergo::Exception::error(Term::atom("crash")))
    })?;
    node.make_spawnable("echo", "start", |ctx, _args| spawned_echo(ctx))?;
    println!("ready");
    let host = args
        .name
        .split_once('@')
        .map(|(_, h)| h)
        .unwrap_or("localhost");
    let flag = if host.contains('.') {
        "-name"
    } else {
        "-sname"
    };
    println!(
        "node {} (port {}); from Erlang:\n  erl {flag} client@{host} -setcookie {}\n  \
         1> gen_server:call({{echo, '{}'}}, hello).",
        node.name(),
        node.dist_port().unwrap_or(0),
        args.cookie,
        node.name(),
    );
    // Runs until ctrl-c, or until the node stops by itself (its permanent application ended):
    // then the program ends too, with a non-zero status when the node stopped abnormally.
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
