//! The inspect API on a node running the test tree, two connected nodes, names, events and pg.

use std::time::Duration;

use ergo::{DistOptions, Node, NodeOptions, ProcessStatus, SpawnOptions, Term};

use super::tree::{child_pid, child_restarts, shop_tree, start_tree};
use crate::common;
use crate::common::wait::eventually;

const DEADLINE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_process_list_counts_messages_and_a_gen_server_inspects_itself() {
    let node = common::start_node("insp_list", NodeOptions::default()).await;
    start_tree(&node).await;
    let counter = node.whereis("counter").expect("counter registered");
    for _ in 0..16 {
        let _: i64 = node.call(counter.clone(), 1i64).await.expect("call");
    }
    let inspector = node.inspector();
    let list = inspector.processes();
    assert_eq!(list.len(), node.process_count());
    let info = list
        .iter()
        .find(|p| p.pid == counter)
        .expect("the counter is listed");
    assert_eq!(info.name.as_ref().map(|n| n.as_str()), Some("counter"));
    assert_eq!(info.kind, "gen_server");
    assert!(info.behaviour.ends_with("Counter"), "{}", info.behaviour);
    assert!(info.messages_handled >= 16, "{}", info.messages_handled);
    assert_eq!(info.links.len(), 1, "linked to its supervisor");
    assert_eq!(info.status, ProcessStatus::Waiting);
    let detail = inspector.process(&counter).await.expect("alive");
    assert_eq!(
        detail.inspect,
        vec![("count".to_string(), "16".to_string())]
    );
    assert!(detail.inspect_error.is_none());

    // Suspended by sys (as `sys:suspend/1` sends it), it is listed as suspended and still
    // answers the inspect API; resumed, it waits again.
    let (me, mut replies) = common::forwarder(&node, false);
    for (request, status) in [
        ("suspend", ProcessStatus::Suspended),
        ("resume", ProcessStatus::Waiting),
    ] {
        let tag = Term::atom(request);
        let system = Term::tuple(vec![
            Term::atom("system"),
            Term::tuple(vec![Term::Pid(me.clone()), tag.clone()]),
            Term::atom(request),
        ]);
        node.send(counter.clone(), system).expect("send");
        let reply = common::wait::next_within(&mut replies, DEADLINE).await;
        assert_eq!(reply, Term::tuple(vec![tag, Term::atom("ok")]));
        // Suspended is set before the reply; waiting once it is back in recv.
        common::wait::wait_until_within(&format!("{status:?} after {request}"), DEADLINE, || {
            node.process_info(&counter).map(|i| i.status) == Some(status)
        })
        .await;
        let detail = inspector.process(&counter).await.expect("alive");
        assert_eq!(detail.inspect.len(), 1, "inspected while {request}ed");
    }

    // A plain process answers no inspect request and is not asked.
    let plain = node
        .spawn(SpawnOptions::default(), |mut ctx| async move {
            ctx.recv()
                .await
                .err()
                .unwrap_or_else(|| Term::atom("normal"))
        })
        .expect("spawn");
    let detail = inspector.process(&plain).await.expect("alive");
    assert_eq!(detail.info.kind, "process");
    assert!(detail.inspect.is_empty() && detail.inspect_error.is_none());

    // A supervisor and an application master describe themselves.
    let sup = node.whereis("shop_sup").expect("root registered");
    let detail = inspector.process(&sup).await.expect("alive");
    assert_eq!(detail.info.kind, "supervisor");
    assert!(detail
        .inspect
        .iter()
        .any(|(k, v)| k == "strategy" && v == "one_for_one"));
    assert!(detail.inspect.iter().any(|(k, _)| k == "child counter"));

    let summary = inspector.summary();
    assert_eq!(summary.processes, node.process_count());
    assert!(summary.processes_spawned >= summary.processes as u64);
    assert!(summary.messages_handled >= 16);
    // Every call is counted, one in 16 per server timed.
    assert_eq!(summary.calls_handled, 16);
    assert_eq!(summary.call_durations.count(), 1);
    assert!(!summary.distributed && summary.connections == 0);
    assert!(summary.memory_rss.is_some_and(|m| m > 0));
    node.stop();
}

#[tokio::test]
async fn supervision_trees_and_applications_show_restarts() {
    let node = common::start_node("insp_tree", NodeOptions::default()).await;
    start_tree(&node).await;
    let inspector = node.inspector();
    let tree = shop_tree(&node).await;
    assert_eq!(tree.restarts, 0);
    let ids: Vec<String> = tree
        .children
        .as_ref()
        .expect("answered")
        .iter()
        .map(|c| c.id.as_ref().map(|i| i.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(ids, ["counter", "idle", "inner_sup"]);
    let leaf = child_pid(&tree, "leaf").expect("the nested supervisor's child is in the tree");
    // The nested supervisor is part of the shop tree, not a root of its own.
    let roots = inspector.supervision_trees().await;
    assert_eq!(roots.len(), 1, "{roots:?}");

    node.send_exit(&leaf, Term::atom("kill"));
    eventually("the leaf is restarted", DEADLINE, || {
        let node = node.clone();
        let leaf = leaf.clone();
        async move {
            let tree = shop_tree(&node).await;
            child_restarts(&tree, "leaf") == Some(1)
                && child_pid(&tree, "leaf").is_some_and(|p| p != leaf)
        }
    })
    .await;
    let tree = shop_tree(&node).await;
    assert_eq!(tree.restarts, 0, "the root restarted nothing itself");
    assert_eq!(child_restarts(&tree, "counter"), Some(0));

    let apps = inspector.applications();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].name.as_str(), "shop");
    assert_eq!(apps[0].version, "1.2.3");
    assert_eq!(apps[0].root, node.whereis("shop_sup"));
    let master = inspector.process(&apps[0].master).await.expect("alive");
    assert_eq!(master.info.kind, "application_master");
    assert!(master
        .inspect
        .iter()
        .any(|(k, v)| k == "application" && v == "shop"));
    node.stop();
}

