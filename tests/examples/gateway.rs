//! The `gateway` example with its fixed shape: it prints `ready`, then serves HTTP (curl),
//! TCP and UDP (raw sockets), and `POST /call/<name>@<node>` reaches a process a real `erl`
//! registered.

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

#[tokio::test]
async fn the_gateway_serves_http_tcp_udp_and_calls_an_erlang_process() {
    if !common::require_curl("gateway") || !common::require_erl("gateway") {
        return;
    }
    common::ensure_system_epmd();
    let name = common::node_name("gateway");
    let cookie = common::unique_name("cookie");
    let mut child = Command::new(common::example_binary("gateway"))
        .args(["--name", &name, "--cookie", &cookie])
        .args(["--http", "0", "--tcp", "0", "--udp", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the gateway example");
    let output = Output::of(&mut child, "gateway");
    let _guard = ChildGuard(child);
    output
        .wait_line_async("ready", Duration::from_secs(30))
        .await;
    let line = output
        .wait_line_async("node ", Duration::from_secs(30))
        .await;
    let (http, tcp, udp) = addresses(&line);
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
