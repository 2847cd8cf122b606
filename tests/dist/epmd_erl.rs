//! EPMD against real Erlang: our client against the system EPMD, our embedded server serving a
//! real `erl` on a test port, and the keeper re-registering and taking over serving when the
//! EPMD it used dies.

use crate::common;
use crate::common::peer::{our_pid, ErlPeer};
use crate::common::wait::poll_until;

use std::net::SocketAddr;
use std::time::Duration;

use ergo::runtime::dist::{self, ConnectionOptions, ControlMessage, HandshakeOptions, LocalNode};
use ergo::runtime::epmd::{EpmdClient, EpmdKeeper, EpmdServer, KeeperState, NodeEntry, Resolver};
use ergo::{Atom, Term};

const T: Duration = Duration::from_secs(30);

/// A TCP port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_against_system_epmd() {
    if !common::require_erl("client_against_system_epmd") {
        return;
    }
    common::ensure_system_epmd();
    let client = EpmdClient::local(4369);
    let name = common::unique_name("rsreg");
    let registration = client
        .register(&NodeEntry::new(&name, 45678, true))
        .await
        .expect("register");
    assert!(registration.creation() > 0);
    let found = client
        .port_please(&name)
        .await
        .expect("port_please")
        .expect("registered");
    assert_eq!(
        (found.port, found.node_type, found.name.as_str()),
        (45678, 72, name.as_str())
    );
    assert!(client
        .names()
        .await
        .expect("names")
        .contains(&(name.clone(), 45678)));
    // A second registration of the same name is refused while the first lives.
    assert!(client
        .register(&NodeEntry::new(&name, 45679, true))
        .await
        .is_err());
    drop(registration);
    let gone = poll_until(Duration::from_secs(5), || {
        let client = client.clone();
        let name = name.clone();
        async move { matches!(client.port_please(&name).await, Ok(None)) }
    })
    .await;
    assert!(gone, "closing the registration socket unregisters");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_epmd_serves_a_real_erl() {
    if !common::require_erl("embedded_epmd_serves_a_real_erl") {
        return;
    }
    let server = EpmdServer::bind(SocketAddr::from(([0, 0, 0, 0], 0)))
        .await
        .expect("bind");
    let port = server.local_addr().port();
    let cookie = common::unique_name("c");
    let peer = ErlPeer::start(
        "echo",
        &cookie,
        60,
        &[],
        &[("ERL_EPMD_PORT", port.to_string())],
    );
    peer.wait_line("READY", T);
    let short = peer.name.split('@').next().unwrap_or_default().to_string();
    assert!(
        server.registered().iter().any(|(n, _)| n == &short),
        "erl registered with us"
    );
    let client = EpmdClient::local(port);
    let entry = client
        .port_please(&short)
        .await
        .expect("port_please")
        .expect("found");
    assert_eq!(entry.node_type, 77);
    assert!(entry.highest_version >= 6);
    assert!(client
        .names()
        .await
        .expect("names")
        .iter()
        .any(|(n, p)| n == &short && *p == entry.port));

    // The whole path: resolve through our EPMD, handshake, echo.
    let me = LocalNode::new(format!("{}@localhost", common::unique_name("rs")), 1, false);
    let mut conn = dist::connect(
        &me,
        &peer.name,
        &cookie,
        &ergo::runtime::dist::handshake::NoOtherConnections,
        &Resolver::new(port),
        &HandshakeOptions::default(),
        &ConnectionOptions::default(),
    )
    .await
    .expect("connect via embedded EPMD");
    let us = our_pid(&me.name, 1, 1);
    let ctl = ControlMessage::RegSend {
        from: us.clone(),
        to_name: Atom::new("echo"),
    };
    conn.send(
        ctl,
        Some(Term::tuple(vec![
            Term::Pid(us.clone()),
            Term::atom("via_our_epmd"),
        ])),
    )
    .await
    .expect("send");
    loop {
        let msg = tokio::time::timeout(T, conn.recv())
            .await
            .expect("reply")
            .expect("open")
            .expect("ok");
        if let ControlMessage::Send { to } | ControlMessage::SendSender { to, .. } = &msg.control {
            if to == &us {
                assert_eq!(msg.payload, Some(Term::atom("via_our_epmd")));
                break;
            }
        }
    }
    drop(peer);
    let gone = poll_until(Duration::from_secs(10), || {
        let r = server.registered();
        let short = short.clone();
        async move { !r.iter().any(|(n, _)| n == &short) }
    })
    .await;
    assert!(gone, "a dead erl is unregistered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeper_reregisters_and_takes_over_serving() {
    if !common::require_erl("keeper_reregisters_and_takes_over_serving") {
        return;
    }
    let port = free_port();
    let first = EpmdServer::bind(SocketAddr::from(([0, 0, 0, 0], port)))
        .await
        .expect("bind test port");
    let name = common::unique_name("kept");
    let mut keeper = EpmdKeeper::start(port, NodeEntry::new(&name, 40000, false));
    keeper.wait_registered(T).await.expect("registered");
    assert!(matches!(
        keeper.state(),
        KeeperState::Registered { serving: false, .. }
    ));
    assert!(first.registered().iter().any(|(n, _)| n == &name));

    // The EPMD dies: the keeper serves the port itself and registers again.
    drop(first);
    let took_over = poll_until(T, || {
        let state = keeper.state();
        async move { matches!(state, KeeperState::Registered { serving: true, .. }) }
    })
    .await;
    assert!(took_over, "keeper took over: {:?}", keeper.state());
    let client = EpmdClient::local(port);
    assert_eq!(
        client
            .port_please(&name)
            .await
            .expect("ask")
            .map(|e| e.port),
        Some(40000)
    );

    // A real erl registers with the EPMD the keeper now serves.
    let cookie = common::unique_name("c");
    let peer = ErlPeer::start(
        "echo",
        &cookie,
        60,
        &[],
        &[("ERL_EPMD_PORT", port.to_string())],
    );
    peer.wait_line("READY", T);
    let short = peer.name.split('@').next().unwrap_or_default().to_string();
    let names = client.names().await.expect("names");
    assert!(names.iter().any(|(n, _)| n == &short), "{names:?}");
    assert!(names.iter().any(|(n, _)| n == &name), "{names:?}");
}
