//! The web server: routes served by handler processes (answers now or later, 504, 503, 500 on
//! a crash or a dropped request with nothing leaked, 413), plain axum routes, routes calling a
//! process, graceful shutdown; clients: curl (HTTP/1.1, HTTP/2, TLS) and hyper (HTTP/1.1,
//! HTTP/2 with prior knowledge, HTTP/2 over TLS by ALPN).

use crate::common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ergo::servers::web::axum::routing::get;
use ergo::servers::web::axum::Router;
use ergo::servers::web::{
    call_route, process_route, RouteOptions, WebRequest, WebResponse, WebServer, WebServerOptions,
};
use ergo::{Context, Dest, Node, NodeOptions, Pid, SpawnOptions, Term};
use http_body_util::{BodyExt, Full};
use tokio::sync::{mpsc, Semaphore};

/// A handler process: `/echo/<x>` answers `x`; `/slow` tells `started`, then answers `slow` once the gate gives a
/// permit (from another task: a deferred reply); `/never` keeps the request unanswered;
/// `/drop` drops it; `/crash` panics with a secret in the message.
fn handler(node: &Node, gate: Arc<Semaphore>, started: mpsc::UnboundedSender<()>) -> Pid {
    node.spawn(
        SpawnOptions::default(),
        move |mut ctx: Context| async move {
            let mut kept = Vec::new();
            loop {
                let request = match ctx.recv_as::<WebRequest>().await {
                    Ok(Ok(request)) => request,
                    Ok(Err(_)) => continue,
                    Err(reason) => return reason,
                };
                match request.path.as_str() {
                    "/slow" => {
                        let _ = started.send(());
                        let gate = Arc::clone(&gate);
                        tokio::spawn(async move {
                            if let Ok(p) = gate.acquire().await {
                                p.forget();
                            }
                            request.reply.send(WebResponse::ok("slow"));
                        });
                    }
                    "/never" => kept.push(request.reply),
                    "/drop" => drop(request),
                    "/crash" => panic!("secret-token-1234"),
                    path => {
                        let text = path.trim_start_matches("/echo/").to_string();
                        let body = if request.body.is_empty() {
                            Bytes::from(text)
                        } else {
                            request.body
                        };
                        request
                            .reply
                            .send(WebResponse::ok(body).header("x-handler", "process"));
                    }
                }
            }
        },
    )
    .expect("spawn handler")
}

/// An Erlang-style gen_server: `{add, A, B}` -> A + B.
struct Adder;

impl ergo::GenServer for Adder {
    type Args = ();
    async fn init(_ctx: &mut Context, _args: ()) -> ergo::Init<Self> {
        ergo::Init::Ok(Adder)
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: ergo::Payload,
        _from: ergo::ReplyTo,
    ) -> ergo::CallOutcome {
        let reply = match request.into_term() {
            Term::Tuple(e) => match e.as_slice() {
                [tag, Term::Int(a), Term::Int(b)] if tag.is_atom("add") => Term::Int(a + b),
                _ => Term::atom("what"),
            },
            _ => Term::atom("what"),
        };
        ergo::CallOutcome::Reply(ergo::Payload::new(reply))
    }
}

struct Fixture {
    _node: Node,
    server: WebServer,
    gate: Arc<Semaphore>,
    /// One item per `/slow` request a handler has received.
    slow_started: mpsc::UnboundedReceiver<()>,
}

