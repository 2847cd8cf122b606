//! Our acceptor driven by raw, hand-written handshakes: mandatory flags (`not_allowed`), the old
//! version-5 `n` + `c` form, simultaneous connects (`nok`, `ok_simultaneous`, `alive`), the
//! peer-name check, and a frame length over the limit.

use std::sync::Mutex;
use std::time::Duration;

use ergo::runtime::dist::handshake::{
    self, ConnectionArbiter, ExistingConnection, HandshakeOptions, LocalNode, NoOtherConnections,
};
use ergo::runtime::dist::{
    self, ConnectionError, ConnectionOptions, DistFlags, FrameError, HandshakeError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn write_msg(s: &mut TcpStream, body: &[u8]) {
    let mut m = (body.len() as u16).to_be_bytes().to_vec();
    m.extend_from_slice(body);
    s.write_all(&m).await.expect("write");
}

async fn read_msg(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await.expect("length");
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut body).await.expect("body");
    body
}

fn send_name_n(flags: u64, creation: u32, name: &str) -> Vec<u8> {
    let mut m = vec![b'N'];
    m.extend_from_slice(&flags.to_be_bytes());
    m.extend_from_slice(&creation.to_be_bytes());
    m.extend_from_slice(&(name.len() as u16).to_be_bytes());
    m.extend_from_slice(name.as_bytes());
    m
}

/// Runs our acceptor on a fresh port with `arbiter`; returns the address and its result.
async fn acceptor(
    local_name: &'static str,
    arbiter: impl ConnectionArbiter + 'static,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<Result<String, HandshakeError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        let me = LocalNode::new(local_name, 5, false);
        handshake::accept(
            stream,
            &me,
            "cookie",
            &arbiter,
            &HandshakeOptions::default(),
        )
        .await
        .map(|done| done.peer_name)
    });
    (addr, task)
}

#[tokio::test]
async fn missing_mandatory_flags_get_not_allowed() {
    let (addr, task) = acceptor("us@localhost", NoOtherConnections).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let flags = DistFlags::MANDATORY_25.0 & !DistFlags::MAP_TAG.0;
    write_msg(&mut s, &send_name_n(flags, 1, "them@localhost")).await;
    assert_eq!(read_msg(&mut s).await, b"snot_allowed");
    let err = task.await.expect("task").expect_err("refused");
    assert!(
        matches!(err, HandshakeError::MissingFlags(f) if f == DistFlags::MAP_TAG),
        "{err:?}"
    );
}

#[tokio::test]
async fn digest_flag_alone_is_enough() {
    // OTP's dflag_mandatory_25 case: only MANDATORY_25_DIGEST (+ HANDSHAKE_23) is accepted.
    let (addr, task) = acceptor("us@localhost", NoOtherConnections).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let flags = DistFlags::MANDATORY_25_DIGEST.0 | DistFlags::HANDSHAKE_23.0;
    write_msg(&mut s, &send_name_n(flags, 1, "them@localhost")).await;
    assert_eq!(read_msg(&mut s).await, b"sok");
    let challenge_msg = read_msg(&mut s).await;
    let challenge = u32::from_be_bytes(challenge_msg[9..13].try_into().expect("4 bytes"));
    let mut r = vec![b'r'];
    r.extend_from_slice(&1u32.to_be_bytes());
    r.extend_from_slice(&handshake::digest("cookie", challenge));
    write_msg(&mut s, &r).await;
    assert_eq!(read_msg(&mut s).await[0], b'a');
    assert_eq!(
        task.await.expect("task").expect("accepted"),
        "them@localhost"
    );
}

#[tokio::test]
async fn old_version_5_handshake_with_complement() {
    let (addr, task) = acceptor("us@localhost", NoOtherConnections).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let flags = DistFlags::MANDATORY_25.0 | DistFlags::DIST_MONITOR.0;
    let mut m = vec![b'n', 0, 5];
    m.extend_from_slice(&(flags as u32).to_be_bytes());
    m.extend_from_slice(b"old@localhost");
    write_msg(&mut s, &m).await;
    assert_eq!(read_msg(&mut s).await, b"sok");
    let challenge_msg = read_msg(&mut s).await;
    assert_eq!(challenge_msg[0], b'N');
    let challenge = u32::from_be_bytes(challenge_msg[9..13].try_into().expect("4 bytes"));
    // The complement: high flag bits and our creation.
    let mut c = vec![b'c'];
    c.extend_from_slice(&((DistFlags::SPAWN.0 >> 32) as u32).to_be_bytes());
    c.extend_from_slice(&77u32.to_be_bytes());
    write_msg(&mut s, &c).await;
    let mut r = vec![b'r'];
    r.extend_from_slice(&99u32.to_be_bytes());
    r.extend_from_slice(&handshake::digest("cookie", challenge));
    write_msg(&mut s, &r).await;
    let ack = read_msg(&mut s).await;
    assert_eq!(ack[0], b'a');
    assert_eq!(ack[1..], handshake::digest("cookie", 99));
    assert_eq!(
        task.await.expect("task").expect("accepted"),
        "old@localhost"
    );
}

