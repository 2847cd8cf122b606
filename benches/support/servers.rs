//! The servers' scenarios of `benches/node.rs`: `web` (HTTP/1.1 keep-alive, C connections of
//! `GET /echo/x` served by handler processes vs the same route in plain axum) and `tcp-echo`
//! (C connections of line echo through handler processes vs a bare tokio echo server). Each
//! pair takes turns R rounds on one runtime, client and servers alike; prints both figures and
//! the median ratio (the target: at least 0.7).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ergo::servers::web::axum::routing::get;
use ergo::servers::web::axum::Router;
use ergo::servers::web::{process_route, RouteOptions, WebRequest, WebResponse, WebServerOptions};
use ergo::servers::{Connection, Handlers, TcpEvent, TcpServerOptions};
use ergo::{Context, Node, NodeOptions, Pid, SpawnOptions, Term};
use http_body_util::{BodyExt, Empty};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Handler processes per server.
const HANDLERS: usize = 4;

fn handlers<F, Fut>(node: &Node, body: F) -> Result<Vec<Pid>, String>
where
    F: Fn(Context) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Term> + Send + 'static,
{
    (0..HANDLERS)
        .map(|_| {
            let options = SpawnOptions {
                mailbox_bound: Some(1024),
                ..SpawnOptions::default()
            };
            node.spawn(options, body.clone()).map_err(|e| e.to_string())
        })
        .collect()
}

async fn echo_handler(mut ctx: Context) -> Term {
    loop {
        match ctx.recv_as::<WebRequest>().await {
            Ok(Ok(request)) => {
                let text = request.path.trim_start_matches("/echo/").to_string();
                request.reply.send(WebResponse::ok(text));
            }
            Ok(Err(_)) => {}
            Err(reason) => return reason,
        }
    }
}

