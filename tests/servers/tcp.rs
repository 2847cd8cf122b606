//! The TCP server with raw socket clients on loopback.

use crate::common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ergo::servers::{Connection, Framing, Handlers, TcpEvent, TcpServer, TcpServerOptions};
use ergo::{Context, Node, NodeOptions, Pid, SpawnOptions, Term};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};

const T: Duration = Duration::from_secs(10);

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A handler: answers each frame upper-cased, and reports every event to the test.
fn upper_handler(
    node: &Node,
    report: mpsc::UnboundedSender<TcpEvent>,
    bound: Option<usize>,
) -> Pid {
    let options = SpawnOptions {
        mailbox_bound: bound,
        ..SpawnOptions::default()
    };
    node.spawn(options, move |mut ctx: Context| async move {
        loop {
            let event = match ctx.recv_as::<TcpEvent>().await {
                Ok(Ok(event)) => event,
                Ok(Err(_)) => continue,
                Err(reason) => return reason,
            };
            if let TcpEvent::Data { conn, data } = &event {
                let _ = Connection::new(ctx.node(), conn.clone()).write(data.to_ascii_uppercase());
            }
            let end = matches!(event, TcpEvent::Disconnected { .. });
            let _ = report.send(event);
            if end && bound == Some(usize::MAX) {
                return Term::atom("normal");
            }
        }
    })
    .expect("spawn handler")
}

async fn node() -> Node {
    common::start_node("tcp", NodeOptions::default()).await
}

async fn server(node: &Node, mut options: TcpServerOptions) -> TcpServer {
    options.host = LOCALHOST;
    node.start_tcp_server(options).await.expect("server starts")
}

async fn next(rx: &mut mpsc::UnboundedReceiver<TcpEvent>) -> TcpEvent {
    common::wait::next_within(rx, T).await
}

async fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    tokio::time::timeout(T, reader.read_line(&mut line))
        .await
        .expect("a line in time")
        .expect("read");
    line
}

