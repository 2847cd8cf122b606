//! `global` shared with real Erlang nodes: a Rust node joining one and two `erl` nodes leaves
//! `global:sync()` returning within 5 s on every one of them (and they still sync with each
//! other); names registered on either side are visible on both, `global:send` reaches a Rust
//! process, and names go when their process exits or their node goes down. Every wait polls a
//! condition with a deadline.

use crate::common;
use crate::common::wait::eventually;

use std::time::Duration;

use ergo::runtime::global::{Global, GlobalError};
use ergo::{Atom, Dest, DistOptions, Node, NodeOptions, Term};

const DEADLINE: Duration = Duration::from_secs(20);

use common::ErlNode;

async fn start_erl(cookie: &str) -> ErlNode {
    ErlNode::start("gl_erl", cookie, &["interop/global_side.erl"], &[]).await
}

async fn rust_node(cookie: &str) -> Node {
    rust_node_named(cookie, "gl_rust").await
}

/// A Rust node whose name starts with `prefix` (node names order who resolves name clashes).
async fn rust_node_named(cookie: &str, prefix: &str) -> Node {
    common::dist_node(prefix, cookie).await
}

async fn erl_call(node: &Node, erl: &ErlNode, request: Term) -> Term {
    let ctl = Dest::Remote {
        name: Atom::new("global_ctl"),
        node: Atom::new(&erl.name),
    };
    node.call_timeout::<Term>(ctl, request, Duration::from_secs(10))
        .await
        .expect("global_ctl answers")
}

fn req(tag: &str, args: Vec<Term>) -> Term {
    let mut items = vec![Term::atom(tag)];
    items.extend(args);
    Term::tuple(items)
}

/// `global:sync()` on `erl` returned within 5 s.
async fn assert_erl_syncs(node: &Node, erl: &ErlNode) {
    let answer = erl_call(node, erl, Term::atom("sync")).await;
    match answer.as_tuple() {
        Some([ok, Term::Int(ms)]) if ok.is_atom("ok") => {
            eprintln!("global:sync() on {} returned in {ms} ms", erl.name);
            assert!(*ms < 5000, "global:sync() on {} took {ms} ms", erl.name)
        }
        _ => panic!(
            "global:sync() on {} did not return in 5 s: {answer}",
            erl.name
        ),
    }
}

