//! Clusters added and removed while the relay runs: a member of a cluster the relay does not
//! serve is refused until the cluster is added, then admitted on its next retry; removing a
//! cluster disconnects its members (they see the relay go down and are refused from then on)
//! and leaves the other clusters' members connected.

use ergo::relay::{RelayCluster, RelayEvent};

use crate::common::wait::wait_until_within;
use crate::support::{self, DEADLINE, SECRET};

fn refused(relay: &ergo::relay::Relay, kind: &str) -> u64 {
    relay.stats().refused.get(kind).copied().unwrap_or(0)
}

fn cluster(name: &str, secret: &str) -> RelayCluster {
    RelayCluster {
        name: name.to_string(),
        secret: secret.as_bytes().to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_are_added_and_removed_without_a_restart() {
    let kept = support::cluster("rk");
    let added = support::cluster("rn");
    let relay = support::relay(&[(&kept, SECRET)]).await;
    let address = support::address(&relay);
    let through = || support::member_options(vec![address.clone()], SECRET);

    let stay = support::join("stay", &kept, through()).await;
    let mut first = support::join("first", &added, through()).await;
    support::event_where(&mut first.events, "a refusal", |e| {
        matches!(e, RelayEvent::RelayRefused { .. })
    })
    .await;
    wait_until_within("counted as an unknown cluster", DEADLINE, || {
        refused(&relay, "unknown_cluster") >= 1
    })
    .await;
    assert!(relay.members(&added).is_empty());

    // Added: the refused member gets in on its next retry, and another joins.
    relay
        .add_cluster(cluster(&added, SECRET))
        .expect("the cluster is added");
    assert_eq!(relay.clusters().len(), 2, "{:?}", relay.clusters());
    assert!(
        relay
            .add_cluster(cluster(&added, "another secret"))
            .is_err(),
        "a cluster is added once"
    );
    assert!(
        relay.add_cluster(cluster("", SECRET)).is_err(),
        "empty name"
    );
    assert!(
        relay.add_cluster(cluster("other", "")).is_err(),
        "empty secret"
    );
    let mut second = support::join("second", &added, through()).await;
    let mut both = vec![first.node.name().clone(), second.node.name().clone()];
    both.sort();
    wait_until_within(
        "both members of the added cluster are admitted",
        DEADLINE,
        || relay.members(&added) == both,
    )
    .await;
    wait_until_within("they know each other", DEADLINE, || {
        first.membership.members() == vec![second.node.name().clone()]
    })
    .await;

    // Removed: its members are disconnected and refused from then on; the other cluster's
    // member stays.
    let refused_before = refused(&relay, "unknown_cluster");
    assert_eq!(relay.remove_cluster(&added), Some(both.clone()));
    assert_eq!(relay.remove_cluster(&added), None, "removed once");
    assert_eq!(relay.clusters(), vec![kept.clone()]);
    for member in [&mut first, &mut second] {
        support::event_where(&mut member.events, "the relay going down", |e| {
            matches!(e, RelayEvent::RelayDown { .. })
        })
        .await;
    }
    wait_until_within("the removed members' retries are refused", DEADLINE, || {
        refused(&relay, "unknown_cluster") >= refused_before + 2
    })
    .await;
    assert!(relay.members(&added).is_empty());
    assert_eq!(relay.members(&kept), vec![stay.node.name().clone()]);
    assert!(relay
        .node()
        .connected_nodes()
        .iter()
        .all(|n| *n != *first.node.name() && *n != *second.node.name()));
    assert_eq!(stay.membership.relays_up(), vec![address.clone()]);
}
