//! Proxy routes: Rust nodes A and C that cannot reach each other (no EPMD, no route between
//! them) talk through transit node B (and through B and D), plain and encrypted end to end;
//! messages, calls, links, monitors and node monitoring work through the tunnel; a failing hop
//! gives `noconnection` and `nodedown` at once; transit must be allowed, the hop limit holds,
//! cookies are checked end to end, an Erlang node cannot be a transit node, and a malformed
//! proxy frame closes only the connection that sent it. Every wait has a deadline.

use crate::common;
use crate::common::wait::{next_within, wait_until_within};

use std::time::{Duration, Instant};

use ergo::runtime::dist::DistFlags;
use ergo::{
    Atom, CallError, Dest, DistOptions, NetError, Node, NodeOptions, ProxyOptions, ProxyRoute,
    SpawnOptions, Term,
};
use tokio::io::AsyncWriteExt;

const DEADLINE: Duration = Duration::from_secs(10);

/// A hidden node: without `global`, nothing connects on its own (a published node's `global`
/// connects to every node its peers know, as OTP's does, which would reopen closed tunnels
/// behind a test's back).
async fn node_with(prefix: &str, cookie: &str, proxy: ProxyOptions) -> Node {
    start(prefix, cookie, proxy, true).await
}

async fn start(prefix: &str, cookie: &str, proxy: ProxyOptions, hidden: bool) -> Node {
    start_with(
        prefix,
        cookie,
        DistOptions {
            hidden,
            proxy,
            ..DistOptions::default()
        },
    )
    .await
}

/// A node on loopback without EPMD, with these distribution options otherwise.
async fn start_with(prefix: &str, cookie: &str, options: DistOptions) -> Node {
    common::start_loopback(prefix, cookie, options).await
}

fn transit() -> ProxyOptions {
    ProxyOptions {
        transit: true,
        ..ProxyOptions::default()
    }
}

/// A - B - C, where only neighbours can reach each other, and A routes to C via B; hidden
/// nodes unless `published`.
async fn line(prefix: &str, encrypted: bool, published: bool) -> (Node, Node, Node) {
    let hidden = !published;
    let a = start(prefix, "proxy", ProxyOptions::default(), hidden).await;
    let b = start(prefix, "proxy", transit(), hidden).await;
    let c = start(prefix, "proxy", ProxyOptions::default(), hidden).await;
    for (x, y) in [(&a, &b), (&b, &a), (&b, &c), (&c, &b)] {
        route(x, y);
    }
    let mut via = ProxyRoute::via(b.name().as_str());
    if encrypted {
        via = via.encrypted();
    }
    assert_eq!(
        a.add_proxy_route(c.name().as_str(), via).expect("route"),
        None
    );
    (a, b, c)
}

use common::{route, Echo};

fn remote(name: &str, node: &Node) -> Dest {
    Dest::Remote {
        name: Atom::new(name),
        node: node.name().clone(),
    }
}

/// What a process that linked to and monitored (with `mref`) `victim` receives when it exits
/// with `reason`, sorted as [`sorted_terms`] sorts.
fn down_and_exit(mref: &ergo::Reference, victim: &ergo::Pid, reason: &str) -> Vec<Term> {
    sorted_terms(vec![
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(mref.clone()),
            Term::atom("process"),
            Term::Pid(victim.clone()),
            Term::atom(reason),
        ]),
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(victim.clone()),
            Term::atom(reason),
        ]),
    ])
}

fn sorted_terms(mut terms: Vec<Term>) -> Vec<Term> {
    terms.sort_by_key(|t| t.to_string());
    terms
}

fn sorted(nodes: &[&Node]) -> Vec<Atom> {
    let mut all: Vec<Atom> = nodes.iter().map(|n| n.name().clone()).collect();
    all.sort();
    all
}

