//! The `gateway` example with its fixed shape: it prints `ready`, then serves HTTP (curl),
//! TCP and UDP (raw sockets), and `POST /call/<name>@<node>` reaches a process a real `erl`
//! registered; and it keeps answering new clients while 10,000 HTTP connections are held open.

use crate::common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{ChildGuard, Output};

fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-m", "20", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.trim().parse().unwrap_or(0), body.to_string())
}

/// `HTTP a:p, TCP b:q, UDP c:r` from the example's second line.
fn addresses(line: &str) -> (SocketAddr, SocketAddr, SocketAddr) {
    let find = |tag: &str| -> SocketAddr {
        let rest = line.split(tag).nth(1).expect("tag present");
        rest.trim_start()
            .split([',', ' '])
            .next()
            .expect("address")
            .parse()
            .expect("socket address")
    };
    (find("HTTP "), find("TCP "), find("UDP "))
}

/// Starts the gateway on free ports; returns its guard, output and HTTP, TCP, UDP addresses.
async fn gateway(
    cookie: &str,
) -> (
    ChildGuard,
    Output,
    String,
    (SocketAddr, SocketAddr, SocketAddr),
) {
    common::ensure_system_epmd();
    let name = common::node_name("gateway");
    let mut child = Command::new(common::example_binary("gateway"))
        .args(["--name", &name, "--cookie", cookie])
        .args(["--http", "0", "--tcp", "0", "--udp", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the gateway example");
    let output = Output::of(&mut child, "gateway");
    let guard = ChildGuard(child);
    output
        .wait_line_async("ready", Duration::from_secs(30))
        .await;
    let line = output
        .wait_line_async("node ", Duration::from_secs(30))
        .await;
    (guard, output, name, addresses(&line))
}

/// One HTTP/1.1 keep-alive request written by hand on `tcp`; the status and body.
async fn raw_get(tcp: &mut tokio::net::TcpStream, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(format!("GET {path} HTTP/1.1\r\nHost: gw\r\n\r\n").as_bytes())
        .await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            return Ok((status, buf[end + 4..end + 4 + length].to_vec()));
        }
    }
}

/// The soft limit on open files of this process.
fn open_files_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(1024)
}

#[tokio::test]
async fn ten_thousand_http_connections_held_open_while_the_node_keeps_answering() {
    if !common::require_curl("ten_thousand_http_connections") {
        return;
    }
    const CONNECTIONS: usize = 10_000;
    // The gateway runs in its own process: each side holds 10,000 sockets.
    assert!(
        open_files_limit() > CONNECTIONS as u64 + 500,
        "ulimit -n is {}: this test holds {CONNECTIONS} sockets",
        open_files_limit()
    );
    let cookie = common::unique_name("cookie");
    let (_guard, _output, _name, (http, tcp, _udp)) = gateway(&cookie).await;
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(200));
    let mut opening = Vec::with_capacity(CONNECTIONS);
    for i in 0..CONNECTIONS {
        let gate = gate.clone();
        opening.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore");
            let mut socket = tokio::net::TcpStream::connect(http).await?;
            let (status, body) = raw_get(&mut socket, &format!("/echo/c{i}")).await?;
            assert_eq!((status, body), (200, format!("c{i}").into_bytes()));
            Ok::<_, std::io::Error>(socket)
        }));
    }
    let mut held = Vec::with_capacity(CONNECTIONS);
    for task in opening {
        held.push(
            task.await
                .expect("task")
                .expect("a connection and its first request"),
        );
    }
    assert_eq!(held.len(), CONNECTIONS);
    // With all of them open, the node still answers new clients on every protocol...
    let health = url_of(http, "/health");
    let started = std::time::Instant::now();
    let (status, _) = tokio::task::spawn_blocking(move || curl(&[&health]))
        .await
        .expect("curl");
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut line = tokio::net::TcpStream::connect(tcp).await.expect("tcp");
    line.write_all(b"still here\n").await.expect("write");
    let mut buf = [0u8; 11];
    tokio::time::timeout(Duration::from_secs(10), line.read_exact(&mut buf))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!(&buf, b"STILL HERE\n");
    // ... and the held connections are still served (every 100th asks again).
    for (i, socket) in held.iter_mut().enumerate().step_by(100) {
        let (status, body) = tokio::time::timeout(
            Duration::from_secs(10),
            raw_get(socket, &format!("/echo/again{i}")),
        )
        .await
        .expect("in time")
        .expect("a second request on a held connection");
        assert_eq!((status, body), (200, format!("again{i}").into_bytes()));
    }
}

fn url_of(http: SocketAddr, path: &str) -> String {
    format!("http://{http}{path}")
}

#[tokio::test]
async fn the_gateway_serves_http_tcp_udp_and_calls_an_erlang_process() {
    if !common::require_curl("gateway") || !common::require_erl("gateway") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let (_guard, _output, name, (http, tcp, udp)) = gateway(&cookie).await;
    let url = |path: &str| format!("http://{http}{path}");

    let get = tokio::task::spawn_blocking({
        let (echo, health, missing) = (url("/echo/hello"), url("/health"), url("/call/nobody"));
        move || {
            (
                curl(&[&echo]),
                curl(&[&health]),
                curl(&["--data", "{add,1,2}", &missing]),
            )
        }
    })
    .await
    .expect("curl");
    assert_eq!(get.0, (200, "hello".into()));
    assert_eq!(get.1 .0, 200);
    assert_eq!(get.2 .0, 404, "{:?}", get.2);

    // An Erlang node registers `calc`; the gateway calls it by `calc@<erl node>`.
    let erl =
        common::ErlNode::start("gwpeer", &cookie, &["examples/gateway_peer.erl"], &[&name]).await;
    let call = url(&format!("/call/calc@{}", erl.name));
    let unknown = url(&format!("/call/nothing_here@{}", erl.name));
    let (added, bad, none) = tokio::task::spawn_blocking(move || {
        (
            curl(&["--data", "{add, 40, 2}", &call]),
            curl(&["--data", "{add, 40", &call]),
            curl(&["--data", "x", &unknown]),
        )
    })
    .await
    .expect("curl");
    assert_eq!(added, (200, "42\n".into()));
    assert_eq!(bad.0, 400);
    assert_eq!(none.0, 404, "{none:?}");

    // TCP: lines upper-cased, several in one write and one split over two.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(tcp).await.expect("tcp");
    socket.write_all(b"hello\nwor").await.expect("write");
    socket.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(5)).await;
    socket.write_all(b"ld\n").await.expect("write");
    let mut buf = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(10), socket.read_exact(&mut buf))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!(&buf, b"HELLO\nWORLD\n");

    // UDP: datagrams reversed.
    let client = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("udp");
    client.send_to(b"abc", udp).await.expect("send");
    let mut dgram = [0u8; 16];
    let (n, from) = tokio::time::timeout(Duration::from_secs(10), client.recv_from(&mut dgram))
        .await
        .expect("in time")
        .expect("recv");
    assert_eq!((&dgram[..n], from), (&b"cba"[..], udp));
}
