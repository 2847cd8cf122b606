//! Three members, one relay: they find each other, and calls, links, monitors, `global` and
//! `pg` work across them, through tunnels the relay cannot read; joins and leaves are events.

use ergo::relay::RelayEvent;
use ergo::{Atom, Dest, SpawnOptions, Term};

use crate::common::wait::{next_within, wait_until_within};
use crate::common::{self, Echo};
use crate::support::{self, DEADLINE, SECRET};

fn remote(name: &str, node: &ergo::Node) -> Dest {
    Dest::Remote {
        name: Atom::new(name),
        node: node.name().clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_work_as_one_cluster_through_the_relay() {
    let cluster = support::cluster("rc");
    let relay = support::relay(&[(&cluster, SECRET)]).await;
    let through = || support::member_options(vec![support::address(&relay)], SECRET);
    let mut a = support::join("a", &cluster, through()).await;
    let b = support::join("b", &cluster, through()).await;
    let c = support::join("c", &cluster, through()).await;
    let names = |ms: &[&support::Member]| {
        let mut v: Vec<Atom> = ms.iter().map(|m| m.node.name().clone()).collect();
        v.sort();
        v
    };
    let all = names(&[&a, &b, &c]);
    wait_until_within("the relay lists all three", DEADLINE, || {
        relay.members(&cluster) == all
    })
    .await;
    for (m, others) in [
        (&a, names(&[&b, &c])),
        (&b, names(&[&a, &c])),
        (&c, names(&[&a, &b])),
    ] {
        wait_until_within("each member knows the other two", DEADLINE, || {
            m.membership.members() == others
        })
        .await;
        // Every other member is reached through the relay, encrypted end to end.
        let routes = m.node.proxy_routes();
        assert_eq!(routes.len(), 2, "{routes:?}");
        for (_, route) in routes {
            assert_eq!(route.via, relay.node().name().as_str());
            assert!(route.encrypted);
        }
    }

    // A call through the relay.
    c.node
        .start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let reply: Term = a
        .node
        .call(remote("echo", &c.node), Term::binary(vec![7u8; 1024]))
        .await
        .expect("call through the relay");
    assert_eq!(reply, Term::binary(vec![7u8; 1024]));
    assert!(
        relay.node().proxy_tunnels() >= 1,
        "the call went through a tunnel at the relay"
    );
    // The relay is the only node a member reaches other than the members (through it).
    for n in a.node.connected_nodes() {
        assert!(
            n == *relay.node().name() || all.contains(&n),
            "{n} connected"
        );
    }

    // Links and monitors across.
    let (watcher, mut events) = common::forwarder(&a.node, true);
    let (victim, _victim_rx) = common::forwarder(&c.node, false);
    a.node.link(&watcher, &victim);
    let mref = a.node.monitor(&watcher, &Dest::Pid(victim.clone()));
    wait_until_within("link and monitor reach c", DEADLINE, || {
        c.node
            .process_info(&victim)
            .map(|i| !i.links.is_empty() && !i.monitored_by.is_empty())
            .unwrap_or(false)
    })
    .await;
    c.node
        .exit(c.node.outside_pid(), &victim, Term::atom("boom"));
    let mut seen = vec![
        next_within(&mut events, DEADLINE).await,
        next_within(&mut events, DEADLINE).await,
    ];
    seen.sort_by_key(|t| t.to_string());
    let mut expected = vec![
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
    ];
    expected.sort_by_key(|t| t.to_string());
    assert_eq!(seen, expected);

    // global: a name registered on b is seen on a and c.
    let (named, _named_rx) = common::forwarder(&b.node, false);
    let gb = b.node.global().await.expect("global b");
    for m in [&a, &c] {
        m.node
            .connect(b.node.name().as_str())
            .await
            .expect("connect");
    }
    gb.register_name(Term::atom("relay_named"), &named)
        .await
        .expect("register");
    for m in [&a, &c] {
        let g = m.node.global().await.expect("global");
        wait_until_within("the global name reaches every member", DEADLINE, || {
            g.whereis_name(Term::atom("relay_named")) == Some(named.clone())
        })
        .await;
    }

    // pg: a member of a group on c is seen on a and b.
    let scope = common::unique_name("relay_pg");
    let mut scopes = Vec::new();
    for m in [&a, &b, &c] {
        scopes.push(ergo::PgScope::start(&m.node, &scope).await.expect("pg"));
    }
    let (grouped, _grouped_rx) = common::forwarder(&c.node, false);
    scopes[2]
        .join(Term::atom("g"), std::slice::from_ref(&grouped))
        .await
        .expect("join");
    for s in &scopes[..2] {
        wait_until_within("the pg member reaches every member", DEADLINE, || {
            s.get_members(Term::atom("g")) == vec![grouped.clone()]
        })
        .await;
    }

    // A member that stops is an event on the others, and its route goes.
    let left = b.node.name().clone();
    b.node.stop();
    support::event_where(&mut a.events, "b leaving", |e| {
        *e == RelayEvent::MemberLeft { node: left.clone() }
    })
    .await;
    wait_until_within("the relay drops b", DEADLINE, || {
        !relay.members(&cluster).contains(&left)
    })
    .await;
    assert!(a.node.proxy_routes().iter().all(|(n, _)| *n != left));
    // And one that joins is an event too.
    let d = support::join("d", &cluster, through()).await;
    let joined = d.node.name().clone();
    support::event_where(
        &mut a.events,
        "d joining",
        |e| matches!(e, RelayEvent::MemberJoined { node, .. } if *node == joined),
    )
    .await;
    for n in [&a.node, &c.node, &d.node, relay.node()] {
        n.stop();
    }
}
