//! The UDP server with raw sockets on loopback.

use crate::common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ergo::servers::{UdpEvent, UdpReplier, UdpServerOptions};
use ergo::{Context, NodeOptions, SpawnOptions, Term};
use tokio::net::UdpSocket;

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn datagrams_come_back_reversed_and_unqueueable_ones_are_counted() {
    let node = common::start_node("udp", NodeOptions::default()).await;
    let reverser = |node: &ergo::Node| {
        node.spawn(SpawnOptions::default(), |mut ctx: Context| async move {
            loop {
                match ctx.recv_as::<UdpEvent>().await {
                    Ok(Ok(UdpEvent { server, peer, data })) => {
                        let mut reversed = data.to_vec();
                        reversed.reverse();
                        let _ = UdpReplier::new(ctx.node(), server).send_to(peer, reversed);
                    }
                    Ok(Err(_)) => {}
                    Err(reason) => return reason,
                }
            }
        })
        .expect("spawn")
    };
    let handlers = vec![reverser(&node), reverser(&node)];
    let mut options = UdpServerOptions::new(0, handlers);
    options.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    options.max_datagram = 100;
    let server = node.start_udp_server(options).await.expect("server");
    let client = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    client.connect(server.local_addr()).await.expect("connect");
    let mut buf = [0u8; 200];
    for text in ["hello", "ab", "x"] {
        client.send(text.as_bytes()).await.expect("send");
        let n = tokio::time::timeout(T, client.recv(&mut buf))
            .await
            .expect("in time")
            .expect("recv");
        let expected: String = text.chars().rev().collect();
        assert_eq!(&buf[..n], expected.as_bytes());
    }
    client.send(&[b'z'; 101]).await.expect("send");
    let s = server.clone();
    common::wait::wait_until("the oversized datagram is counted", move || {
        s.stats().dropped_oversized == 1
    })
    .await;
    assert_eq!(server.stats().sent, 3);

    // A handler that never reads, with room for one datagram: the rest are dropped, counted.
    let (gate_tx, gate_rx) = tokio::sync::oneshot::channel::<()>();
    let stuck = node
        .spawn(
            SpawnOptions {
                mailbox_bound: Some(1),
                ..SpawnOptions::default()
            },
            |_ctx: Context| async move {
                let _ = gate_rx.await;
                Term::atom("normal")
            },
        )
        .expect("spawn");
    let mut options = UdpServerOptions::new(0, vec![stuck]);
    options.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let busy = node.start_udp_server(options).await.expect("server");
    for _ in 0..5 {
        client.send_to(b"d", busy.local_addr()).await.expect("send");
    }
    let s = busy.clone();
    common::wait::wait_until("five datagrams received", move || s.stats().received == 5).await;
    let stats = busy.stats();
    assert_eq!((stats.delivered, stats.dropped_busy), (1, 4), "{stats:?}");
    let _ = gate_tx.send(());
}