#[tokio::test]
async fn the_network_view_counts_traffic_per_peer_and_handshake_failures() {
    let a = common::start_loopback("insp_net_a", "cookie", DistOptions::default()).await;
    let b = common::start_loopback("insp_net_b", "cookie", DistOptions::default()).await;
    let stranger = common::start_loopback("insp_net_c", "other", DistOptions::default()).await;
    common::route(&a, &b);
    common::route(&stranger, &a);
    let sink = b
        .spawn(SpawnOptions::named("sink"), |mut ctx| async move {
            loop {
                if let Err(reason) = ctx.recv().await {
                    return reason;
                }
            }
        })
        .expect("spawn");
    a.connect(b.name().as_str()).await.expect("connect");
    for n in 0..50i64 {
        a.send(sink.clone(), n).expect("send");
    }
    eventually("b has taken the 50 messages", DEADLINE, || {
        let b = b.clone();
        let sink = sink.clone();
        async move {
            b.process_info(&sink)
                .is_some_and(|p| p.messages_handled >= 50)
        }
    })
    .await;
    let out = a.inspector().network().expect("distributed");
    assert_eq!(out.peers.len(), 1);
    let peer = &out.peers[0];
    assert_eq!(&peer.name, b.name());
    assert!(peer.messages_out >= 50, "{}", peer.messages_out);
    assert!(peer.bytes_out > 0 && peer.bytes_in > 0);
    assert!(
        peer.flags.iter().any(|f| f == "UTF8_ATOMS"),
        "{:?}",
        peer.flags
    );
    assert!(!peer.hidden && !peer.tls && !peer.proxy);
    assert!(peer.atom_cache_entries > 0);
    let inbound = b.inspector().network().expect("distributed");
    assert!(inbound.peers[0].messages_in >= 50);
    assert!(inbound.messages_in >= 50);
    let summary = a.inspector().summary();
    assert!(summary.distributed && summary.connections == 1);
    assert!(summary.network_messages_out >= 50);

    // A node with another cookie is refused: both sides count the failed handshake.
    assert!(stranger.connect(a.name().as_str()).await.is_err());
    eventually("a counts the refused handshake", DEADLINE, || {
        let a = a.clone();
        async move {
            let failures = a
                .inspector()
                .network()
                .expect("distributed")
                .handshake_failures;
            failures.iter().map(|(_, n)| n).sum::<u64>() >= 1
        }
    })
    .await;
    let theirs = stranger.inspector().network().expect("distributed");
    assert!(
        !theirs.handshake_failures.is_empty(),
        "{:?}",
        theirs.handshake_failures
    );
    for n in [a, b, stranger] {
        n.stop();
    }
}

#[tokio::test]
async fn names_events_and_pg_groups_are_listed() {
    let node = common::start_node("insp_names", NodeOptions::default()).await;
    let owner = node
        .spawn(SpawnOptions::named("producer"), |mut ctx| async move {
            ctx.recv()
                .await
                .err()
                .unwrap_or_else(|| Term::atom("normal"))
        })
        .expect("spawn");
    let _token = node.register_event(&owner, "prices").expect("event");
    node.subscribe_event(&owner, "prices").expect("subscribe");
    let scope = ergo::PgScope::start(&node, "insp_scope").await.expect("pg");
    scope
        .join(Term::atom("workers"), std::slice::from_ref(&owner))
        .await
        .expect("join");
    let inspector = node.inspector();
    let names = inspector.registered();
    assert!(names
        .iter()
        .any(|r| r.name.as_str() == "producer" && r.pid == owner));
    assert!(names.iter().any(|r| r.name.as_str() == "insp_scope"));
    let events = inspector.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name.as_str(), "prices");
    assert_eq!(events[0].owner, owner);
    assert_eq!(events[0].subscribers, 1);
    let groups = inspector.pg_groups();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].scope.as_str(), "insp_scope");
    assert_eq!(groups[0].group, Term::atom("workers"));
    assert_eq!(groups[0].local_members, vec![owner]);
    node.stop();
}

/// A node that is not asked for an observer serves none; the node option is checked at start.
#[tokio::test]
async fn an_observer_on_a_taken_address_fails_the_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let options = NodeOptions {
        observer: Some(ergo::ObserverOptions::new(addr)),
        ..NodeOptions::default()
    };
    let err = Node::start(&common::node_name("insp_taken"), options)
        .await
        .expect_err("the address is taken");
    assert!(matches!(err, ergo::NodeError::Observer(_)), "{err}");
    let plain = common::start_node("insp_none", NodeOptions::default()).await;
    assert!(ergo::observer::url(&plain).is_none());
    plain.stop();
}
