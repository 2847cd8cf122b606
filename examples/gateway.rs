//! The gateway: one distributed node serving HTTP, TCP and UDP, each through a pool of 4
//! handler processes.
//!
//! - HTTP `GET /echo/<text>` -> 200 `<text>`; `POST /call/<name>` with an Erlang term as text
//!   (`{add, 1, 2}`) calls the process registered as `<name>` on this node, or `<name>@<node>`
//!   on another node of the cluster, and answers 200 with the reply as Erlang text (404 for an
//!   unknown name, 504 after 5 s without a reply, 400 for a body that is not a term);
//!   `GET /health` -> 200 `ok`.
//! - TCP: a line protocol; each line comes back upper-cased.
//! - UDP: each datagram comes back reversed.
//!
//! Run: `cargo run --release --example gateway -- --name gw@localhost --cookie ergo --http 8080
//! --tcp 7000 --udp 7001` (`--host H` to listen elsewhere than 127.0.0.1). It prints `ready` once
//! all three listen.

use std::net::IpAddr;
use std::time::Duration;

use ergo::servers::web::axum::Router;
use ergo::servers::web::{
    call_text, parse_dest, process_route, RouteOptions, WebRequest, WebResponse, WebServerOptions,
};
use ergo::servers::{
    Connection, Handlers, TcpEvent, TcpServerOptions, UdpEvent, UdpReplier, UdpServerOptions,
};
use ergo::{Context, Node, NodeOptions, Pid, SpawnOptions, Term};

const USAGE: &str = "usage: gateway --name N --cookie C --http P --tcp Q --udp U [--host H]";

/// How many handler processes serve each protocol.
const HANDLERS: usize = 4;
/// How long `/call/<name>` waits for the reply.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

struct Args {
    name: String,
    cookie: String,
    host: IpAddr,
    http: u16,
    tcp: u16,
    udp: u16,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        name: "gateway@localhost".into(),
        cookie: "ergo".into(),
        host: IpAddr::from([127, 0, 0, 1]),
        http: 8080,
        tcp: 7000,
        udp: 7001,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value\n{USAGE}"))?;
        let port = || {
            value
                .parse::<u16>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--name" => args.name = value.clone(),
            "--cookie" => args.cookie = value.clone(),
            "--host" => args.host = value.parse().map_err(|e| format!("--host {value}: {e}"))?,
            "--http" => args.http = port()?,
            "--tcp" => args.tcp = port()?,
            "--udp" => args.udp = port()?,
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// An HTTP handler: answers `/echo/<text>` and `/health` at once; a `/call/<name>` is made
/// from a task of its own and answered from there (a deferred reply), so a slow callee does
/// not hold the handler.
async fn http_handler(mut ctx: Context) -> Term {
    loop {
        let request = match ctx.recv_as::<WebRequest>().await {
            Ok(Ok(request)) => request,
            Ok(Err(_)) => continue,
            Err(reason) => return reason,
        };
        let path = request.path.clone();
        if let Some(text) = path.strip_prefix("/echo/") {
            if request.method == "GET" {
                request.reply.send(WebResponse::ok(text.to_string()));
                continue;
            }
        }
        if path == "/health" && request.method == "GET" {
            request.reply.send(WebResponse::ok("ok\n"));
            continue;
        }
        if let Some(name) = path.strip_prefix("/call/") {
            if request.method == "POST" {
                let Some(to) = parse_dest(name) else {
                    request
                        .reply
                        .send(WebResponse::new(400, "bad process name\n"));
                    continue;
                };
                let node = ctx.node().clone();
                tokio::spawn(async move {
                    let answer = call_text(&node, to, &request.body, CALL_TIMEOUT).await;
                    request.reply.send(answer);
                });
                continue;
            }
        }
        request.reply.send(WebResponse::new(404, "not found\n"));
    }
}

/// A TCP handler: every line comes back upper-cased.
async fn tcp_handler(mut ctx: Context) -> Term {
    loop {
        match ctx.recv_as::<TcpEvent>().await {
            Ok(Ok(TcpEvent::Data { conn, data })) => {
                let _ = Connection::new(ctx.node(), conn).write(data.to_ascii_uppercase());
            }
            Ok(_) => {}
            Err(reason) => return reason,
        }
    }
}

/// A UDP handler: every datagram comes back reversed.
async fn udp_handler(mut ctx: Context) -> Term {
    loop {
        match ctx.recv_as::<UdpEvent>().await {
            Ok(Ok(UdpEvent { server, peer, data })) => {
                let mut reversed = data.to_vec();
                reversed.reverse();
                let _ = UdpReplier::new(ctx.node(), server).send_to(peer, reversed);
            }
            Ok(_) => {}
            Err(reason) => return reason,
        }
    }
}

/// `HANDLERS` processes running `body`, each with a bounded mailbox (back-pressure for TCP,
/// 503 for HTTP, counted drops for UDP when they are all full).
fn pool<F, Fut>(node: &Node, body: F) -> Result<Vec<Pid>, ergo::SpawnError>
where
    F: Fn(Context) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Term> + Send + 'static,
{
    (0..HANDLERS)
        .map(|_| {
            let options = SpawnOptions {
                mailbox_bound: Some(1024),
                ..SpawnOptions::default()
            };
            node.spawn(options, body.clone())
        })
        .collect()
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

    let routes = RouteOptions {
        timeout: CALL_TIMEOUT + Duration::from_secs(1),
        ..RouteOptions::default()
    };
    let router =
        Router::new().fallback_service(process_route(&node, pool(&node, http_handler)?, routes));
    let mut web = WebServerOptions::new(args.http);
    web.host = args.host;
    let web = node.start_web_server(router, web).await?;

    let mut tcp = TcpServerOptions::new(args.tcp, Handlers::RoundRobin(pool(&node, tcp_handler)?));
    tcp.host = args.host;
    let tcp = node.start_tcp_server(tcp).await?;

    let mut udp = UdpServerOptions::new(args.udp, pool(&node, udp_handler)?);
    udp.host = args.host;
    let udp = node.start_udp_server(udp).await?;

    println!("ready");
    println!(
        "node {} (cookie {}); HTTP {}, TCP {}, UDP {}",
        node.name(),
        args.cookie,
        web.local_addr(),
        tcp.local_addr(),
        udp.local_addr()
    );
    tokio::signal::ctrl_c().await?;
    web.shutdown().await;
    node.stop();
    Ok(())
}