#[tokio::test]
async fn lines_split_and_coalesced_come_back_upper_cased_round_robin() {
    let node = node().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handlers: Vec<Pid> = (0..4)
        .map(|_| upper_handler(&node, tx.clone(), None))
        .collect();
    let server = server(
        &node,
        TcpServerOptions::new(0, Handlers::RoundRobin(handlers.clone())),
    )
    .await;
    assert_eq!(server.local_addr().ip(), LOCALHOST);
    let tcp = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let me = tcp.local_addr().expect("address");
    let mut client = BufReader::new(tcp);
    let conn = match next(&mut rx).await {
        TcpEvent::Connected { conn, peer } => {
            assert_eq!(peer, me);
            conn
        }
        other => panic!("expected a connection, got {other:?}"),
    };
    // A line split over three writes, then three lines in one write (one with \r\n).
    for part in ["hel", "lo wo", "rld\n"] {
        client
            .get_mut()
            .write_all(part.as_bytes())
            .await
            .expect("write");
        client.get_mut().flush().await.expect("flush");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    client
        .get_mut()
        .write_all(b"a\nb\r\nc\n")
        .await
        .expect("write");
    for expected in ["HELLO WORLD\n", "A\n", "B\n", "C\n"] {
        assert_eq!(read_line(&mut client).await, expected);
    }
    for expected in ["hello world", "a", "b", "c"] {
        match next(&mut rx).await {
            TcpEvent::Data { conn: c, data } => {
                assert_eq!(c, conn);
                assert_eq!(&data[..], expected.as_bytes());
            }
            other => panic!("expected data, got {other:?}"),
        }
    }
    // Three more connections go to the three other handlers in turn: each handler answers the
    // connection it got, and four connections are served by four distinct handlers.
    let mut clients = Vec::new();
    let mut conns = vec![conn];
    for _ in 0..3 {
        let mut c = BufReader::new(
            TcpStream::connect(server.local_addr())
                .await
                .expect("connect"),
        );
        c.get_mut().write_all(b"x\n").await.expect("write");
        assert_eq!(read_line(&mut c).await, "X\n");
        clients.push(c);
    }
    while conns.len() < 4 {
        if let TcpEvent::Connected { conn, .. } = next(&mut rx).await {
            conns.push(conn);
        }
    }
    let owners: std::collections::HashSet<Pid> = conns
        .iter()
        .filter_map(|c| node.process_info(c).and_then(|i| i.links.first().cloned()))
        .collect();
    assert_eq!(
        owners.len(),
        1,
        "every connection is linked to the server process only"
    );
    drop(client);
    loop {
        if let TcpEvent::Disconnected { conn: c, reason } = next(&mut rx).await {
            assert_eq!(c, conns[0]);
            assert_eq!(reason, Term::atom("closed"));
            break;
        }
    }
    server.stop(&node);
    for c in &conns[1..] {
        let c = c.clone();
        let n = node.clone();
        common::wait::wait_until("connections end with their server", move || !n.is_alive(&c))
            .await;
    }
    assert!(
        TcpStream::connect(server.local_addr()).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn the_host_option_is_honoured() {
    let node = node().await;
    let (tx, _rx) = mpsc::unbounded_channel();
    let handler = upper_handler(&node, tx, None);
    let mut options = TcpServerOptions::new(0, Handlers::RoundRobin(vec![handler]));
    options.host = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let server = node.start_tcp_server(options).await.expect("server starts");
    assert_eq!(
        server.local_addr().ip(),
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
    );
    let elsewhere = SocketAddr::new(LOCALHOST, server.local_addr().port());
    assert!(
        TcpStream::connect(elsewhere).await.is_err(),
        "not listening on 127.0.0.1, only on the host asked for"
    );
    TcpStream::connect(server.local_addr())
        .await
        .expect("listening on 127.0.0.2");
}

#[tokio::test]
async fn length_prefixed_frames_and_an_oversized_one() {
    let node = node().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = upper_handler(&node, tx, None);
    let mut options = TcpServerOptions::new(0, Handlers::RoundRobin(vec![handler]));
    options.framing = Framing::LengthPrefixed(2);
    options.max_frame = 8;
    let server = server(&node, options).await;
    let mut tcp = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    // Two frames coalesced, the second split across writes.
    tcp.write_all(b"\x00\x02ab\x00").await.expect("write");
    tcp.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(5)).await;
    tcp.write_all(b"\x03xyz").await.expect("write");
    let mut buf = [0u8; 9];
    tokio::time::timeout(T, tcp.read_exact(&mut buf))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!(&buf, b"\x00\x02AB\x00\x03XYZ");
    // A frame of 9 bytes, over the maximum of 8: the connection closes, with the reason logged
    // and given to the handler.
    tcp.write_all(b"\x00\x09").await.expect("write");
    let mut rest = Vec::new();
    let read = tokio::time::timeout(T, tcp.read_to_end(&mut rest))
        .await
        .expect("closed in time");
    assert!(read.is_ok() || read.is_err());
    assert!(rest.is_empty());
    loop {
        if let TcpEvent::Disconnected { reason, .. } = next(&mut rx).await {
            assert!(
                reason
                    .to_string()
                    .starts_with("{frame_error,<<\"frame longer than the maximum of 8"),
                "{reason}"
            );
            break;
        }
    }
}

#[tokio::test]
async fn fixed_frames_per_connection_handlers_and_idle_timeout() {
    let node = node().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let spawned = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = Arc::clone(&spawned);
    let handlers = Handlers::per_connection(move |node| {
        // usize::MAX as the bound marks "exit at disconnect" for upper_handler.
        let pid = upper_handler(node, tx.clone(), Some(usize::MAX));
        record.lock().expect("lock").push(pid.clone());
        Ok(pid)
    });
    let mut options = TcpServerOptions::new(0, handlers);
    options.framing = Framing::Fixed(3);
    options.idle_timeout = Some(Duration::from_millis(300));
    let server = server(&node, options).await;
    let mut a = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let mut b = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    a.write_all(b"abcd").await.expect("write");
    b.write_all(b"xyz").await.expect("write");
    let mut buf = [0u8; 3];
    tokio::time::timeout(T, a.read_exact(&mut buf))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!(&buf, b"ABC");
    tokio::time::timeout(T, b.read_exact(&mut buf))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!(&buf, b"XYZ");
    // Nothing more for 300 ms: both connections close, and their handlers end.
    let mut closed = 0;
    while closed < 2 {
        if let TcpEvent::Disconnected { reason, .. } = next(&mut rx).await {
            assert_eq!(reason, Term::atom("idle_timeout"));
            closed += 1;
        }
    }
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(T, a.read_to_end(&mut rest))
        .await
        .expect("closed");
    let pids = spawned.lock().expect("lock").clone();
    assert_eq!(pids.len(), 2, "one handler per connection");
    assert_ne!(pids[0], pids[1]);
    for pid in pids {
        let n = node.clone();
        common::wait::wait_until("a per-connection handler ends", move || !n.is_alive(&pid)).await;
    }
}

#[tokio::test]
async fn a_slow_handler_pushes_back_on_the_client_and_nothing_is_dropped() {
    let node = node().await;
    let gate = Arc::new(Semaphore::new(0));
    let (count_tx, mut count_rx) = mpsc::unbounded_channel::<usize>();
    let gate2 = Arc::clone(&gate);
    let options = SpawnOptions {
        mailbox_bound: Some(4),
        ..SpawnOptions::default()
    };
    let handler = node
        .spawn(options, move |mut ctx: Context| async move {
            // Closed until the test opens the gate; then counts the lines.
            if let Ok(p) = gate2.acquire().await {
                p.forget();
            }
            let mut lines = 0usize;
            loop {
                match ctx.recv_as::<TcpEvent>().await {
                    Ok(Ok(TcpEvent::Data { .. })) => lines += 1,
                    Ok(Ok(TcpEvent::Disconnected { .. })) => {
                        let _ = count_tx.send(lines);
                        return Term::atom("normal");
                    }
                    Ok(_) => {}
                    Err(reason) => return reason,
                }
            }
        })
        .expect("spawn");
    let server = server(
        &node,
        TcpServerOptions::new(0, Handlers::RoundRobin(vec![handler.clone()])),
    )
    .await;
    let mut tcp = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    const LINES: usize = 400_000;
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n";
    let writer = tokio::spawn(async move {
        let mut block = Vec::with_capacity(line.len() * 1000);
        for _ in 0..1000 {
            block.extend_from_slice(line);
        }
        for _ in 0..LINES / 1000 {
            tcp.write_all(&block).await.expect("write");
        }
        tcp.shutdown().await.expect("shutdown");
    });
    // The handler's mailbox fills (4), the connection stops reading, the socket buffers fill,
    // and the client's writes (~29 MB) block.
    let h = handler.clone();
    let n = node.clone();
    common::wait::wait_until("the handler's mailbox is full", move || {
        n.process_info(&h).is_some_and(|i| i.mailbox_len == 4)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the client's writes are blocked");
    let info = node.process_info(&handler).expect("alive");
    assert_eq!(info.mailbox_len, 4, "nothing queued past the bound");
    gate.add_permits(1);
    tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .expect("the writes finish once the handler reads")
        .expect("writer");
    let counted = common::wait::next_within(&mut count_rx, Duration::from_secs(60)).await;
    assert_eq!(counted, LINES, "every line reached the handler");
}

#[tokio::test]
async fn tls_connections_with_the_distribution_certificate_options() {
    use rustls::pki_types::{CertificateDer, ServerName};
    let node = node().await;
    let dir = common::temp_dir("tcp_tls");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).expect("write cert");
    std::fs::write(&key, made.key_pair.serialize_pem()).expect("write key");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = upper_handler(&node, tx, None);
    let mut options = TcpServerOptions::new(0, Handlers::RoundRobin(vec![handler]));
    options.tls = Some(ergo::runtime::net::TlsOptions {
        identity: ergo::runtime::net::TlsIdentity::Files { cert, key },
        verify: ergo::runtime::net::TlsVerify::InsecureSkipVerify,
    });
    let server = server(&node, options).await;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(made.cert.der().to_vec()))
        .expect("root");
    // ring, as the runtime uses (deprecated for lacking post-quantum groups).
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let mut tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake, certificate checked");
    tls.write_all(b"secret\n").await.expect("write");
    let mut buf = [0u8; 7];
    tokio::time::timeout(T, tls.read_exact(&mut buf))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!(&buf, b"SECRET\n");
    assert!(matches!(next(&mut rx).await, TcpEvent::Connected { .. }));
    // A plain client gets no service: its bytes are not a TLS handshake.
    let mut plain = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    plain.write_all(b"hello\n").await.expect("write");
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(T, plain.read_to_end(&mut rest))
        .await
        .expect("closed");
    assert!(!rest.starts_with(b"HELLO"));
}

#[tokio::test]
async fn a_last_line_without_newline_is_delivered_at_end_of_stream() {
    let node = node().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handler = upper_handler(&node, tx, None);
    let server = server(
        &node,
        TcpServerOptions::new(0, Handlers::RoundRobin(vec![handler])),
    )
    .await;
    let mut tcp = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    tcp.write_all(b"one\ntwo").await.expect("write");
    tcp.shutdown().await.expect("half close");
    let mut data = Vec::new();
    loop {
        match next(&mut rx).await {
            TcpEvent::Data { data: d, .. } => data.push(d),
            TcpEvent::Disconnected { reason, .. } => {
                assert_eq!(reason, Term::atom("closed"));
                break;
            }
            TcpEvent::Connected { .. } => {}
        }
    }
    assert_eq!(data, vec!["one", "two"]);
}
