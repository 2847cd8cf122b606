//! The distribution layer against a real Erlang node: handshakes both directions, cookies,
//! flags, echo of big binaries (fragments), many atoms (atom cache), 100,000 messages in
//! order, and ticks.

use crate::common;
use crate::common::peer::{answer_is_auth, our_pid, ErlPeer};

use std::time::Duration;

use ergo::runtime::dist::{
    self, ConnectionError, ConnectionOptions, ControlMessage, DistConnection, DistFlags,
    HandshakeError, HandshakeOptions, LocalNode,
};
use ergo::runtime::epmd::{EpmdClient, NodeEntry, Resolver};
use ergo::{Atom, Pid, Term};

const T: Duration = Duration::from_secs(30);

fn local(prefix: &str) -> LocalNode {
    LocalNode::new(
        format!("{}@localhost", common::unique_name(prefix)),
        1,
        false,
    )
}

async fn connect_to(
    peer: &ErlPeer,
    me: &LocalNode,
    cookie: &str,
    ticktime: Duration,
) -> Result<DistConnection, HandshakeError> {
    let options = ConnectionOptions {
        net_ticktime: ticktime,
        ..ConnectionOptions::default()
    };
    dist::connect(
        me,
        &peer.name,
        cookie,
        &ergo::runtime::dist::handshake::NoOtherConnections,
        &Resolver::new(4369),
        &HandshakeOptions::default(),
        &options,
    )
    .await
}

/// Sends `{Us, Msg}` to the peer's `echo` and returns what comes back to `us`.
async fn echo(conn: &mut DistConnection, us: &Pid, msg: Term) -> Term {
    let ctl = ControlMessage::RegSend {
        from: us.clone(),
        to_name: Atom::new("echo"),
    };
    conn.send(ctl, Some(Term::tuple(vec![Term::Pid(us.clone()), msg])))
        .await
        .expect("send");
    next_to(conn, us).await
}

async fn next_to(conn: &mut DistConnection, us: &Pid) -> Term {
    loop {
        let msg = tokio::time::timeout(T, conn.recv())
            .await
            .expect("reply in time")
            .expect("open")
            .expect("ok");
        match msg.control {
            ControlMessage::Send { to } | ControlMessage::SendSender { to, .. } if &to == us => {
                return msg.payload.expect("payload");
            }
            _ => continue, // global/rex/pg chatter for published nodes
        }
    }
}

