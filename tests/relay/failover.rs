//! Two relays: members keep both; stopping the one their routes go through mid-traffic moves
//! the routes to the other; what was in flight across gets `noconnection`, later calls work.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use ergo::relay::RelayEvent;
use ergo::{Atom, Dest, SpawnOptions, Term};

use crate::common::wait::{next_within, wait_until_within};
use crate::common::{self, Echo};
use crate::support::{self, DEADLINE, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_relay_takes_over_when_the_first_stops() {
    let cluster = support::cluster("rf");
    let r1 = support::relay(&[(&cluster, SECRET)]).await;
    let r2 = support::relay(&[(&cluster, SECRET)]).await;
    let both = vec![support::address(&r1), support::address(&r2)];
    let options = || {
        let mut o = support::member_options(both.clone(), SECRET);
        o.connect_members = false;
        o
    };
    let mut a = support::join("a", &cluster, options()).await;
    let b = support::join("b", &cluster, options()).await;
    for m in [&a, &b] {
        wait_until_within("both relays up", DEADLINE, || {
            m.membership.relays_up().len() == 2
        })
        .await;
    }
    let b_name = b.node.name().as_str().to_string();
    wait_until_within("a knows b", DEADLINE, || {
        a.membership.members() == vec![b.node.name().clone()]
    })
    .await;
    let first = a.membership.route_of(&b_name).expect("a route to b");
    let (used, spare) = if first == support::address(&r1) {
        (&r1, &r2)
    } else {
        (&r2, &r1)
    };

    b.node
        .start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let echo = Dest::Remote {
        name: Atom::new("echo"),
        node: b.node.name().clone(),
    };
    let reply: Term = a.node.call(echo.clone(), Term::Int(1)).await.expect("call");
    assert_eq!(reply, Term::Int(1));

    // A monitor across, in place when the relay goes.
    let (watcher, mut watched) = common::forwarder(&a.node, false);
    let (victim, _victim_rx) = common::forwarder(&b.node, false);
    let mref = a.node.monitor(&watcher, &Dest::Pid(victim.clone()));
    wait_until_within("the monitor reaches b", DEADLINE, || {
        b.node
            .process_info(&victim)
            .map(|i| !i.monitored_by.is_empty())
            .unwrap_or(false)
    })
    .await;

    // Traffic while the relay stops: a caller keeps calling b.
    let caller_node = a.node.clone();
    let caller_echo = echo.clone();
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let answered = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&answered);
    let traffic = tokio::spawn(async move {
        let mut failed = 0u32;
        loop {
            if stop_rx.try_recv().is_ok() {
                return failed;
            }
            match caller_node
                .call::<Term>(caller_echo.clone(), Term::Int(2))
                .await
            {
                Ok(_) => {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    failed += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
    });
    wait_until_within("calls flow", DEADLINE, || {
        answered.load(Ordering::Relaxed) >= 10
    })
    .await;
    used.stop();
    let before = answered.load(Ordering::Relaxed);

    support::event_where(
        &mut a.events,
        "the relay going down",
        |e| matches!(e, RelayEvent::RelayDown { relay, .. } if *relay == first),
    )
    .await;
    let down = next_within(&mut watched, DEADLINE).await;
    assert_eq!(
        down,
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(mref),
            Term::atom("process"),
            Term::Pid(victim.clone()),
            Term::atom("noconnection"),
        ])
    );
    let moved = support::address(spare);
    wait_until_within("the route moves to the other relay", DEADLINE, || {
        a.membership.route_of(&b_name).as_deref() == Some(moved.as_str())
    })
    .await;
    assert_eq!(a.membership.members(), vec![b.node.name().clone()]);
    // b stayed a member throughout: no member_left on a.
    while let Ok(event) = a.events.try_recv() {
        assert!(!matches!(event, RelayEvent::MemberLeft { .. }), "{event:?}");
    }
    // Calls work again, through the second relay.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match a.node.call::<Term>(echo.clone(), Term::Int(3)).await {
            Ok(reply) => {
                assert_eq!(reply, Term::Int(3));
                break;
            }
            Err(err) if tokio::time::Instant::now() < deadline => {
                pause_before_retry(&err).await;
            }
            Err(err) => panic!("no call through the second relay within {DEADLINE:?}: {err:?}"),
        }
    }
    assert!(spare.node().proxy_tunnels() >= 1);
    wait_until_within("the caller's calls flow again", DEADLINE, || {
        answered.load(Ordering::Relaxed) >= before + 10
    })
    .await;
    let _ = stop_tx.send(());
    traffic.await.expect("caller");
    for n in [&a.node, &b.node, spare.node()] {
        n.stop();
    }
}

/// A short pause between retries of a call that failed while the route moved.
async fn pause_before_retry(_err: &ergo::CallError) {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_reconnect_when_their_relay_comes_back() {
    let cluster = support::cluster("rb");
    let relay = support::relay(&[(&cluster, SECRET)]).await;
    let port = relay.address().port();
    let through = || support::member_options(vec![support::address(&relay)], SECRET);
    let mut a = support::join("a", &cluster, through()).await;
    let b = support::join("b", &cluster, through()).await;
    b.node
        .start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    wait_until_within("a knows b", DEADLINE, || {
        a.membership.members() == vec![b.node.name().clone()]
    })
    .await;
    relay.stop();
    support::event_where(&mut a.events, "the relay going down", |e| {
        matches!(e, RelayEvent::RelayDown { .. })
    })
    .await;
    let left = b.node.name().clone();
    support::event_where(&mut a.events, "b unreachable", |e| {
        *e == RelayEvent::MemberLeft { node: left.clone() }
    })
    .await;
    assert!(a.node.proxy_routes().is_empty());
    // While it is away, attempts fail and are reported (and retried with backoff).
    support::event_where(&mut a.events, "a failed attempt", |e| {
        matches!(e, RelayEvent::RelayRefused { .. })
    })
    .await;

    // The relay comes back on the same address: both members are admitted again, routes return.
    let again = support::relay_on(port, &[(&cluster, SECRET)]).await;
    support::event_where(&mut a.events, "the relay up again", |e| {
        matches!(e, RelayEvent::RelayUp { .. })
    })
    .await;
    support::event_where(
        &mut a.events,
        "b reachable again",
        |e| matches!(e, RelayEvent::MemberJoined { node, .. } if *node == left),
    )
    .await;
    let echo = Dest::Remote {
        name: Atom::new("echo"),
        node: b.node.name().clone(),
    };
    let reply: Term = a.node.call(echo, Term::Int(9)).await.expect("call");
    assert_eq!(reply, Term::Int(9));
    for n in [&a.node, &b.node, again.node()] {
        n.stop();
    }
}