fn local() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// C keep-alive HTTP/1.1 clients doing `GET /echo/x` for `secs`; requests/s.
async fn http_load(addr: SocketAddr, connections: u64, secs: u64) -> Result<f64, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for _ in 0..connections {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
                .await
                .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let (stop, total) = (stop.clone(), total.clone());
        clients.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let request = hyper::Request::get("/echo/x")
                    .header("host", "localhost")
                    .body(Empty::<bytes::Bytes>::new())
                    .map_err(|e| e.to_string())?;
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(|e| e.to_string())?;
                if response.status() != 200 {
                    return Err(format!("status {}", response.status()));
                }
                response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?;
                n += 1;
            }
            total.fetch_add(n, Ordering::Relaxed);
            Ok::<(), String>(())
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.map_err(|e| e.to_string())??;
    }
    Ok(total.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

pub(crate) fn web(args: &[String]) -> Result<(), String> {
    let connections = super::flag(args, "--conns", 64)?;
    let secs = super::flag(args, "--secs", 3)?;
    let rounds = super::flag(args, "--rounds", 3)?;
    let rt = super::runtime()?;
    rt.block_on(async move {
        let node = Node::start("bench@localhost", NodeOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let processes = Router::new().route(
            "/echo/{x}",
            process_route(&node, handlers(&node, echo_handler)?, RouteOptions::default()),
        );
        let plain = Router::new().route(
            "/echo/{x}",
            get(|ergo::servers::web::axum::extract::Path(x): ergo::servers::web::axum::extract::Path<String>| async move { x }),
        );
        let mut options = WebServerOptions::new(0);
        options.host = Ipv4Addr::LOCALHOST.into();
        let ours = node.start_web_server(processes, options.clone()).await.map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(local()).await.map_err(|e| e.to_string())?;
        let ceiling_addr = listener.local_addr().map_err(|e| e.to_string())?;
        tokio::spawn(async move { ergo::servers::web::axum::serve(listener, plain).await });
        let (mut with, mut without, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let a = http_load(ours.local_addr(), connections, secs).await?;
            let b = http_load(ceiling_addr, connections, secs).await?;
            println!("web round: processes {a:.0} req/s, plain axum {b:.0} req/s, ratio {:.2}", a / b);
            with.push(a);
            without.push(b);
            ratios.push(a / b);
        }
        println!(
            "web conns={connections} processes_req_per_sec={:.0} axum_req_per_sec={:.0} ratio_median={:.2} ratio_min={:.2} (target 0.70)",
            median(with),
            median(without),
            median(ratios.clone()),
            ratios.iter().copied().fold(f64::INFINITY, f64::min)
        );
        ours.shutdown().await;
        node.stop();
        Ok(())
    })
}

async fn line_echo_handler(mut ctx: Context) -> Term {
    loop {
        match ctx.recv_as::<TcpEvent>().await {
            Ok(Ok(TcpEvent::Data { conn, data })) => {
                let _ = Connection::new(ctx.node(), conn).write(data);
            }
            Ok(_) => {}
            Err(reason) => return reason,
        }
    }
}

/// A bare tokio line echo: one task per connection, BufReader::read_line and write_all.
async fn bare_echo(listener: tokio::net::TcpListener) {
    while let Ok((tcp, _)) = listener.accept().await {
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            let (read, mut write) = tcp.into_split();
            let mut read = BufReader::new(read);
            let mut line = String::new();
            loop {
                line.clear();
                match read.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if write.write_all(line.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// C connections, each writing a line and waiting for its echo, for `secs`; lines/s.
async fn line_load(addr: SocketAddr, connections: u64, secs: u64) -> Result<f64, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for _ in 0..connections {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        let (stop, total) = (stop.clone(), total.clone());
        clients.push(tokio::spawn(async move {
            let (read, mut write) = tcp.into_split();
            let mut read = BufReader::new(read);
            let mut line = String::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                write
                    .write_all(b"hello ergo\n")
                    .await
                    .map_err(|e| e.to_string())?;
                line.clear();
                read.read_line(&mut line).await.map_err(|e| e.to_string())?;
                if line != "hello ergo\n" {
                    return Err(format!("echo {line:?}"));
                }
                n += 1;
            }
            total.fetch_add(n, Ordering::Relaxed);
            Ok::<(), String>(())
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.map_err(|e| e.to_string())??;
    }
    Ok(total.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

pub(crate) fn tcp_echo(args: &[String]) -> Result<(), String> {
    let connections = super::flag(args, "--conns", 64)?;
    let secs = super::flag(args, "--secs", 3)?;
    let rounds = super::flag(args, "--rounds", 3)?;
    let rt = super::runtime()?;
    rt.block_on(async move {
        let node = Node::start("bench@localhost", NodeOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let mut options =
            TcpServerOptions::new(0, Handlers::RoundRobin(handlers(&node, line_echo_handler)?));
        options.host = Ipv4Addr::LOCALHOST.into();
        let ours = node.start_tcp_server(options).await.map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(local()).await.map_err(|e| e.to_string())?;
        let ceiling_addr = listener.local_addr().map_err(|e| e.to_string())?;
        tokio::spawn(bare_echo(listener));
        let (mut with, mut without, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let a = line_load(ours.local_addr(), connections, secs).await?;
            let b = line_load(ceiling_addr, connections, secs).await?;
            println!("tcp-echo round: processes {a:.0} lines/s, bare tokio {b:.0} lines/s, ratio {:.2}", a / b);
            with.push(a);
            without.push(b);
            ratios.push(a / b);
        }
        println!(
            "tcp-echo conns={connections} processes_lines_per_sec={:.0} tokio_lines_per_sec={:.0} ratio_median={:.2} ratio_min={:.2} (target 0.70)",
            median(with),
            median(without),
            median(ratios.clone()),
            ratios.iter().copied().fold(f64::INFINITY, f64::min)
        );
        ours.stop(&node);
        node.stop();
        Ok(())
    })
}