fn atoms(names: &[&str]) -> Term {
    let mut v: Vec<Term> = names.iter().map(|n| Term::atom(n)).collect();
    v.sort();
    Term::list(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_sync_returns_with_one_and_two_erlang_nodes() {
    if !common::require_erl("global_sync_returns_with_one_and_two_erlang_nodes") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("glcookie");
    let node = rust_node(&cookie).await;
    let global = node
        .global()
        .await
        .expect("global runs on a published node");
    let e1 = start_erl(&cookie).await;
    let e2 = start_erl(&cookie).await;

    // One Erlang node.
    node.connect(&e1.name).await.expect("connect e1");
    assert_erl_syncs(&node, &e1).await;
    assert!(
        global.sync(Duration::from_secs(5)).await,
        "Rust side synced"
    );
    assert_eq!(global.synced_nodes(), vec![Atom::new(&e1.name)]);

    // A second one, not connected to the first, connecting to us: global connects them
    // through us.
    assert_eq!(
        erl_call(
            &node,
            &e2,
            req("connect", vec![Term::atom(node.name().as_str())])
        )
        .await,
        Term::atom("true")
    );
    assert_erl_syncs(&node, &e2).await;
    assert_erl_syncs(&node, &e1).await;
    assert!(
        global.sync(Duration::from_secs(5)).await,
        "Rust side synced"
    );
    let rust = node.name().as_str().to_string();
    eventually(
        "each Erlang node has synced with the other two",
        DEADLINE,
        || async {
            erl_call(&node, &e1, Term::atom("synced")).await == atoms(&[&rust, &e2.name])
                && erl_call(&node, &e2, Term::atom("synced")).await == atoms(&[&rust, &e1.name])
        },
    )
    .await;
    assert_eq!(
        erl_call(&node, &e1, Term::atom("nodes")).await,
        atoms(&[&rust, &e2.name])
    );
    assert_erl_syncs(&node, &e1).await;
    assert_erl_syncs(&node, &e2).await;
    let mut synced = global.synced_nodes();
    synced.sort();
    let mut expected = vec![Atom::new(&e1.name), Atom::new(&e2.name)];
    expected.sort();
    assert_eq!(synced, expected);

    // A disconnect (global on e1 then has e2 drop us too, against overlapping partitions) and
    // a reconnect: everyone syncs again.
    assert!(node.disconnect(&e1.name));
    eventually(
        "the Rust node is out of e1's synced list",
        DEADLINE,
        || async { erl_call(&node, &e1, Term::atom("synced")).await == atoms(&[&e2.name]) },
    )
    .await;
    node.connect(&e1.name).await.expect("reconnect e1");
    assert_erl_syncs(&node, &e1).await;
    assert!(
        global.sync(Duration::from_secs(5)).await,
        "Rust side synced again"
    );
    eventually("all three synced again", DEADLINE, || async {
        erl_call(&node, &e1, Term::atom("synced")).await == atoms(&[&rust, &e2.name])
            && erl_call(&node, &e2, Term::atom("synced")).await == atoms(&[&rust, &e1.name])
    })
    .await;
    assert_erl_syncs(&node, &e2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_names_are_shared_both_ways() {
    if !common::require_erl("global_names_are_shared_both_ways") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("glnames");
    let node = rust_node(&cookie).await;
    let global: Global = node.global().await.expect("global");
    let e1 = start_erl(&cookie).await;
    let e2 = start_erl(&cookie).await;
    let rust = node.name().as_str().to_string();

    // Before anyone connects: a name on e1, a name on the Rust node.
    let registered = erl_call(&node, &e1, req("register", vec![Term::atom("early_erl")])).await;
    let Some([yes, Term::Pid(early_erl)]) = registered.as_tuple() else {
        panic!("register on e1: {registered}");
    };
    assert!(yes.is_atom("yes"));
    let early_erl = early_erl.clone();
    let (early_rust, _early_rx) = common::forwarder(&node, false);
    global
        .register_name(Term::atom("early_rust"), &early_rust)
        .await
        .expect("register alone");
    assert_eq!(
        global.whereis_name(Term::atom("early_rust")),
        Some(early_rust.clone())
    );

    // e1 and e2 form a cluster; the Rust node joins through e1.
    assert_eq!(
        erl_call(&node, &e1, req("connect", vec![Term::atom(&e2.name)])).await,
        Term::atom("true")
    );
    assert_erl_syncs(&node, &e1).await;
    node.connect(&e1.name).await.expect("connect e1");
    assert_erl_syncs(&node, &e1).await;
    assert_erl_syncs(&node, &e2).await;
    assert!(
        global.sync(Duration::from_secs(5)).await,
        "Rust side synced"
    );

    // The names exchanged at connect time.
    assert_eq!(
        global.whereis_name(Term::atom("early_erl")),
        Some(early_erl.clone())
    );
    for erl in [&e1, &e2] {
        eventually(
            "early_rust is seen on every Erlang node",
            DEADLINE,
            || async {
                erl_call(&node, erl, req("whereis", vec![Term::atom("early_rust")])).await
                    == Term::Pid(early_rust.clone())
            },
        )
        .await;
    }

    // Registered in Erlang, seen from Rust.
    let registered = erl_call(&node, &e2, req("register", vec![Term::atom("from_erl")])).await;
    let Some([yes, Term::Pid(from_erl)]) = registered.as_tuple() else {
        panic!("register on e2: {registered}");
    };
    assert!(yes.is_atom("yes"));
    let from_erl = from_erl.clone();
    eventually("from_erl is seen from Rust", DEADLINE, || async {
        global.whereis_name(Term::atom("from_erl")) == Some(from_erl.clone())
    })
    .await;

    // Registered from Rust, seen in Erlang, and global:send reaches it.
    let (from_rust, mut inbox) = common::forwarder(&node, false);
    global
        .register_name(Term::atom("from_rust"), &from_rust)
        .await
        .expect("register from Rust");
    for erl in [&e1, &e2] {
        assert_eq!(
            erl_call(&node, erl, req("whereis", vec![Term::atom("from_rust")])).await,
            Term::Pid(from_rust.clone())
        );
    }
    let sent = erl_call(
        &node,
        &e2,
        req(
            "send",
            vec![
                Term::atom("from_rust"),
                Term::tuple(vec![Term::atom("hello"), Term::atom("rust")]),
            ],
        ),
    )
    .await;
    assert_eq!(sent, Term::Pid(from_rust.clone()));
    let got = tokio::time::timeout(DEADLINE, inbox.recv())
        .await
        .expect("global:send arrives in time");
    assert_eq!(
        got,
        Some(Term::tuple(vec![Term::atom("hello"), Term::atom("rust")]))
    );
    assert_eq!(
        global
            .send(Term::atom("from_erl"), Term::atom("hi"))
            .expect("send"),
        from_erl
    );

    // Clashes and misuse answer as global does.
    assert!(matches!(
        global
            .register_name(Term::atom("from_erl"), &from_rust)
            .await,
        Err(GlobalError::Taken)
    ));
    let (other, _other_rx) = common::forwarder(&node, false);
    assert!(matches!(
        global.register_name(Term::atom("from_erl"), &other).await,
        Err(GlobalError::Taken)
    ));
    let taken = erl_call(&node, &e1, req("register", vec![Term::atom("from_rust")])).await;
    assert!(
        matches!(taken.as_tuple(), Some([no, _]) if no.is_atom("no")),
        "{taken}"
    );
    assert!(matches!(
        global.send(Term::atom("nobody"), Term::atom("hi")),
        Err(GlobalError::NotRegistered(_))
    ));

    // A Rust registered process that exits is unregistered everywhere.
    node.exit(node.outside_pid(), &from_rust, Term::atom("kill"));
    eventually("from_rust is gone everywhere", DEADLINE, || async {
        global.whereis_name(Term::atom("from_rust")).is_none()
            && erl_call(&node, &e1, req("whereis", vec![Term::atom("from_rust")])).await
                == Term::atom("undefined")
            && erl_call(&node, &e2, req("whereis", vec![Term::atom("from_rust")])).await
                == Term::atom("undefined")
    })
    .await;

    // An Erlang registered process that exits.
    erl_call(&node, &e2, req("kill", vec![Term::Pid(from_erl.clone())])).await;
    eventually("from_erl is gone from Rust", DEADLINE, || async {
        global.whereis_name(Term::atom("from_erl")).is_none()
    })
    .await;

    // Unregistering from Rust.
    global
        .unregister_name(Term::atom("early_rust"))
        .await
        .expect("unregister");
    assert_eq!(global.whereis_name(Term::atom("early_rust")), None);
    for erl in [&e1, &e2] {
        assert_eq!(
            erl_call(&node, erl, req("whereis", vec![Term::atom("early_rust")])).await,
            Term::atom("undefined")
        );
    }

    // A node that goes down takes its names with it.
    let registered = erl_call(&node, &e2, req("register", vec![Term::atom("on_e2")])).await;
    let Some([_, Term::Pid(on_e2)]) = registered.as_tuple() else {
        panic!("register on e2: {registered}");
    };
    let on_e2 = on_e2.clone();
    eventually("on_e2 is seen from Rust", DEADLINE, || async {
        global.whereis_name(Term::atom("on_e2")) == Some(on_e2.clone())
    })
    .await;
    drop(e2);
    eventually("on_e2 is gone with its node", DEADLINE, || async {
        global.whereis_name(Term::atom("on_e2")).is_none()
            && erl_call(&node, &e1, req("whereis", vec![Term::atom("on_e2")])).await
                == Term::atom("undefined")
    })
    .await;
    assert_eq!(
        erl_call(&node, &e1, Term::atom("names")).await,
        Term::list(vec![Term::atom("early_erl")])
    );
    let _ = rust;
}

/// The same name registered on both sides of a new connection: as with `random_exit_name`, the
/// pid on the node with the smaller name keeps it and the other process is killed, whichever
/// side resolves (the Rust node when its name is the smaller, the Erlang node otherwise).
async fn clash(prefix: &str, rust_wins: bool) {
    common::ensure_system_epmd();
    let cookie = common::unique_name("glclash");
    let node = rust_node_named(&cookie, prefix).await;
    let global = node.global().await.expect("global");
    let erl = start_erl(&cookie).await;
    assert_eq!(node.name() < &Atom::new(&erl.name), rust_wins);
    let (ours, _rx) = common::forwarder(&node, false);
    global
        .register_name(Term::atom("clash"), &ours)
        .await
        .expect("register alone");
    let registered = erl_call(&node, &erl, req("register", vec![Term::atom("clash")])).await;
    let Some([yes, Term::Pid(theirs)]) = registered.as_tuple() else {
        panic!("register on erl: {registered}");
    };
    assert!(yes.is_atom("yes"));
    let theirs = theirs.clone();
    node.connect(&erl.name).await.expect("connect");
    assert_erl_syncs(&node, &erl).await;
    assert!(
        global.sync(Duration::from_secs(5)).await,
        "Rust side synced"
    );
    let (winner, loser) = if rust_wins {
        (ours.clone(), theirs.clone())
    } else {
        (theirs.clone(), ours.clone())
    };
    eventually("both sides agree on the clash winner", DEADLINE, || async {
        global.whereis_name(Term::atom("clash")) == Some(winner.clone())
            && erl_call(&node, &erl, req("whereis", vec![Term::atom("clash")])).await
                == Term::Pid(winner.clone())
    })
    .await;
    if rust_wins {
        // The Erlang loser was killed: global:send to its pid's name is gone, the pid is dead.
        eventually("the Erlang loser is dead", DEADLINE, || async {
            erl_call(&node, &erl, req("alive", vec![Term::Pid(loser.clone())])).await
                == Term::atom("false")
        })
        .await;
    } else {
        eventually("the Rust loser is dead", DEADLINE, || async {
            !node.is_alive(&loser)
        })
        .await;
    }
    assert!(node.is_alive(&ours) == rust_wins);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_clash_resolved_by_the_rust_node() {
    if !common::require_erl("name_clash_resolved_by_the_rust_node") {
        return;
    }
    clash("gl_a_rust", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_clash_resolved_by_the_erlang_node() {
    if !common::require_erl("name_clash_resolved_by_the_erlang_node") {
        return;
    }
    clash("gl_z_rust", false).await;
}

/// Two Rust nodes sync with each other (each side's locker takes the lock in turn), share
/// names, and an Erlang node joining one of them syncs with both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rust_nodes_sync_and_an_erlang_node_joins() {
    if !common::require_erl("two_rust_nodes_sync_and_an_erlang_node_joins") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("glrr");
    let a = rust_node(&cookie).await;
    let b = rust_node(&cookie).await;
    let ga = a.global().await.expect("global a");
    let gb = b.global().await.expect("global b");
    let (on_a, _rx_a) = common::forwarder(&a, false);
    ga.register_name(Term::atom("on_a"), &on_a)
        .await
        .expect("register on a");
    a.connect(b.name().as_str()).await.expect("connect");
    assert!(ga.sync(Duration::from_secs(5)).await, "a synced with b");
    assert!(gb.sync(Duration::from_secs(5)).await, "b synced with a");
    assert_eq!(gb.whereis_name(Term::atom("on_a")), Some(on_a.clone()));
    let (on_b, _rx_b) = common::forwarder(&b, false);
    gb.register_name(Term::atom("on_b"), &on_b)
        .await
        .expect("register on b");
    assert_eq!(ga.whereis_name(Term::atom("on_b")), Some(on_b.clone()));

    let e1 = start_erl(&cookie).await;
    assert_eq!(
        erl_call(&a, &e1, req("connect", vec![Term::atom(a.name().as_str())])).await,
        Term::atom("true")
    );
    assert_erl_syncs(&a, &e1).await;
    let b_name = b.name().as_str().to_string();
    let a_name = a.name().as_str().to_string();
    eventually("e1 synced with both Rust nodes", DEADLINE, || async {
        erl_call(&a, &e1, Term::atom("synced")).await == atoms(&[&a_name, &b_name])
    })
    .await;
    assert_erl_syncs(&a, &e1).await;
    assert!(ga.sync(Duration::from_secs(5)).await, "a synced");
    assert!(gb.sync(Duration::from_secs(5)).await, "b synced");
    for name in ["on_a", "on_b"] {
        let expected = if name == "on_a" { &on_a } else { &on_b };
        assert_eq!(
            erl_call(&a, &e1, req("whereis", vec![Term::atom(name)])).await,
            Term::Pid(expected.clone())
        );
    }
    b.exit(b.outside_pid(), &on_b, Term::atom("kill"));
    eventually("on_b is gone everywhere", DEADLINE, || async {
        ga.whereis_name(Term::atom("on_b")).is_none()
            && gb.whereis_name(Term::atom("on_b")).is_none()
            && erl_call(&a, &e1, req("whereis", vec![Term::atom("on_b")])).await
                == Term::atom("undefined")
    })
    .await;
}

/// Two Erlang nodes connecting to the Rust node at the same time (their lockers and ours
/// compete for the lock on this node): every node still syncs within 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joins_sync() {
    if !common::require_erl("concurrent_joins_sync") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("glconc");
    let node = rust_node(&cookie).await;
    let global = node.global().await.expect("global");
    let e1 = start_erl(&cookie).await;
    let e2 = start_erl(&cookie).await;
    let me = Term::atom(node.name().as_str());
    let (r1, r2) = tokio::join!(
        erl_call(&node, &e1, req("connect", vec![me.clone()])),
        erl_call(&node, &e2, req("connect", vec![me.clone()])),
    );
    assert_eq!((r1, r2), (Term::atom("true"), Term::atom("true")));
    let (s1, s2) = tokio::join!(assert_erl_syncs(&node, &e1), assert_erl_syncs(&node, &e2));
    let _ = (s1, s2);
    assert!(
        global.sync(Duration::from_secs(5)).await,
        "Rust side synced"
    );
    let rust = node.name().as_str().to_string();
    eventually("every node synced with the other two", DEADLINE, || async {
        erl_call(&node, &e1, Term::atom("synced")).await == atoms(&[&rust, &e2.name])
            && erl_call(&node, &e2, Term::atom("synced")).await == atoms(&[&rust, &e1.name])
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_nodes_run_no_global() {
    if !common::require_erl("hidden_nodes_run_no_global") {
        return;
    }
    common::ensure_system_epmd();
    let node = common::start_dist(
        "gl_hidden",
        NodeOptions {
            cookie: "hidden".into(),
            ..NodeOptions::default()
        },
        DistOptions {
            hidden: true,
            ..DistOptions::default()
        },
    )
    .await;
    assert!(matches!(node.global().await, Err(GlobalError::NotRunning)));
}