/// An arbiter that reports a fixed state and records what it was told.
struct Fixed(ExistingConnection, &'static Mutex<Vec<String>>);

impl ConnectionArbiter for Fixed {
    fn existing(&self, _node: &str) -> ExistingConnection {
        self.0
    }
    fn abandon_pending(&self, node: &str) {
        self.1.lock().expect("lock").push(format!("abandon {node}"));
    }
    fn replace_existing(&self, node: &str) {
        self.1.lock().expect("lock").push(format!("replace {node}"));
    }
}

#[tokio::test]
async fn simultaneous_connects_resolve_as_otp() {
    static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let all = DistFlags::offer(false).0;
    // Our name is greater: our own pending connect wins, theirs gets nok.
    let (addr, task) = acceptor("zz@localhost", Fixed(ExistingConnection::Pending, &LOG)).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    write_msg(&mut s, &send_name_n(all, 1, "aa@localhost")).await;
    assert_eq!(read_msg(&mut s).await, b"snok");
    assert!(task.await.expect("task").is_err());
    // Our name is smaller: we give up ours.
    let (addr, task) = acceptor("aa@localhost", Fixed(ExistingConnection::Pending, &LOG)).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    write_msg(&mut s, &send_name_n(all, 1, "zz@localhost")).await;
    assert_eq!(read_msg(&mut s).await, b"sok_simultaneous");
    drop(s);
    let _ = task.await;
    // A connection is up: alive, and `true` replaces it.
    let (addr, task) = acceptor("aa@localhost", Fixed(ExistingConnection::Up, &LOG)).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    write_msg(&mut s, &send_name_n(all, 1, "yy@localhost")).await;
    assert_eq!(read_msg(&mut s).await, b"salive");
    write_msg(&mut s, b"strue").await;
    assert_eq!(read_msg(&mut s).await[0], b'N', "handshake goes on");
    drop(s);
    let _ = task.await;
    assert_eq!(
        *LOG.lock().expect("lock"),
        vec!["abandon zz@localhost", "replace yy@localhost"]
    );
}

#[tokio::test]
async fn initiator_checks_the_peer_name_and_ignores_trailing_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let fake = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.expect("accept");
        let _ = read_msg(&mut s).await;
        write_msg(&mut s, b"sok").await;
        let mut m = vec![b'N'];
        m.extend_from_slice(&DistFlags::offer(false).0.to_be_bytes());
        m.extend_from_slice(&1u32.to_be_bytes());
        m.extend_from_slice(&2u32.to_be_bytes());
        m.extend_from_slice(&(14u16).to_be_bytes());
        m.extend_from_slice(b"imposter@local");
        m.extend_from_slice(b"trailing");
        write_msg(&mut s, &m).await;
        s
    });
    let stream = TcpStream::connect(addr).await.expect("connect");
    let me = LocalNode::new("us@localhost", 1, false);
    let err = handshake::initiate(
        stream,
        &me,
        "real@localhost",
        "c",
        &HandshakeOptions::default(),
    )
    .await
    .expect_err("wrong name");
    assert!(
        matches!(err, HandshakeError::WrongName { ref got, .. } if got == "imposter@local"),
        "{err:?}"
    );
    drop(fake);
}

#[tokio::test]
async fn oversized_frame_length_closes_before_allocating() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = ConnectionOptions {
        frames: dist::FrameSettings {
            max_frame_size: 1 << 20,
            ..Default::default()
        },
        ..ConnectionOptions::default()
    };
    let server = tokio::spawn({
        let options = options.clone();
        async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let me = LocalNode::new("us@localhost", 1, false);
            dist::accept(
                stream,
                &me,
                "c",
                &NoOtherConnections,
                &HandshakeOptions::default(),
                &options,
            )
            .await
            .expect("handshake")
        }
    });
    let stream = TcpStream::connect(addr).await.expect("connect");
    let me = LocalNode::new("them@localhost", 1, false);
    let done = handshake::initiate(
        stream,
        &me,
        "us@localhost",
        "c",
        &HandshakeOptions::default(),
    )
    .await
    .expect("handshake");
    let mut raw = done.stream;
    let mut conn = server.await.expect("server");
    raw.write_all(&[0xff, 0xff, 0xff, 0xff])
        .await
        .expect("write");
    let end = tokio::time::timeout(Duration::from_secs(5), conn.recv())
        .await
        .expect("closed in time");
    assert!(
        matches!(
            end,
            Some(Err(ConnectionError::Frame(FrameError::TooLarge {
                len: 0xffff_ffff,
                max: 1_048_576
            })))
        ),
        "{end:?}"
    );
}