async fn start(tls: bool) -> Fixture {
    let node = common::start_node("web", NodeOptions::default()).await;
    let gate = Arc::new(Semaphore::new(0));
    let (started, slow_started) = mpsc::unbounded_channel();
    let handlers = vec![
        handler(&node, gate.clone(), started.clone()),
        handler(&node, gate.clone(), started),
    ];
    let options = RouteOptions {
        timeout: Duration::from_secs(1),
        queue_limit: 2,
        body_limit: 1000,
    };
    node.start_server::<Adder>((), SpawnOptions::named("adder"))
        .await
        .expect("adder");
    let router = Router::new()
        .route("/plain", get(|| async { "plain axum" }))
        .route(
            "/add",
            call_route(&node, Dest::from("adder"), Duration::from_secs(2)),
        )
        .route(
            "/nobody",
            call_route(&node, Dest::from("nobody"), Duration::from_secs(2)),
        )
        .route("/{*rest}", process_route(&node, handlers, options));
    let mut options = WebServerOptions::new(0);
    options.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    if tls {
        options.tls = Some(ergo::runtime::net::TlsOptions::self_signed_insecure());
    }
    let server = node
        .start_web_server(router, options)
        .await
        .expect("web server");
    Fixture {
        _node: node,
        server,
        gate,
        slow_started,
    }
}

/// Runs curl; returns (status, body).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "-m",
            "20",
            "-o",
            "-",
            "-w",
            "\n%{http_code} %{http_version}",
        ])
        .args(args)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, tail) = text.rsplit_once('\n').unwrap_or(("", &text));
    let status = tail
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

fn curl_version(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-m", "20", "-o", "/dev/null", "-w", "%{http_version}"])
        .args(args)
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn curl_async(args: Vec<String>) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        curl(&args)
    })
    .await
    .expect("curl task")
}

fn url(server: &WebServer, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

#[tokio::test]
async fn process_routes_with_curl_and_every_failure_status() {
    if !common::require_curl("process_routes_with_curl_and_every_failure_status") {
        return;
    }
    let mut f = start(false).await;
    let u = |p: &str| url(&f.server, p);
    assert_eq!(
        curl_async(vec![u("/echo/hello")]).await,
        (200, "hello".into())
    );
    assert_eq!(
        curl_async(vec!["--data".into(), "posted body".into(), u("/echo/x")]).await,
        (200, "posted body".into())
    );
    assert_eq!(
        curl_async(vec![u("/plain")]).await,
        (200, "plain axum".into())
    );
    // 504: the handler keeps the request past the route's timeout.
    assert_eq!(curl_async(vec![u("/never")]).await.0, 504);
    // 500: dropped unanswered, or the handler crashed; nothing of the panic reaches the client.
    assert_eq!(
        curl_async(vec![u("/drop")]).await,
        (500, "internal server error".into())
    );
    let (status, body) = curl_async(vec![u("/crash")]).await;
    assert_eq!(status, 500);
    assert!(!body.contains("secret"), "{body}");
    // 413: a body over 1000 bytes.
    let big = "x".repeat(5000);
    assert_eq!(
        curl_async(vec!["--data".into(), big, u("/echo/x")]).await.0,
        413
    );
    // 503: two slow requests in flight fill the queue limit of 2.
    let addr = f.server.local_addr();
    let slow1 = tokio::spawn(hyper_get(addr, "/slow", false));
    let slow2 = tokio::spawn(hyper_get(addr, "/slow", false));
    for _ in 0..2 {
        common::wait::next_within(&mut f.slow_started, Duration::from_secs(10)).await;
    }
    assert_eq!(hyper_get(addr, "/echo/probe", false).await.0, 503);
    f.gate.add_permits(2);
    assert_eq!(slow1.await.expect("task"), (200, Bytes::from("slow")));
    assert_eq!(slow2.await.expect("task"), (200, Bytes::from("slow")));
    assert_eq!(
        curl_async(vec![u("/echo/again")]).await,
        (200, "again".into())
    );
    // Calls to a process with an Erlang-text body.
    assert_eq!(
        curl_async(vec!["--data".into(), "{add, 2, 40}".into(), u("/add")]).await,
        (200, "42\n".into())
    );
    assert_eq!(
        curl_async(vec!["--data".into(), "{add, 2".into(), u("/add")])
            .await
            .0,
        400
    );
    assert_eq!(
        curl_async(vec!["--data".into(), "x".into(), u("/nobody")])
            .await
            .0,
        404
    );
    // HTTP/2 with prior knowledge, and over TLS (ALPN).
    let v = tokio::task::spawn_blocking({
        let u = u("/echo/h2");
        move || curl_version(&["--http2-prior-knowledge", &u])
    })
    .await
    .expect("curl");
    assert_eq!(v, "2");
    drop(f);
    let tls = start(true).await;
    let addr = tls.server.local_addr();
    let https = format!("https://localhost:{}/echo/secure", addr.port());
    let resolve = format!("localhost:{}:127.0.0.1", addr.port());
    let (status, body) = curl_async(vec![
        "-k".into(),
        "--resolve".into(),
        resolve.clone(),
        https.clone(),
    ])
    .await;
    assert_eq!((status, body.as_str()), (200, "secure"));
    let v = tokio::task::spawn_blocking(move || {
        curl_version(&["-k", "--http2", "--resolve", &resolve, &https])
    })
    .await
    .expect("curl");
    assert_eq!(v, "2", "HTTP/2 negotiated over TLS");
}

async fn hyper_get(addr: SocketAddr, path: &str, http2: bool) -> (u16, Bytes) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let io = hyper_util::rt::TokioIo::new(tcp);
    let request = hyper::Request::get(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = if http2 {
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                .await
                .expect("h2 handshake");
        tokio::spawn(conn);
        sender.send_request(request).await.expect("response")
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .expect("handshake");
        tokio::spawn(conn);
        sender.send_request(request).await.expect("response")
    };
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, body)
}