fn start_echo(cookie: &str, ticktime: u32) -> ErlPeer {
    common::ensure_system_epmd();
    let peer = ErlPeer::start("echo", cookie, ticktime, &[], &[]);
    peer.wait_line("READY", T);
    peer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_connect_echo_big_binaries_and_atoms() {
    if !common::require_erl("we_connect_echo_big_binaries_and_atoms") {
        return;
    }
    let cookie = common::unique_name("c");
    let peer = start_echo(&cookie, 60);
    let me = local("rs");
    // Frames over 256 KiB are refused, so the 10 MB echo only passes if Erlang fragments what
    // it sends and we reassemble it.
    let options = ConnectionOptions {
        frames: dist::FrameSettings {
            max_frame_size: 256 << 10,
            ..Default::default()
        },
        ..ConnectionOptions::default()
    };
    let mut conn = dist::connect(
        &me,
        &peer.name,
        &cookie,
        &ergo::runtime::dist::handshake::NoOtherConnections,
        &Resolver::new(4369),
        &HandshakeOptions::default(),
        &options,
    )
    .await
    .expect("handshake");
    assert_eq!(conn.peer_name, peer.name);
    assert!(
        conn.flags
            .contains(DistFlags::FRAGMENTS | DistFlags::DIST_HDR_ATOM_CACHE),
        "{:?}",
        conn.flags
    );
    let us = our_pid(&me.name, me.creation, 1);

    let hello = Term::tuple(vec![
        Term::atom("hello"),
        Term::Int(42),
        Term::binary(&b"x"[..]),
    ]);
    assert_eq!(echo(&mut conn, &us, hello.clone()).await, hello);

    for size in [1usize << 20, 10 << 20] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let back = echo(&mut conn, &us, Term::binary(data.clone())).await;
        assert_eq!(back, Term::binary(data), "binary of {size} bytes");
    }

    // 3,500 distinct atoms in 35 messages of 100: more than the 2,048 cache slots.
    for batch in 0..35 {
        let atoms: Vec<Term> = (0..100)
            .map(|i| Term::atom(&format!("atom_{batch}_{i}")))
            .collect();
        let back = echo(&mut conn, &us, Term::list(atoms.clone())).await;
        assert_eq!(back, Term::list(atoms), "batch {batch}");
    }
    // Reused atoms (cache hits) still decode.
    let again = Term::list(vec![
        Term::atom("atom_0_1"),
        Term::atom("atom_34_99"),
        Term::atom("hello"),
    ]);
    assert_eq!(echo(&mut conn, &us, again.clone()).await, again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_messages_in_order_both_ways() {
    if !common::require_erl("hundred_thousand_messages_in_order_both_ways") {
        return;
    }
    let cookie = common::unique_name("c");
    let peer = start_echo(&cookie, 60);
    let me = local("rs");
    let conn = connect_to(&peer, &me, &cookie, Duration::from_secs(60))
        .await
        .expect("handshake");
    let us = our_pid(&me.name, me.creation, 1);
    let (sender, mut receiver) = conn.split();
    const N: i64 = 100_000;
    let us2 = us.clone();
    let started = std::time::Instant::now();
    let writer = tokio::spawn(async move {
        for i in 0..N {
            let ctl = ControlMessage::RegSend {
                from: us2.clone(),
                to_name: Atom::new("echo"),
            };
            let msg = Term::tuple(vec![Term::Pid(us2.clone()), Term::Int(i)]);
            sender.send(ctl, Some(msg)).await.expect("send");
        }
        sender
    });
    let mut expected = 0i64;
    while expected < N {
        let msg = tokio::time::timeout(T, receiver.recv())
            .await
            .expect("in time")
            .expect("open")
            .expect("ok");
        match (&msg.control, &msg.payload) {
            (
                ControlMessage::Send { to } | ControlMessage::SendSender { to, .. },
                Some(Term::Int(i)),
            ) if to == &us => {
                assert_eq!(*i, expected, "out of order");
                expected += 1;
            }
            _ => {}
        }
    }
    let _sender = writer.await.expect("writer");
    eprintln!("100000 round trips through erl in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erl_connects_to_us_and_pings() {
    if !common::require_erl("erl_connects_to_us_and_pings") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("c");
    let short = common::unique_name("rs");
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let _registration = EpmdClient::local(4369)
        .register(&NodeEntry::new(&short, port, false))
        .await
        .expect("register");
    let me = LocalNode::new(
        format!("{short}@localhost"),
        _registration.creation(),
        false,
    );

    let peer = ErlPeer::start("ping", &cookie, 60, &[&me.name], &[]);
    let (stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .expect("erl dials")
        .expect("accept");
    let mut conn = dist::accept(
        stream,
        &me,
        &cookie,
        &dist::handshake::NoOtherConnections,
        &HandshakeOptions::default(),
        &ConnectionOptions::default(),
    )
    .await
    .expect("handshake");
    assert_eq!(conn.peer_name, peer.name);
    let us = our_pid(&me.name, me.creation, 1);
    let sender = conn.sender();
    let mut answered = false;
    let mut saw_monitor = false;
    while !answered {
        let msg = tokio::time::timeout(T, conn.recv())
            .await
            .expect("in time")
            .expect("open")
            .expect("ok");
        if matches!(&msg.control, ControlMessage::MonitorP { target: dist::ProcessRef::Name(n), .. } if n.as_str() == "net_kernel")
        {
            saw_monitor = true;
        }
        answered = answer_is_auth(&sender, &msg, &us).await;
    }
    assert!(saw_monitor, "MONITOR_P on net_kernel precedes the call");
    assert_eq!(peer.wait_line("PING", T), "PING pong");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_cookie_refused_both_ways() {
    if !common::require_erl("wrong_cookie_refused_both_ways") {
        return;
    }
    // We dial with the wrong cookie: erl closes after our challenge reply.
    let cookie = common::unique_name("c");
    let peer = start_echo(&cookie, 60);
    let me = local("rs");
    let err = connect_to(&peer, &me, "not-the-cookie", Duration::from_secs(60))
        .await
        .expect_err("refused");
    assert!(
        matches!(err, HandshakeError::Closed(_) | HandshakeError::Io(_)),
        "{err:?}"
    );

    // Erl dials us with the wrong cookie: we refuse its challenge reply, it gets pang.
    let short = common::unique_name("rs");
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let registration = EpmdClient::local(4369)
        .register(&NodeEntry::new(&short, port, false))
        .await
        .expect("register");
    let me = LocalNode::new(format!("{short}@localhost"), registration.creation(), false);
    let pinger = ErlPeer::start("ping", "the-wrong-cookie", 60, &[&me.name], &[]);
    let (stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .expect("erl dials")
        .expect("accept");
    let err = dist::accept(
        stream,
        &me,
        &cookie,
        &dist::handshake::NoOtherConnections,
        &HandshakeOptions::default(),
        &ConnectionOptions::default(),
    )
    .await
    .expect_err("refused");
    assert!(
        matches!(err, HandshakeError::BadDigest(ref n) if n == &pinger.name),
        "{err:?}"
    );
    assert_eq!(pinger.wait_line("PING", T), "PING pang");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erl_refuses_missing_mandatory_flags() {
    if !common::require_erl("erl_refuses_missing_mandatory_flags") {
        return;
    }
    let cookie = common::unique_name("c");
    let peer = start_echo(&cookie, 60);
    let mut me = local("rs");
    me.flags = DistFlags(me.flags.0 & !DistFlags::MAP_TAG.0 & !DistFlags::MANDATORY_25_DIGEST.0);
    let err = connect_to(&peer, &me, &cookie, Duration::from_secs(60))
        .await
        .expect_err("refused");
    assert!(matches!(err, HandshakeError::NotAllowed), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_keep_a_quiet_connection_up() {
    if !common::require_erl("ticks_keep_a_quiet_connection_up") {
        return;
    }
    let cookie = common::unique_name("c");
    let peer = start_echo(&cookie, 4);
    let me = local("rs");
    let mut conn = connect_to(&peer, &me, &cookie, Duration::from_secs(4))
        .await
        .expect("handshake");
    let us = our_pid(&me.name, me.creation, 1);
    // Quiet for well over a tick time (4 s): both sides tick, nobody drops the other.
    let quiet_until = tokio::time::Instant::now() + Duration::from_secs(7);
    loop {
        match tokio::time::timeout_at(quiet_until, conn.recv()).await {
            Err(_) => break,
            Ok(Some(Ok(_))) => continue, // published-node chatter
            Ok(other) => panic!("connection ended while quiet: {other:?}"),
        }
    }
    assert_eq!(
        echo(&mut conn, &us, Term::atom("still_up")).await,
        Term::atom("still_up")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_dropped() {
    // No erl needed: a raw peer that completes the handshake and then says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let silent = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let me = LocalNode::new("silent@localhost", 2, true);
        let done = dist::handshake::accept(
            stream,
            &me,
            "c",
            &dist::handshake::NoOtherConnections,
            &HandshakeOptions::default(),
        )
        .await
        .expect("handshake");
        // Keep the socket open, never write.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(done);
    });
    let resolver = Resolver::new(1);
    resolver.add_static_route("silent@localhost", addr);
    let me = LocalNode::new("rs@localhost", 1, false);
    let options = ConnectionOptions {
        net_ticktime: Duration::from_secs(1),
        ..ConnectionOptions::default()
    };
    let mut conn = dist::connect(
        &me,
        "silent@localhost",
        "c",
        &ergo::runtime::dist::handshake::NoOtherConnections,
        &resolver,
        &HandshakeOptions::default(),
        &options,
    )
    .await
    .expect("handshake");
    let started = std::time::Instant::now();
    let end = tokio::time::timeout(Duration::from_secs(10), conn.recv())
        .await
        .expect("dropped in time");
    assert!(
        matches!(end, Some(Err(ConnectionError::TickTimeout(_)))),
        "{end:?}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    silent.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erl_initiated_connection_streams_in_order() {
    if !common::require_erl("erl_initiated_connection_streams_in_order") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("c");
    let short = common::unique_name("rs");
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let registration = EpmdClient::local(4369)
        .register(&NodeEntry::new(&short, port, false))
        .await
        .expect("register");
    let me = LocalNode::new(format!("{short}@localhost"), registration.creation(), false);
    const N: i64 = 20_000;
    let _peer = ErlPeer::start("sendmany", &cookie, 60, &[&me.name, &N.to_string()], &[]);
    let (stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .expect("erl dials")
        .expect("accept");
    let mut conn = dist::accept(
        stream,
        &me,
        &cookie,
        &dist::handshake::NoOtherConnections,
        &HandshakeOptions::default(),
        &ConnectionOptions::default(),
    )
    .await
    .expect("handshake");
    let us = our_pid(&me.name, me.creation, 1);
    let sender = conn.sender();
    let mut next = 1i64;
    loop {
        let msg = tokio::time::timeout(T, conn.recv())
            .await
            .expect("in time")
            .expect("open")
            .expect("ok");
        if answer_is_auth(&sender, &msg, &us).await {
            continue;
        }
        let ControlMessage::RegSend { to_name, .. } = &msg.control else {
            continue;
        };
        if to_name.as_str() != "sink" {
            continue;
        }
        match msg.payload.as_ref().and_then(|p| p.as_tuple()) {
            Some([tag, Term::Int(i)]) if tag.is_atom("seq") => {
                assert_eq!(*i, next, "out of order");
                next += 1;
            }
            Some([tag, Term::Int(n)]) if tag.is_atom("done") => {
                assert_eq!((*n, next - 1), (N, N));
                break;
            }
            other => panic!("unexpected payload {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_and_hidden_nodes_as_erlang_sees_them() {
    if !common::require_erl("published_and_hidden_nodes_as_erlang_sees_them") {
        return;
    }
    let cookie = common::unique_name("c");
    let peer = start_echo(&cookie, 60);
    for hidden in [false, true] {
        let me = LocalNode::new(
            format!("{}@localhost", common::unique_name("rs")),
            1,
            hidden,
        );
        assert_eq!(me.flags.contains(DistFlags::PUBLISHED), !hidden);
        let mut conn = connect_to(&peer, &me, &cookie, Duration::from_secs(60))
            .await
            .expect("handshake");
        let us = our_pid(&me.name, me.creation, 1);
        let answer = echo(&mut conn, &us, Term::atom("which_nodes")).await;
        let ours = Term::atom(&me.name);
        let Some([Term::List(visible), Term::List(hidden_nodes)]) = answer.as_tuple() else {
            panic!("unexpected answer {answer:?}");
        };
        assert_eq!(visible.contains(&ours), !hidden, "visible: {visible:?}");
        assert_eq!(
            hidden_nodes.contains(&ours),
            hidden,
            "hidden: {hidden_nodes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elixir_pings_us() {
    if !common::require_elixir("elixir_pings_us") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("c");
    let short = common::unique_name("rs");
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let registration = EpmdClient::local(4369)
        .register(&NodeEntry::new(&short, port, false))
        .await
        .expect("register");
    let me = LocalNode::new(format!("{short}@localhost"), registration.creation(), false);
    let ex_name = format!("{}@localhost", common::unique_name("ex"));
    let script = format!(
        "r = Node.ping(String.to_atom(\"{}\")); IO.puts(\"PING \" <> to_string(r))",
        me.name
    );
    let mut child = std::process::Command::new("elixir")
        .args(["--sname", &ex_name, "--cookie", &cookie, "-e", &script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start elixir");
    let output = common::Output::of(&mut child, "elixir");
    let _guard = common::ChildGuard(child);
    let (stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .expect("elixir dials")
        .expect("accept");
    let mut conn = dist::accept(
        stream,
        &me,
        &cookie,
        &dist::handshake::NoOtherConnections,
        &HandshakeOptions::default(),
        &ConnectionOptions::default(),
    )
    .await
    .expect("handshake");
    assert_eq!(conn.peer_name, ex_name);
    let us = our_pid(&me.name, me.creation, 1);
    let sender = conn.sender();
    loop {
        let msg = tokio::time::timeout(T, conn.recv())
            .await
            .expect("in time")
            .expect("open")
            .expect("ok");
        if answer_is_auth(&sender, &msg, &us).await {
            break;
        }
    }
    assert_eq!(output.wait_line("PING", T), "PING pong");
}
