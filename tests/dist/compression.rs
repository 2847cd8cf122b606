//! Compression between ergo-rs nodes: a large compressible message crosses the link compressed
//! (bytes counted by a relay) and arrives intact; incompressible data and per-process `Off` go
//! plain; a corrupt or bomb-like compressed frame closes only that connection; an Erlang peer
//! gets plain messages from a node with compression on.

use crate::common;
use crate::common::wait::next_within;
use crate::relay;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ergo::runtime::dist::handshake::{self, HandshakeOptions, LocalNode};
use ergo::runtime::dist::{Compression, DistFlags};
use ergo::runtime::net::ProcessCompression;
use ergo::{Context, DistOptions, Node, NodeOptions, SpawnOptions, Term};
use relay::Relay;
use tokio::io::AsyncWriteExt;

const DEADLINE: Duration = Duration::from_secs(20);

async fn node(prefix: &str, compression: Option<Compression>) -> Node {
    let dist = DistOptions {
        compression,
        ..DistOptions::default()
    };
    common::start_loopback(prefix, "compression", dist).await
}

fn compressible(len: usize) -> Vec<u8> {
    b"The quick brown fox jumps over the lazy dog. "
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A node A (with `compression`) reaching node B through a counting relay.
async fn linked(compression: Option<Compression>) -> (Node, Node, Relay) {
    let a = node("cmp_a", compression).await;
    let b = node("cmp_b", None).await;
    let relay = Relay::start(([127, 0, 0, 1], b.dist_port().expect("port")).into(), None)
        .await
        .expect("relay");
    a.add_static_route(b.name().as_str(), relay.addr)
        .expect("route");
    a.connect(b.name().as_str()).await.expect("connect");
    (a, b, relay)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressible_messages_cross_compressed_and_arrive_intact() {
    let (a, b, relay) = linked(Some(Compression::default())).await;
    let (pid, mut rx) = common::forwarder(&b, false);
    let data = compressible(1 << 20);
    let before = relay.forward.load(Ordering::Relaxed);
    a.send(pid.clone(), Term::binary(data.clone()))
        .expect("send");
    assert_eq!(next_within(&mut rx, DEADLINE).await, Term::binary(data));
    let wire = relay.forward.load(Ordering::Relaxed) - before;
    assert!(
        wire < 64 << 10,
        "1 MiB of text took {wire} bytes on the wire"
    );
    // Random bytes do not shrink: they go plain.
    let random = noise(1 << 20);
    let before = relay.forward.load(Ordering::Relaxed);
    a.send(pid.clone(), Term::binary(random.clone()))
        .expect("send");
    assert_eq!(next_within(&mut rx, DEADLINE).await, Term::binary(random));
    let wire = relay.forward.load(Ordering::Relaxed) - before;
    assert!(wire > 1 << 20, "random bytes went plain ({wire} bytes)");
    // Small messages go plain, and arrive.
    a.send(pid, Term::atom("small")).expect("send");
    assert_eq!(next_within(&mut rx, DEADLINE).await, Term::atom("small"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_can_opt_out_and_another_opt_in() {
    let (a, b, relay) = linked(None).await;
    let (target, mut rx) = common::forwarder(&b, false);
    let data = compressible(512 << 10);
    let sender = |setting: ProcessCompression| {
        let (target, data) = (target.clone(), data.clone());
        a.spawn(SpawnOptions::default(), move |ctx: Context| async move {
            ctx.set_compression(setting);
            let _ = ctx.send(target, Term::binary(data));
            Term::atom("normal")
        })
        .expect("spawn")
    };
    // Node default off; a process turns it on.
    let before = relay.forward.load(Ordering::Relaxed);
    sender(ProcessCompression::On(Compression {
        level: 1,
        threshold: 1024,
    }));
    assert_eq!(
        next_within(&mut rx, DEADLINE).await,
        Term::binary(data.clone())
    );
    assert!(relay.forward.load(Ordering::Relaxed) - before < 64 << 10);
    // And one that stays off.
    let before = relay.forward.load(Ordering::Relaxed);
    sender(ProcessCompression::Off);
    assert_eq!(
        next_within(&mut rx, DEADLINE).await,
        Term::binary(data.clone())
    );
    assert!(relay.forward.load(Ordering::Relaxed) - before > 512 << 10);
}

/// A raw ergo-like peer that negotiates compression, then sends one frame.
async fn rogue_sends(target: &Node, frame: &[u8]) {
    let name = format!("{}@localhost", common::unique_name("rogue"));
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", target.dist_port().expect("port")))
        .await
        .expect("dial");
    let local = LocalNode::new(name.as_str(), 9, false);
    assert!(local.flags.contains(DistFlags::ERGO_COMPRESSION));
    let mut done = handshake::initiate(
        stream,
        &local,
        target.name().as_str(),
        "compression",
        &HandshakeOptions::default(),
    )
    .await
    .expect("handshake");
    assert!(done.flags.contains(DistFlags::ERGO_COMPRESSION));
    let deadline = Instant::now() + DEADLINE;
    while !target.connected_nodes().iter().any(|n| n.as_str() == name) {
        assert!(Instant::now() < deadline, "rogue never listed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    done.stream.write_all(frame).await.expect("write");
    while target.connected_nodes().iter().any(|n| n.as_str() == name) {
        assert!(Instant::now() < deadline, "the rogue connection stayed up");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A frame `131, 68, no atom refs, {2, '', Pid}` (SEND) followed by `payload`.
fn send_frame(to: &ergo::Pid, payload: &[u8]) -> Vec<u8> {
    let ctl = Term::tuple(vec![Term::Int(2), Term::atom(""), Term::Pid(to.clone())]);
    let ctl = ergo::to_bytes(&ctl).expect("encode");
    let mut body = vec![131, 68, 0];
    body.extend_from_slice(&ctl[1..]);
    body.extend_from_slice(payload);
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_and_bomb_compressed_frames_close_only_that_connection() {
    let (a, b, _relay) = linked(Some(Compression::default())).await;
    let (pid, mut rx) = common::forwarder(&a, false);
    // Garbage where zlib data should be.
    rogue_sends(&a, &send_frame(&pid, &[80, 0, 0, 0, 100, 1, 2, 3, 4, 5])).await;
    // A payload claiming to inflate to 4 GiB - 1.
    rogue_sends(&a, &send_frame(&pid, &[80, 255, 255, 255, 255, 120, 156])).await;
    // The other connection still works.
    let (pb, mut rxb) = common::forwarder(&b, false);
    a.send(pb, Term::atom("still_here")).expect("send");
    assert_eq!(
        next_within(&mut rxb, DEADLINE).await,
        Term::atom("still_here")
    );
    assert!(rx.try_recv().is_err(), "nothing reached the target");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erlang_peers_get_plain_messages_from_a_compressing_node() {
    if !common::require_erl("erlang_peers_get_plain_messages_from_a_compressing_node") {
        return;
    }
    let erl = common::ErlNode::start("cmp_erl", "compression", &["interop/pg_side.erl"], &[]).await;
    let node = common::start_dist(
        "cmp_rust",
        NodeOptions {
            cookie: "compression".into(),
            ..NodeOptions::default()
        },
        DistOptions {
            compression: Some(Compression::default()),
            ..DistOptions::default()
        },
    )
    .await;
    let size: i64 = node
        .rpc_call(
            &erl.name,
            "erlang",
            "byte_size",
            vec![Term::binary(compressible(1 << 20))],
            Duration::from_secs(20),
        )
        .await
        .expect("rpc with a 1 MiB argument");
    assert_eq!(size, 1 << 20);
}