#[tokio::test]
async fn hyper_clients_http1_and_http2_and_graceful_shutdown() {
    let mut f = start(false).await;
    let addr = f.server.local_addr();
    assert_eq!(
        hyper_get(addr, "/echo/one", false).await,
        (200, Bytes::from("one"))
    );
    assert_eq!(
        hyper_get(addr, "/echo/two", true).await,
        (200, Bytes::from("two"))
    );
    // Many requests on one HTTP/2 connection at once, each answered by its own handler call.
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .expect("h2");
    tokio::spawn(conn);
    let mut streams = Vec::new();
    for i in 0..50 {
        let mut sender = sender.clone();
        streams.push(tokio::spawn(async move {
            let request = hyper::Request::get(format!("/echo/{i}"))
                .body(Full::new(Bytes::new()))
                .expect("request");
            let response = sender.send_request(request).await.expect("response");
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            (status, body)
        }));
    }
    let mut ok = 0;
    for (i, s) in streams.into_iter().enumerate() {
        let (status, body) = s.await.expect("stream");
        // The route's queue limit is 2: the others are refused with 503, never lost.
        assert!(status == 200 || status == 503, "{status}");
        if status == 200 {
            assert_eq!(body, Bytes::from(i.to_string()));
            ok += 1;
        }
    }
    assert!(ok >= 2);
    // Graceful shutdown: a request in flight finishes, new connections are refused.
    let slow = tokio::spawn(hyper_get(addr, "/slow", false));
    common::wait::next_within(&mut f.slow_started, Duration::from_secs(10)).await;
    let server = Arc::new(f.server);
    let stopping = {
        let server = Arc::clone(&server);
        tokio::spawn(async move { server.shutdown().await })
    };
    let gate = f.gate.clone();
    let refused = {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                break true;
            }
            if std::time::Instant::now() > deadline {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    assert!(refused, "new connections are refused during shutdown");
    gate.add_permits(1);
    let (status, body) = slow.await.expect("slow");
    assert_eq!(
        (status, body),
        (200, Bytes::from("slow")),
        "the request in flight finished"
    );
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("shutdown completes")
        .expect("task");
}

#[tokio::test]
async fn http2_over_tls_with_hyper() {
    use rustls::pki_types::ServerName;
    let f = start(true).await;
    let mut config = crate::common::tls::trust_any_server();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(f.server.local_addr())
        .await
        .expect("connect");
    let tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .expect("h2");
    tokio::spawn(conn);
    let request = hyper::Request::get("https://localhost/echo/tls2")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.status().as_u16(), 200);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(body, Bytes::from("tls2"));
}
