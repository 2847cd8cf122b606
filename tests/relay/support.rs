//! Relays and members for the tests: a relay on 127.0.0.1 with a self-signed certificate, member
//! nodes named `<name>_<unique>@<cluster>` on loopback without EPMD, joined with the
//! `refuse_direct` hook, and their membership events as a channel.

use std::time::Duration;

use ergo::relay::{
    Relay, RelayCluster, RelayEvent, RelayMemberOptions, RelayMembership, RelayOptions, RELAY_EVENT,
};
use ergo::{DistOptions, Node, NodeOptions, SpawnOptions, Term};
use ergo_core::net::{TlsOptions, TlsVerify};
use tokio::sync::mpsc;

use crate::common;

pub const DEADLINE: Duration = Duration::from_secs(20);
pub const SECRET: &str = "the cluster secret";
pub const COOKIE: &str = "members-cookie";

/// A unique cluster name.
pub fn cluster(prefix: &str) -> String {
    common::unique_name(prefix)
}

/// A relay serving `clusters` (name, secret) on 127.0.0.1, any port.
pub async fn relay(clusters: &[(&str, &str)]) -> Relay {
    relay_on(0, clusters).await
}

/// A relay serving `clusters` on 127.0.0.1:`port`.
pub async fn relay_on(port: u16, clusters: &[(&str, &str)]) -> Relay {
    let options = RelayOptions::new(
        ([127, 0, 0, 1], port).into(),
        TlsOptions::self_signed_insecure(),
        clusters
            .iter()
            .map(|(name, secret)| RelayCluster {
                name: name.to_string(),
                secret: secret.as_bytes().to_vec(),
            })
            .collect(),
    );
    Node::start_relay(&common::node_name("relay"), options)
        .await
        .expect("relay starts")
}

/// The address members give for `relay`.
pub fn address(relay: &Relay) -> String {
    format!("localhost:{}", relay.address().port())
}

/// A member node `<name>_<unique>@<cluster>` (published, on loopback, no EPMD).
pub async fn member_node(name: &str, cluster: &str) -> Node {
    let options = NodeOptions {
        cookie: COOKIE.into(),
        ..NodeOptions::default()
    };
    let dist = common::loopback(DistOptions::default());
    let name = format!("{}@{cluster}", common::unique_name(name));
    Node::start_distributed(&name, options, dist)
        .await
        .expect("member node starts")
}

/// Member options through `relays` with `secret`, direct connections refused, quick retries.
pub fn member_options(relays: Vec<String>, secret: &str) -> RelayMemberOptions {
    let mut options = RelayMemberOptions::new(relays, secret, TlsVerify::InsecureSkipVerify);
    options.refuse_direct = true;
    options.backoff_min = Duration::from_millis(50);
    options.backoff_max = Duration::from_millis(500);
    options
}

/// A member that joined, and its membership events from the start.
pub struct Member {
    pub node: Node,
    pub membership: RelayMembership,
    pub events: mpsc::UnboundedReceiver<RelayEvent>,
}

/// Starts a member and joins it with `options`, its events subscribed.
pub async fn join(name: &str, cluster: &str, options: RelayMemberOptions) -> Member {
    let node = member_node(name, cluster).await;
    let membership = node.join_relays(options).await.expect("join");
    let events = subscribe(&node);
    Member {
        node,
        membership,
        events,
    }
}

/// The node's relay membership events, from now on.
pub fn subscribe(node: &Node) -> mpsc::UnboundedReceiver<RelayEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    node.spawn(SpawnOptions::default(), move |mut ctx| async move {
        let subscribed = ctx.node().subscribe_event(ctx.pid(), RELAY_EVENT);
        let _ = ready_tx.send(subscribed.is_ok());
        loop {
            let Ok(message) = ctx.recv_term().await else {
                return Term::atom("normal");
            };
            if let Some([_, _, event]) = message.as_tuple() {
                if let Ok(event) = <RelayEvent as ergo::FromTerm>::from_term(event.clone()) {
                    let _ = tx.send(event);
                }
            }
        }
    })
    .expect("subscriber");
    assert_eq!(ready_rx.recv_timeout(DEADLINE), Ok(true), "subscribed");
    rx
}

/// Waits for the first event `pick` accepts (others are skipped).
pub async fn event_where(
    events: &mut mpsc::UnboundedReceiver<RelayEvent>,
    what: &str,
    mut pick: impl FnMut(&RelayEvent) -> bool,
) -> RelayEvent {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) if pick(&event) => return event,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("events ended while waiting for {what}"),
            Err(_) => panic!("no {what} within {DEADLINE:?}"),
        }
    }
}
