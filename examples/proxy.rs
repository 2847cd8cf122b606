//! Proxy routes: three nodes in this process on loopback, none registered with EPMD. `a` and
//! `c` cannot reach each other; `b` allows transit and reaches both. `a` routes to `c` through
//! `b`, encrypted end to end, calls a gen_server on `c`, and links to a process there; then the
//! hop `b`-`c` fails and `a` sees `noconnection` and `{nodedown, c}`.
//!
//! Run with `cargo run --example proxy` (RUST_LOG=info shows the tunnel going down).

use std::time::Duration;

use ergo::{
    gen_server, Atom, Context, Dest, DistOptions, Node, NodeOptions, ProxyOptions, ProxyRoute,
    SpawnOptions, Term,
};

/// Answers every call with `{hello_from, Node, Request}`.
struct Greeter;

#[gen_server]
impl Greeter {
    async fn init(_ctx: &mut Context, _args: ()) -> Result<Self, Term> {
        Ok(Greeter)
    }

    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Term,
        _from: ergo::ReplyTo,
    ) -> ergo::Reply<Term> {
        let node = Term::Atom(ctx.node().name().clone());
        ergo::Reply::Reply(Term::tuple(vec![Term::atom("hello_from"), node, request]))
    }
}

async fn start(name: &str, proxy: ProxyOptions) -> Result<Node, Box<dyn std::error::Error>> {
    let options = NodeOptions {
        cookie: "proxy_example".into(),
        ..NodeOptions::default()
    };
    let dist = DistOptions {
        listen_address: std::net::Ipv4Addr::LOCALHOST.into(),
        register_with_epmd: false,
        proxy,
        ..DistOptions::default()
    };
    let name = format!("{name}_{}@localhost", std::process::id());
    Ok(Node::start_distributed(&name, options, dist).await?)
}

/// Lets `from` reach `to` directly.
fn reach(from: &Node, to: &Node) -> Result<(), Box<dyn std::error::Error>> {
    let port = to.dist_port().ok_or("not distributed")?;
    from.add_static_route(to.name().as_str(), ([127, 0, 0, 1], port).into())?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let a = start("a", ProxyOptions::default()).await?;
    let b = start(
        "b",
        ProxyOptions {
            transit: true,
            ..ProxyOptions::default()
        },
    )
    .await?;
    let c = start("c", ProxyOptions::default()).await?;
    for (from, to) in [(&a, &b), (&b, &a), (&b, &c), (&c, &b)] {
        reach(from, to)?;
    }
    a.add_proxy_route(
        c.name().as_str(),
        ProxyRoute::via(b.name().as_str()).encrypted(),
    )?;
    c.start_server::<Greeter>((), SpawnOptions::named("greeter"))
        .await?;

    let greeter = Dest::Remote {
        name: Atom::new("greeter"),
        node: c.name().clone(),
    };
    let reply: Term = a.call(greeter, Term::atom("hi")).await?;
    println!("a called greeter on c through b: {reply}");
    let connected: Vec<String> = a.connected_nodes().iter().map(|n| n.to_string()).collect();
    println!("a is connected to {}", connected.join(", "));
    println!(
        "tunnels: a {}, b {}, c {}",
        a.proxy_tunnels(),
        b.proxy_tunnels(),
        c.proxy_tunnels()
    );

    // A process on `a` linked to one on `c`, watching `c` too.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let victim = c.spawn(SpawnOptions::default(), |mut ctx: Context| async move {
        loop {
            if let Err(reason) = ctx.recv().await {
                return reason;
            }
        }
    })?;
    let c_name = c.name().clone();
    let remote = victim.clone();
    let watcher = a.spawn(
        SpawnOptions::default(),
        move |mut ctx: Context| async move {
            ctx.trap_exit(true);
            ctx.link(&remote);

            let _ = ctx.node().monitor_node(ctx.pid(), &c_name, true);
            let _ = tx.send(Term::atom("linked"));
            loop {
                match ctx.recv().await {
                    Ok(envelope) => {
                        let _ = tx.send(envelope.into_term());
                    }
                    Err(reason) => return reason,
                }
            }
        },
    )?;
    let watcher = Term::Pid(watcher);
    if let Some(first) = rx.recv().await {
        println!("watcher {watcher}: {first}");
    }
    // The link reaches `c` through the tunnel before the hop fails.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while c.process_info(&victim).map_or(true, |i| i.links.is_empty()) {
        if tokio::time::Instant::now() > deadline {
            return Err("the link never reached c".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!("b drops its connection to c");
    b.disconnect(c.name().as_str());
    for _ in 0..2 {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(event)) => println!("watcher {watcher}: {event}"),
            _ => return Err("no event within 5 s".into()),
        }
    }
    for node in [&a, &b, &c] {
        node.stop();
    }
    Ok(())
}