async fn everything_goes_through(encrypted: bool) {
    // Published nodes: `global` runs over the tunnel too.
    let (a, b, c) = line(
        if encrypted { "px_enc" } else { "px_plain" },
        encrypted,
        true,
    )
    .await;
    c.start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let (sink_c, mut at_c) = common::forwarder(&c, false);
    c.register("sink", &sink_c).expect("register");
    let (sink_a, mut at_a) = common::forwarder(&a, false);
    a.register("sink", &sink_a).expect("register");

    // The first send opens the tunnel.
    a.send(remote("sink", &c), Term::atom("hello"))
        .expect("queued");
    assert_eq!(next_within(&mut at_c, DEADLINE).await, Term::atom("hello"));
    assert_eq!(a.connected_nodes(), sorted(&[&b, &c]));
    assert_eq!(c.connected_nodes(), sorted(&[&a, &b]));
    assert_eq!(
        b.connected_nodes(),
        sorted(&[&a, &c]),
        "B relays, it is not connected to the tunnel"
    );
    assert_eq!(
        (a.proxy_tunnels(), b.proxy_tunnels(), c.proxy_tunnels()),
        (1, 1, 1)
    );

    // Calls, small and large (the tunnel carries a 2 MB message in many frames).
    let reply: Term = a
        .call(remote("echo", &c), Term::Int(42))
        .await
        .expect("call");
    assert_eq!(reply, Term::Int(42));
    let big = Term::binary(
        (0..2_000_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    let reply: Term = a
        .call(remote("echo", &c), big.clone())
        .await
        .expect("big call");
    assert_eq!(reply, big);
    let missing = a.call::<Term>(remote("nobody", &c), Term::Int(1)).await;
    assert!(
        matches!(&missing, Err(CallError::Down(r)) if r.is_atom("noproc")),
        "{missing:?}"
    );

    // The other direction uses the same tunnel, and order holds both ways.
    for i in 0..1000 {
        c.send(remote("sink", &a), Term::Int(i)).expect("queued");
    }
    for i in 0..1000 {
        assert_eq!(next_within(&mut at_a, DEADLINE).await, Term::Int(i));
    }

    // Links and monitors through the tunnel.
    let (watcher, mut events) = common::forwarder(&a, true);
    let (victim, _victim_rx) = common::forwarder(&c, false);
    a.link(&watcher, &victim);
    let mref = a.monitor(&watcher, &Dest::Pid(victim.clone()));
    wait_until_within("link and monitor reach C", DEADLINE, || {
        c.process_info(&victim)
            .map(|i| !i.links.is_empty() && !i.monitored_by.is_empty())
            .unwrap_or(false)
    })
    .await;
    c.exit(c.outside_pid(), &victim, Term::atom("boom"));
    let seen = vec![
        next_within(&mut events, DEADLINE).await,
        next_within(&mut events, DEADLINE).await,
    ];
    assert_eq!(sorted_terms(seen), down_and_exit(&mref, &victim, "boom"));
    for n in [&a, &b, &c] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_calls_links_and_monitors_go_through_a_transit_node() {
    everything_goes_through(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_through_an_encrypted_tunnel() {
    everything_goes_through(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_hop_gives_noconnection_and_nodedown_at_both_ends() {
    let (a, b, c) = line("px_down", true, false).await;
    c.start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    a.connect(c.name().as_str())
        .await
        .expect("connect through B");
    let (watcher, mut events) = common::forwarder(&a, true);
    let (victim, _victim_rx) = common::forwarder(&c, false);
    a.link(&watcher, &victim);
    let mref = a.monitor(&watcher, &Dest::Pid(victim.clone()));
    a.monitor_node(&watcher, c.name(), true)
        .expect("monitor_node");
    let (c_watch, mut c_events) = common::forwarder(&c, false);
    c.monitor_nodes_with_reason(&c_watch, true)
        .expect("monitor_nodes");
    let (a_watch, mut a_events) = common::forwarder(&a, false);
    a.monitor_nodes_with_reason(&a_watch, true)
        .expect("monitor_nodes");
    wait_until_within("link and monitor reach C", DEADLINE, || {
        c.process_info(&victim)
            .map(|i| !i.links.is_empty() && !i.monitored_by.is_empty())
            .unwrap_or(false)
    })
    .await;
    // A call in flight when the hop fails.
    let caller = {
        let a = a.clone();
        let to = remote("echo", &c);
        tokio::spawn(async move { a.call::<Term>(to, Term::atom("hang")).await })
    };
    wait_until_within("the hanging call reaches C", DEADLINE, || {
        c.whereis("echo")
            .and_then(|p| c.process_info(&p))
            .map(|i| !i.monitored_by.is_empty())
            .unwrap_or(false)
    })
    .await;

    // The hop B - C goes down.
    let started = Instant::now();
    assert!(b.disconnect(c.name().as_str()));
    let seen = vec![
        next_within(&mut events, DEADLINE).await,
        next_within(&mut events, DEADLINE).await,
        next_within(&mut events, DEADLINE).await,
    ];
    let mut expected = down_and_exit(&mref, &victim, "noconnection");
    expected.push(Term::tuple(vec![
        Term::atom("nodedown"),
        Term::Atom(c.name().clone()),
    ]));
    assert_eq!(sorted_terms(seen), sorted_terms(expected));
    let call = tokio::time::timeout(DEADLINE, caller)
        .await
        .expect("the call ends")
        .expect("caller task");
    assert!(
        matches!(&call, Err(CallError::Down(r)) if r.is_atom("noconnection")),
        "{call:?}"
    );
    // Both ends see a proxy-down naming the hop; C also sees B go.
    let down = |who: &Node, reason: Term| {
        Term::tuple(vec![
            Term::atom("nodedown"),
            Term::Atom(who.name().clone()),
            Term::list(vec![Term::tuple(vec![
                Term::atom("nodedown_reason"),
                reason,
            ])]),
        ])
    };
    let proxy_down = |why: String| {
        Term::tuple(vec![
            Term::atom("proxy_down"),
            Term::binary(why.into_bytes()),
        ])
    };
    let mut downs = Vec::new();
    while downs.len() < 2 {
        let event = next_within(&mut c_events, DEADLINE).await;
        if event.as_tuple().is_some_and(|t| t[0].is_atom("nodedown")) {
            downs.push(event);
        }
    }
    assert_eq!(
        sorted_terms(downs),
        sorted_terms(vec![
            down(
                &a,
                proxy_down(format!(
                    "{}: the connection to {} was lost",
                    c.name(),
                    b.name()
                ))
            ),
            down(&b, Term::atom("connection_closed")),
        ])
    );
    let event = loop {
        let event = next_within(&mut a_events, DEADLINE).await;
        if event.as_tuple().is_some_and(|t| t[0].is_atom("nodedown")) {
            break event;
        }
    };
    assert_eq!(
        event,
        down(
            &c,
            proxy_down(format!(
                "{}: the connection to {} was lost",
                b.name(),
                c.name()
            ))
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    wait_until_within("tunnels forgotten", DEADLINE, || {
        a.proxy_tunnels() == 0 && b.proxy_tunnels() == 0 && c.proxy_tunnels() == 0
    })
    .await;
    assert!(!a.connected_nodes().contains(c.name()));

    // The route still works: the next send opens a new tunnel.
    let reply: Term = a
        .call(remote("echo", &c), Term::Int(7))
        .await
        .expect("call again");
    assert_eq!(reply, Term::Int(7));
    for n in [&a, &b, &c] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_tunnel_at_one_end_frees_it_everywhere() {
    let (a, b, c) = line("px_close", false, false).await;
    a.connect(c.name().as_str()).await.expect("connect");
    assert_eq!(b.proxy_tunnels(), 1);
    wait_until_within("C lists A", DEADLINE, || {
        c.connected_nodes().contains(a.name())
    })
    .await;
    assert!(c.disconnect(a.name().as_str()));
    wait_until_within("tunnels forgotten", DEADLINE, || {
        a.proxy_tunnels() == 0 && b.proxy_tunnels() == 0 && c.proxy_tunnels() == 0
    })
    .await;
    wait_until_within("A sees C gone", DEADLINE, || {
        !a.connected_nodes().contains(c.name())
    })
    .await;
    // B's own connections are untouched.
    assert_eq!(b.connected_nodes(), sorted(&[&a, &c]));
    for n in [&a, &b, &c] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transit_node_that_stops_ends_the_tunnel_at_both_ends() {
    let (a, b, c) = line("px_stop", true, false).await;
    a.connect(c.name().as_str()).await.expect("connect");
    let (a_watch, mut a_events) = common::forwarder(&a, false);
    a.monitor_node(&a_watch, c.name(), true)
        .expect("monitor_node");
    wait_until_within("C lists A", DEADLINE, || {
        c.connected_nodes().contains(a.name())
    })
    .await;
    let (c_watch, mut c_events) = common::forwarder(&c, false);
    c.monitor_node(&c_watch, a.name(), true)
        .expect("monitor_node");
    b.stop();
    let nodedown =
        |n: &Node| Term::tuple(vec![Term::atom("nodedown"), Term::Atom(n.name().clone())]);
    assert_eq!(next_within(&mut a_events, DEADLINE).await, nodedown(&c));
    assert_eq!(next_within(&mut c_events, DEADLINE).await, nodedown(&a));
    wait_until_within("tunnels forgotten", DEADLINE, || {
        a.proxy_tunnels() == 0 && c.proxy_tunnels() == 0
    })
    .await;
    // Each end also loses its own connection to B, which it notices on its own schedule: the
    // nodedown above came through the tunnel, not through that connection.
    wait_until_within("A and C connected to nobody", DEADLINE, || {
        a.connected_nodes().is_empty() && c.connected_nodes().is_empty()
    })
    .await;
    a.stop();
    c.stop();
}

fn connect_error(result: Result<(), NetError>) -> String {
    match result {
        Err(NetError::Connect { source, .. }) => source.to_string(),
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transit_must_be_allowed() {
    let a = node_with("px_deny", "proxy", ProxyOptions::default()).await;
    let b = node_with("px_deny", "proxy", ProxyOptions::default()).await;
    let c = node_with("px_deny", "proxy", ProxyOptions::default()).await;
    for (x, y) in [(&a, &b), (&b, &a), (&b, &c), (&c, &b)] {
        route(x, y);
    }
    a.add_proxy_route(c.name().as_str(), ProxyRoute::via(b.name().as_str()))
        .expect("route");
    let started = Instant::now();
    let reason = connect_error(a.connect(c.name().as_str()).await);
    assert!(reason.contains("does not allow proxy transit"), "{reason}");
    assert!(reason.contains(b.name().as_str()), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        b.connected_nodes(),
        vec![a.name().clone()],
        "B did not even dial C"
    );
    for n in [&a, &b, &c] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_over_two_transit_nodes_and_the_hop_limit() {
    let a = node_with("px_hops", "proxy", ProxyOptions::default()).await;
    let b = node_with("px_hops", "proxy", transit()).await;
    let d = node_with("px_hops", "proxy", transit()).await;
    let c = node_with("px_hops", "proxy", ProxyOptions::default()).await;
    for (x, y) in [(&a, &b), (&b, &a), (&b, &d), (&d, &b), (&d, &c), (&c, &d)] {
        route(x, y);
    }
    a.add_proxy_route(
        c.name().as_str(),
        ProxyRoute::via(b.name().as_str()).encrypted(),
    )
    .expect("route");
    b.add_proxy_route(c.name().as_str(), ProxyRoute::via(d.name().as_str()))
        .expect("route");
    c.start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let reply: Term = a
        .call(remote("echo", &c), Term::atom("far"))
        .await
        .expect("call");
    assert_eq!(reply, Term::atom("far"));
    assert_eq!(b.proxy_tunnels() + d.proxy_tunnels(), 2);

    // A fifth node E with a limit of one transit node refuses the second hop.
    let e = node_with(
        "px_hops",
        "proxy",
        ProxyOptions {
            transit: true,
            max_hops: 1,
            ..ProxyOptions::default()
        },
    )
    .await;
    let f = node_with("px_hops", "proxy", ProxyOptions::default()).await;
    for (x, y) in [(&b, &e), (&e, &b), (&e, &f), (&f, &e)] {
        route(x, y);
    }
    a.add_proxy_route(f.name().as_str(), ProxyRoute::via(b.name().as_str()))
        .expect("route");
    b.add_proxy_route(f.name().as_str(), ProxyRoute::via(e.name().as_str()))
        .expect("route");
    let reason = connect_error(a.connect(f.name().as_str()).await);
    assert!(reason.contains("more than 1 transit"), "{reason}");
    for n in [&a, &b, &c, &d, &e, &f] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_checked_end_to_end() {
    // A and B share one cookie, B and C another: only a correct cookie for C at A works.
    let a = node_with("px_cookie", "ab", ProxyOptions::default()).await;
    let b = node_with("px_cookie", "ab", transit()).await;
    let c = node_with("px_cookie", "bc", ProxyOptions::default()).await;
    for (x, y) in [(&a, &b), (&b, &a), (&b, &c), (&c, &b)] {
        route(x, y);
    }
    b.set_cookie(c.name().as_str(), "bc").expect("cookie");
    let refused_at_c = || -> u64 {
        let network = c.inspector().network().expect("distributed");
        network.handshake_failures.iter().map(|(_, n)| n).sum()
    };
    for (attempt, encrypted) in [false, true].into_iter().enumerate() {
        let mut via = ProxyRoute::via(b.name().as_str());
        if encrypted {
            via = via.encrypted();
        }
        a.add_proxy_route(c.name().as_str(), via).expect("route");
        // A presents its own cookie ("ab") to C.
        let reason = connect_error(a.connect(c.name().as_str()).await);
        if encrypted {
            assert!(reason.contains("did not open"), "{reason}");
            assert!(reason.contains("cookie"), "{reason}");
        } else {
            assert!(reason.contains("cookie"), "{reason}");
        }
        wait_until_within("the refused tunnel is forgotten", DEADLINE, || {
            a.proxy_tunnels() == 0 && b.proxy_tunnels() == 0 && c.proxy_tunnels() == 0
        })
        .await;
        // The far end counts the handshake it refused, as it counts a direct one.
        let refused = attempt as u64 + 1;
        wait_until_within("C counts the refused handshake", DEADLINE, || {
            refused_at_c() == refused
        })
        .await;
    }
    // C expects "ab" from A only if told so; A uses "bc" for C: it works, encrypted too.
    a.set_cookie(c.name().as_str(), "bc").expect("cookie");
    a.connect(c.name().as_str())
        .await
        .expect("connect with the right cookie");
    // C installs its side once it has sent the last handshake message: a moment later.
    wait_until_within("C lists A", DEADLINE, || {
        c.connected_nodes().contains(a.name())
    })
    .await;
    for n in [&a, &b, &c] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tunnel_runs_over_tls_connections_and_with_compression() {
    // Every hop is TLS 1.3, and the ends compress large messages: the tunnel is one more
    // stream to both.
    let options = |proxy: ProxyOptions| DistOptions {
        hidden: true,
        tls: Some(ergo::runtime::net::TlsOptions::self_signed_insecure()),
        compression: Some(ergo::runtime::dist::Compression::default()),
        proxy,
        ..DistOptions::default()
    };
    let a = start_with("px_tls", "proxy", options(ProxyOptions::default())).await;
    let b = start_with("px_tls", "proxy", options(transit())).await;
    let c = start_with("px_tls", "proxy", options(ProxyOptions::default())).await;
    for (x, y) in [(&a, &b), (&b, &a), (&b, &c), (&c, &b)] {
        route(x, y);
    }
    a.add_proxy_route(
        c.name().as_str(),
        ProxyRoute::via(b.name().as_str()).encrypted(),
    )
    .expect("route");
    c.start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let text = Term::binary(b"all work and no play. ".repeat(20_000));
    let reply: Term = a
        .call(remote("echo", &c), text.clone())
        .await
        .expect("call through TLS hops");
    assert_eq!(reply, text);
    assert_eq!(b.proxy_tunnels(), 1);
    for n in [&a, &b, &c] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_api_checks_its_input() {
    let a = node_with("px_api", "proxy", ProxyOptions::default()).await;
    let me = a.name().to_string();
    assert!(matches!(
        a.add_proxy_route("c@localhost", ProxyRoute::via("c@localhost")),
        Err(NetError::InvalidRoute(_))
    ));
    assert!(matches!(
        a.add_proxy_route("c@localhost", ProxyRoute::via(me.as_str())),
        Err(NetError::InvalidRoute(_))
    ));
    assert!(matches!(
        a.add_proxy_route("not a node", ProxyRoute::via("b@localhost")),
        Err(NetError::InvalidNode(_))
    ));
    let route = ProxyRoute::via("b@localhost");
    assert_eq!(
        a.add_proxy_route("c@localhost", route.clone())
            .expect("add"),
        None
    );
    assert_eq!(
        a.proxy_routes(),
        vec![(Atom::new("c@localhost"), route.clone())]
    );
    assert_eq!(
        a.remove_proxy_route("c@localhost").expect("remove"),
        Some(route)
    );
    assert!(a.proxy_routes().is_empty());
    // Routes given at start are there from the start.
    let configured = node_with(
        "px_api",
        "proxy",
        ProxyOptions {
            routes: vec![(
                "c@localhost".into(),
                ProxyRoute::via("b@localhost").encrypted(),
            )],
            ..ProxyOptions::default()
        },
    )
    .await;
    assert_eq!(
        configured.proxy_routes(),
        vec![(
            Atom::new("c@localhost"),
            ProxyRoute::via("b@localhost").encrypted()
        )]
    );
    configured.stop();
    let local = Node::start("px_api_local@localhost", NodeOptions::default())
        .await
        .expect("local node");
    assert!(matches!(
        local.add_proxy_route("c@localhost", ProxyRoute::via("b@localhost")),
        Err(NetError::NotDistributed(_))
    ));
    a.stop();
    local.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_proxy_frame_closes_only_its_connection() {
    let (a, b, c) = line("px_garbage", false, false).await;
    a.connect(c.name().as_str()).await.expect("connect");
    // A raw peer of B that handshakes properly (offering the proxy flag), then sends a proxy
    // frame of an unknown kind.
    let rogue_name = common::node_name("px_rogue");
    let mut done = common::raw_peer(&b, &rogue_name, "proxy").await;
    assert!(done.flags.contains(DistFlags::ERGO_PROXY));
    let mut frame = vec![0, 0, 0, 18, 0xE5, 99];
    frame.extend_from_slice(&[0; 16]);
    done.stream.write_all(&frame).await.expect("write garbage");
    wait_until_within("rogue dropped", DEADLINE, || {
        !b.connected_nodes().iter().any(|n| n.as_str() == rogue_name)
    })
    .await;
    // The tunnel through B is untouched.
    let (sink, mut rx) = common::forwarder(&c, false);
    c.register("sink", &sink).expect("register");
    a.send(remote("sink", &c), Term::atom("still"))
        .expect("queued");
    assert_eq!(next_within(&mut rx, DEADLINE).await, Term::atom("still"));
    assert_eq!(b.proxy_tunnels(), 1);
    for n in [&a, &b, &c] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erlang_node_cannot_be_a_transit_node_and_per_node_cookies_work_with_it() {
    if !common::require_erl(
        "an_erlang_node_cannot_be_a_transit_node_and_per_node_cookies_work_with_it",
    ) {
        return;
    }
    // The erl node has its own cookie; the Rust node is told it with set_cookie/2.
    let erl = common::ErlNode::start("px_erl", "erl_only", &["interop/pg_side.erl"], &[]).await;
    let node = common::dist_node("px_rust", "rust_only").await;
    let refused = node.connect(&erl.name).await;
    assert!(refused.is_err(), "the wrong cookie is refused: {refused:?}");
    node.set_cookie(&erl.name, "erl_only").expect("cookie");
    node.connect(&erl.name)
        .await
        .expect("connect with the erl node's cookie");
    let size: i64 = node
        .rpc_call(
            &erl.name,
            "erlang",
            "byte_size",
            vec![Term::binary(vec![1, 2, 3])],
            DEADLINE,
        )
        .await
        .expect("rpc");
    assert_eq!(size, 3);
    // The erl node did not take our private proxy flag: routing through it fails clearly.
    node.add_proxy_route("nowhere@localhost", ProxyRoute::via(erl.name.as_str()))
        .expect("route");
    let reason = connect_error(node.connect("nowhere@localhost").await);
    assert!(reason.contains("not an ergo-rs node"), "{reason}");
    node.stop();
}
