//! A real Erlang node next to the relay cluster: it connects directly to member A (A and C reach
//! each other only through the relay) and asks a process on A to call C; the answer comes back
//! through the relay to A and on to Erlang.

use ergo::{Atom, Dest, SpawnOptions, Term};

use crate::common::{self, Echo, ErlNode};
use crate::support::{self, DEADLINE, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erlang_node_calls_through_a_member() {
    if !common::require_erl("an_erlang_node_calls_through_a_member") {
        return;
    }
    // The cluster is `localhost`, so that Erlang can resolve member A's host; A registers with
    // the system EPMD (C does not: only the relay reaches it).
    let cluster = "localhost";
    let relay = support::relay(&[(cluster, SECRET)]).await;
    let through = || support::member_options(vec![support::address(&relay)], SECRET);
    let a = common::dist_node("relay_erl_a", support::COOKIE).await;
    let a_membership = a.join_relays(through()).await.expect("join a");
    let c = support::join("relay_erl_c", cluster, through()).await;
    c.node
        .start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !a_membership.members().contains(c.node.name()) {
        assert!(tokio::time::Instant::now() < deadline, "a never saw c");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let c_echo = Dest::Remote {
        name: Atom::new("echo"),
        node: c.node.name().clone(),
    };
    a.spawn(
        SpawnOptions::named("relay_gateway"),
        move |mut ctx| async move {
            loop {
                let Ok(message) = ctx.recv_term().await else {
                    return Term::atom("normal");
                };
                let Some([Term::Pid(from), request]) = message.as_tuple() else {
                    continue;
                };
                let answer = match ctx
                    .node()
                    .call::<Term>(c_echo.clone(), request.clone())
                    .await
                {
                    Ok(reply) => Term::tuple(vec![Term::atom("reply"), reply]),
                    Err(err) => Term::tuple(vec![
                        Term::atom("error"),
                        Term::binary(format!("{err:?}").into_bytes()),
                    ]),
                };
                let _ = ctx.node().send(Dest::Pid(from.clone()), answer);
            }
        },
    )
    .expect("gateway");

    let erl = ErlNode::start(
        "relay_erl",
        support::COOKIE,
        &["relay/relay_erl_client.erl"],
        &[a.name().as_str()],
    )
    .await;
    let answer = erl.next_line().await;
    assert_eq!(
        answer,
        "REPLY from erlang through the relay",
        "{}",
        erl.output()
    );
    assert!(
        relay.node().proxy_tunnels() >= 1,
        "A reached C through the relay"
    );
    for n in [&a, &c.node, relay.node()] {
        n.stop();
    }
}
