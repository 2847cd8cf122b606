//! Two or more Rust nodes in one process over loopback (static routes, no EPMD): connecting on
//! first send, calls, links and monitors across nodes, disconnect and stop giving `noconnection`
//! and `nodedown`, hidden nodes, connection failures, and a peer sending garbage losing only its
//! own connection. Every wait has a deadline.

use crate::common;
use crate::common::wait::{next_within, wait_until_within};

use std::time::Duration;

use ergo::{
    CallError, Context, Dest, DistOptions, NetError, Node, NodeOptions, SpawnOptions, Term,
};
use tokio::io::AsyncWriteExt;

const DEADLINE: Duration = Duration::from_secs(10);

fn options() -> NodeOptions {
    NodeOptions {
        cookie: "net_local".into(),
        ..NodeOptions::default()
    }
}

fn dist(hidden: bool) -> DistOptions {
    common::loopback(DistOptions {
        hidden,
        ..DistOptions::default()
    })
}

async fn node(prefix: &str) -> Node {
    common::start_dist(prefix, options(), dist(false)).await
}

async fn pair(prefix: &str) -> (Node, Node) {
    let (a, b) = (node(prefix).await, node(prefix).await);
    route(&a, &b);
    route(&b, &a);
    (a, b)
}

use common::{route, Echo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_send_connects_and_calls_cross_nodes() {
    let (a, b) = pair("first_send").await;
    b.start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let (pid, mut rx) = common::forwarder(&b, false);
    b.register("sink", &pid).expect("register");
    // No connect call: the first send dials.
    a.send(
        Dest::Remote {
            name: ergo::Atom::new("sink"),
            node: b.name().clone(),
        },
        Term::atom("hello"),
    )
    .expect("queued");
    assert_eq!(next_within(&mut rx, DEADLINE).await, Term::atom("hello"));
    assert_eq!(a.nodes(), vec![b.name().clone()]);
    assert_eq!(b.nodes(), vec![a.name().clone()]);
    let to_echo = Dest::Remote {
        name: ergo::Atom::new("echo"),
        node: b.name().clone(),
    };
    let reply: Term = a.call(to_echo, Term::Int(42)).await.expect("call");
    assert_eq!(reply, Term::Int(42));
    // A call to a name nobody has fails with noproc at once (the call monitors the server).
    let started = std::time::Instant::now();
    let missing = a
        .call::<Term>(
            Dest::Remote {
                name: ergo::Atom::new("nobody"),
                node: b.name().clone(),
            },
            Term::Int(1),
        )
        .await;
    assert!(
        matches!(&missing, Err(CallError::Down(r)) if r.is_atom("noproc")),
        "{missing:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_monitors_fire_across_nodes_and_on_disconnect() {
    let (a, b) = pair("links").await;
    let (watcher, mut events) = common::forwarder(&a, true);
    let (victim, _victim_rx) = common::forwarder(&b, false);
    let (victim2, _victim2_rx) = common::forwarder(&b, false);
    a.link(&watcher, &victim);
    let mref = a.monitor(&watcher, &Dest::Pid(victim.clone()));
    // Make sure the link and monitor reached B before killing.
    wait_until_within("link and monitor reach B", DEADLINE, || {
        b.process_info(&victim)
            .is_some_and(|i| !i.links.is_empty() && !i.monitored_by.is_empty())
    })
    .await;
    b.exit(b.outside_pid(), &victim, Term::atom("boom"));
    let mut seen = vec![
        next_within(&mut events, DEADLINE).await,
        next_within(&mut events, DEADLINE).await,
    ];
    seen.sort_by_key(|t| t.to_string());
    assert_eq!(
        seen,
        vec![
            Term::tuple(vec![
                Term::atom("DOWN"),
                Term::Reference(mref),
                Term::atom("process"),
                Term::Pid(victim.clone()),
                Term::atom("boom"),
            ]),
            Term::tuple(vec![
                Term::atom("EXIT"),
                Term::Pid(victim.clone()),
                Term::atom("boom"),
            ]),
        ]
    );
    // A second link and monitor, then the connection goes: both fire with noconnection.
    a.link(&watcher, &victim2);
    let mref2 = a.monitor(&watcher, &Dest::Pid(victim2.clone()));
    let (node_watch, mut node_events) = common::forwarder(&a, false);
    a.monitor_node(&node_watch, b.name(), true)
        .expect("monitor_node");
    let (reason_watch, mut reason_events) = common::forwarder(&a, false);
    a.monitor_nodes_with_reason(&reason_watch, true)
        .expect("monitor_nodes");
    let (b_watch, mut b_events) = common::forwarder(&b, false);
    b.monitor_nodes_with_reason(&b_watch, true)
        .expect("monitor_nodes");
    assert!(a.disconnect(b.name().as_str()));
    // With reasons, as net_kernel:monitor_nodes(true, [nodedown_reason]) gives them: the side
    // that disconnected says `disconnect`, the other `connection_closed`.
    let with_reason = |node: &Node, reason: &str| {
        Term::tuple(vec![
            Term::atom("nodedown"),
            Term::Atom(node.name().clone()),
            Term::list(vec![Term::tuple(vec![
                Term::atom("nodedown_reason"),
                Term::atom(reason),
            ])]),
        ])
    };
    assert_eq!(
        next_within(&mut reason_events, DEADLINE).await,
        with_reason(&b, "disconnect")
    );
    assert_eq!(
        next_within(&mut b_events, DEADLINE).await,
        with_reason(&a, "connection_closed")
    );
    let mut seen = vec![
        next_within(&mut events, DEADLINE).await,
        next_within(&mut events, DEADLINE).await,
    ];
    seen.sort_by_key(|t| t.to_string());
    assert_eq!(
        seen,
        vec![
            (Term::tuple(vec![
                Term::atom("DOWN"),
                Term::Reference(mref2),
                Term::atom("process"),
                Term::Pid(victim2.clone()),
                Term::atom("noconnection"),
            ])),
            (Term::tuple(vec![
                Term::atom("EXIT"),
                Term::Pid(victim2.clone()),
                Term::atom("noconnection"),
            ])),
        ]
    );
    assert_eq!(
        next_within(&mut node_events, DEADLINE).await,
        Term::tuple(vec![Term::atom("nodedown"), Term::Atom(b.name().clone())])
    );
    assert!(a.nodes().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_node_is_nodedown_and_calls_in_flight_fail() {
    let (a, b) = pair("stop").await;
    // A server that never answers (it keeps the calls), so a call is in flight when B stops.
    let (arrived_tx, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    let silent = b
        .spawn(
            SpawnOptions::named("silent"),
            move |mut ctx: Context| async move {
                let mut held = Vec::new();
                loop {
                    match ctx.recv().await {
                        Ok(envelope) => {
                            held.push(envelope);
                            let _ = arrived_tx.send(());
                        }
                        Err(reason) => return reason,
                    }
                }
            },
        )
        .expect("spawn");
    a.connect(b.name().as_str()).await.expect("connect");
    let (watch, mut events) = common::forwarder(&a, false);
    a.monitor_nodes(&watch, true).expect("monitor_nodes");
    let call = {
        let a = a.clone();
        tokio::spawn(async move {
            a.call_timeout::<Term>(Dest::Pid(silent), Term::atom("x"), Duration::from_secs(30))
                .await
        })
    };
    tokio::time::timeout(DEADLINE, arrived.recv())
        .await
        .expect("the call reaches the silent server");
    b.stop();
    let result = tokio::time::timeout(DEADLINE, call)
        .await
        .expect("the call ends within the deadline")
        .expect("task");
    assert!(
        matches!(&result, Err(CallError::Down(r)) if r.is_atom("noconnection")),
        "{result:?}"
    );
    assert_eq!(
        next_within(&mut events, DEADLINE).await,
        Term::tuple(vec![Term::atom("nodedown"), Term::Atom(b.name().clone())])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_nodes_are_connected_but_not_listed() {
    let a = node("visible").await;
    let h = Node::start_distributed(&common::node_name("hidden"), options(), dist(true))
        .await
        .expect("hidden node");
    route(&h, &a);
    h.connect(a.name().as_str()).await.expect("connect");
    // The accepting side installs the connection just after the dialing side returns.
    wait_until_within("a sees h", DEADLINE, || !a.connected_nodes().is_empty()).await;
    assert!(a.nodes().is_empty(), "a hidden peer is not in nodes()");
    assert_eq!(a.connected_nodes(), vec![h.name().clone()]);
    assert!(h.nodes().is_empty());
    assert_eq!(h.connected_nodes(), vec![a.name().clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_typed_errors() {
    let a = node("fail").await;
    // Nothing listens there.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = unused.local_addr().expect("addr").port();
    drop(unused);
    a.add_static_route("ghost@localhost", ([127, 0, 0, 1], port).into())
        .expect("route");
    let err = a
        .connect("ghost@localhost")
        .await
        .expect_err("nobody there");
    assert!(matches!(err, NetError::Connect { .. }), "{err}");
    assert!(matches!(
        a.connect("not a node").await,
        Err(NetError::InvalidNode(_))
    ));
    // Wrong cookie: refused, typed.
    let b = Node::start_distributed(
        &common::node_name("other_cookie"),
        NodeOptions {
            cookie: "different".into(),
            ..options()
        },
        dist(false),
    )
    .await
    .expect("b");
    route(&a, &b);
    let err = a.connect(b.name().as_str()).await.expect_err("cookie");
    assert!(matches!(err, NetError::Connect { .. }), "{err}");
    // A linked process towards an unreachable node hears noconnection.
    let (watcher, mut events) = common::forwarder(&a, true);
    let ghost = ergo::Pid {
        node: ergo::Atom::new("ghost@localhost"),
        id: 1,
        serial: 0,
        creation: 1,
    };
    a.link(&watcher, &ghost);
    assert_eq!(
        next_within(&mut events, DEADLINE).await,
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(ghost),
            Term::atom("noconnection")
        ])
    );
    // A local node cannot connect at all.
    let local = Node::start(&common::node_name("local"), NodeOptions::default())
        .await
        .expect("local");
    assert!(matches!(
        local.connect(a.name().as_str()).await,
        Err(NetError::NotDistributed(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_one_peer_closes_only_its_connection() {
    let (a, b) = pair("garbage").await;
    a.connect(b.name().as_str()).await.expect("connect");
    // A raw peer that handshakes properly, then sends a frame that is not a distribution message.
    let rogue_name = common::node_name("rogue");
    let mut done = common::raw_peer(&a, &rogue_name, "net_local").await;
    let deadline = std::time::Instant::now() + DEADLINE;
    done.stream
        .write_all(&[0, 0, 0, 5, 112, 131, 200, 1, 2])
        .await
        .expect("write garbage");
    while a.connected_nodes().iter().any(|n| n.as_str() == rogue_name) {
        assert!(
            std::time::Instant::now() < deadline,
            "the rogue connection stayed up"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The other connection is untouched.
    assert_eq!(a.nodes(), vec![b.name().clone()]);
    let (pid, mut rx) = common::forwarder(&b, false);
    a.send(pid, Term::atom("still_here")).expect("send");
    assert_eq!(
        next_within(&mut rx, DEADLINE).await,
        Term::atom("still_here")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_connects_settle_on_one_connection() {
    if std::env::var_os("NET_LOCAL_TRACE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("ergo_core::net=info,ergo_core::dist::handshake=warn")
            .try_init();
    }
    for _ in 0..5 {
        let (a, b) = pair("simul").await;
        let (pa, mut rxa) = common::forwarder(&a, false);
        let (pb, mut rxb) = common::forwarder(&b, false);
        // Both sides dial at once (a first send dials), each with a message waiting on its own
        // attempt: whichever connection wins carries both.
        a.send(pb.clone(), Term::atom("from_a")).expect("send");
        b.send(pa.clone(), Term::atom("from_b")).expect("send");
        let (ra, rb) = tokio::join!(a.connect(b.name().as_str()), b.connect(a.name().as_str()));
        ra.expect("a connects");
        rb.expect("b connects");
        assert_eq!(next_within(&mut rxb, DEADLINE).await, Term::atom("from_a"));
        assert_eq!(next_within(&mut rxa, DEADLINE).await, Term::atom("from_b"));
        assert_eq!(a.nodes(), vec![b.name().clone()]);
        assert_eq!(b.nodes(), vec![a.name().clone()]);
        a.stop();
        b.stop();
    }
}

/// Large binaries leave without being copied (spliced into vectored writes, sliced across
/// fragments): interleaved with small messages, every one arrives whole and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_and_small_messages_arrive_whole_and_in_order() {
    let (a, b) = pair("spliced").await;
    let (pid, mut rx) = common::forwarder(&b, false);
    b.register("sink", &pid).expect("register");
    let sink = Dest::Remote {
        name: ergo::Atom::new("sink"),
        node: b.name().clone(),
    };
    // Sizes around the splice threshold (2 KiB) and the fragment size (64 KiB), and 3 MB.
    let sizes = [
        10usize,
        2047,
        2048,
        2049,
        65_535,
        65_536,
        65_537,
        200_000,
        3 << 20,
        5,
    ];
    let payload = |i: usize, size: usize| -> Term {
        let bytes: Vec<u8> = (0..size).map(|k| (k * 31 + i) as u8).collect();
        Term::tuple(vec![
            Term::Int(i as i64),
            Term::binary(bytes.clone()),
            Term::atom("between"),
            Term::binary(bytes),
        ])
    };
    for round in 0..3 {
        for (i, size) in sizes.iter().enumerate() {
            a.send(sink.clone(), payload(round * 100 + i, *size))
                .expect("queued");
        }
    }
    for round in 0..3 {
        for (i, size) in sizes.iter().enumerate() {
            let got = next_within(&mut rx, DEADLINE).await;
            assert!(
                got == payload(round * 100 + i, *size),
                "message {round}/{i} ({size} bytes twice) arrived changed or out of order"
            );
        }
    }
}

/// Log lines written while a test runs on its own thread.
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn lines_with(&self, needle: &str) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned();
        text.lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

/// A flood of bad connections from one address is one WARN line (the rest counted for the next
/// line), and a refused handshake is logged once, by the listener, not again by the handshake.
#[test]
fn a_flood_of_bad_connections_is_logged_once() {
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // A current-thread runtime: the node's tasks all run on this thread, under this subscriber.
    let _guard = tracing_subscriber::util::SubscriberInitExt::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let a = node("flood").await;
        let port = a.dist_port().expect("distributed");
        for _ in 0..20 {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("dial");
            // A name message with an unknown tag: the handshake refuses it.
            stream
                .write_all(&[0, 5, b'x', 1, 2, 3, 4])
                .await
                .expect("write garbage");
            // The node closes the connection: read to the end, within a deadline.
            let mut sink = Vec::new();
            let read = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut sink);
            let _ = tokio::time::timeout(DEADLINE, read)
                .await
                .expect("the node closes a refused connection");
        }
        wait_until_within("the refusal is logged", DEADLINE, || {
            !log.lines_with("incoming connection refused").is_empty()
        })
        .await;
    });
    let refused = log.lines_with("incoming connection refused");
    assert_eq!(refused.len(), 1, "one line for 20 refusals: {refused:#?}");
    assert!(refused[0].contains("repeated=0"), "{}", refused[0]);
    assert!(
        log.lines_with("handshake")
            .iter()
            .all(|l| l.contains("incoming connection refused")),
        "the handshake does not log the failure again"
    );
}
