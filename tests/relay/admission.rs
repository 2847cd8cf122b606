//! Admission: a wrong secret, an unknown cluster, a taken name and garbage are refused (each
//! counted by reason at the relay, only that connection closed, the members admitted
//! unaffected); a proof replayed in another TLS session is refused.

use std::sync::Arc;

use ergo::relay::admission::{self, Admission};
use ergo::relay::RelayEvent;
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::wait::wait_until_within;
use crate::support::{self, DEADLINE, SECRET};

fn refused(relay: &ergo::relay::Relay, kind: &str) -> u64 {
    relay.stats().refused.get(kind).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secrets_unknown_clusters_taken_names_and_garbage_are_refused() {
    let cluster = support::cluster("ra");
    let relay = support::relay(&[(&cluster, SECRET)]).await;
    let address = support::address(&relay);
    let good = support::join(
        "good",
        &cluster,
        support::member_options(vec![address.clone()], SECRET),
    )
    .await;
    wait_until_within("the good member is admitted", DEADLINE, || {
        relay.members(&cluster) == vec![good.node.name().clone()]
    })
    .await;

    // A wrong secret.
    let mut wrong = support::join(
        "wrong",
        &cluster,
        support::member_options(vec![address.clone()], "not the secret"),
    )
    .await;
    let event = support::event_where(&mut wrong.events, "a refusal", |e| {
        matches!(e, RelayEvent::RelayRefused { .. })
    })
    .await;
    assert!(
        matches!(&event, RelayEvent::RelayRefused { reason, .. } if reason.contains("authentication failed")),
        "{event:?}"
    );
    wait_until_within("counted as a wrong secret", DEADLINE, || {
        refused(&relay, "wrong_secret") >= 1
    })
    .await;

    // An unknown cluster (the member hears the same as for a wrong secret).
    let mut stranger = support::join(
        "stranger",
        &support::cluster("nocluster"),
        support::member_options(vec![address.clone()], SECRET),
    )
    .await;
    let event = support::event_where(&mut stranger.events, "a refusal", |e| {
        matches!(e, RelayEvent::RelayRefused { .. })
    })
    .await;
    assert!(
        matches!(&event, RelayEvent::RelayRefused { reason, .. } if reason.contains("authentication failed")),
        "{event:?}"
    );
    wait_until_within("counted as an unknown cluster", DEADLINE, || {
        refused(&relay, "unknown_cluster") >= 1
    })
    .await;

    // A second node claiming the good member's name.
    let options = ergo::NodeOptions {
        cookie: support::COOKIE.into(),
        ..ergo::NodeOptions::default()
    };
    let twin = ergo::Node::start_distributed(
        good.node.name().as_str(),
        options,
        crate::common::loopback(ergo::DistOptions::default()),
    )
    .await
    .expect("twin");
    twin.join_relays(support::member_options(vec![address.clone()], SECRET))
        .await
        .expect("join");
    wait_until_within("counted as a taken name", DEADLINE, || {
        refused(&relay, "name_taken") >= 1
    })
    .await;

    // Garbage: not TLS at all, and TLS carrying no admission message.
    let mut raw = TcpStream::connect(relay.address()).await.expect("tcp");
    raw.write_all(b"GET / HTTP/1.0\r\n\r\n")
        .await
        .expect("write");
    wait_until_within("counted as a TLS failure", DEADLINE, || {
        refused(&relay, "tls") >= 1
    })
    .await;
    let mut tls = tls_to(&relay).await;
    tls.write_all(&[0, 5, 1, 2, 3, 4, 5]).await.expect("write");
    tls.flush().await.expect("flush");
    wait_until_within("counted as garbage", DEADLINE, || {
        refused(&relay, "garbage") >= 1
    })
    .await;

    // Nothing of that touched the member admitted.
    assert_eq!(relay.members(&cluster), vec![good.node.name().clone()]);
    assert_eq!(good.membership.relays_up(), vec![address]);
    assert_eq!(relay.stats().admitted, 1);
    for n in [&good.node, &wrong.node, &stranger.node, &twin, relay.node()] {
        n.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_proof_is_refused() {
    let cluster = support::cluster("rr");
    let relay = support::relay(&[(&cluster, SECRET)]).await;
    let name = format!("{}@{cluster}", crate::common::unique_name("replay"));

    // A first session's genuine proof (the relay welcomes it).
    let mut first = tls_to(&relay).await;
    let exporter = admission::exporter(first.get_ref().1).expect("exporter");
    let hello = Admission::Hello {
        cluster: cluster.clone(),
        name: name.clone(),
    };
    admission::write_message(&mut first, &hello)
        .await
        .expect("hello");
    let Admission::Challenge { nonce, .. } = admission::read_message(&mut first, DEADLINE)
        .await
        .expect("challenge")
    else {
        panic!("no challenge");
    };
    let proof = admission::proof(SECRET.as_bytes(), &exporter, &nonce, &cluster, &name);
    admission::write_message(&mut first, &Admission::Proof { mac: proof })
        .await
        .expect("proof");
    assert_eq!(
        admission::read_message(&mut first, DEADLINE)
            .await
            .expect("answer"),
        Admission::Welcome
    );
    drop(first);
    wait_until_within("the abandoned admission frees the name", DEADLINE, || {
        refused(&relay, "handshake") >= 1
    })
    .await;

    // The same proof in a second session: refused.
    let mut second = tls_to(&relay).await;
    admission::write_message(&mut second, &hello)
        .await
        .expect("hello");
    let Admission::Challenge { nonce: nonce2, .. } = admission::read_message(&mut second, DEADLINE)
        .await
        .expect("challenge")
    else {
        panic!("no challenge");
    };
    assert_ne!(nonce, nonce2, "every challenge is fresh");
    admission::write_message(&mut second, &Admission::Proof { mac: proof })
        .await
        .expect("proof");
    assert_eq!(
        admission::read_message(&mut second, DEADLINE)
            .await
            .expect("answer"),
        Admission::Refused {
            reason: "authentication failed".into()
        }
    );
    // Nor does the first session's exporter with the new nonce do.
    let mut third = tls_to(&relay).await;
    admission::write_message(&mut third, &hello)
        .await
        .expect("hello");
    let Admission::Challenge { nonce: nonce3, .. } = admission::read_message(&mut third, DEADLINE)
        .await
        .expect("challenge")
    else {
        panic!("no challenge");
    };
    let stale = admission::proof(SECRET.as_bytes(), &exporter, &nonce3, &cluster, &name);
    admission::write_message(&mut third, &Admission::Proof { mac: stale })
        .await
        .expect("proof");
    assert_eq!(
        admission::read_message(&mut third, DEADLINE)
            .await
            .expect("answer"),
        Admission::Refused {
            reason: "authentication failed".into()
        }
    );
    assert_eq!(refused(&relay, "wrong_secret"), 2);
    assert!(relay.members(&cluster).is_empty());
    relay.node().stop();
}

/// A TLS session to the relay (its self-signed certificate accepted as is).
async fn tls_to(relay: &ergo::relay::Relay) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(relay.address()).await.expect("tcp");
    tokio_rustls::TlsConnector::from(Arc::new(crate::common::tls::trust_any_server()))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("tls")
}
