//! A TCP relay between two nodes for tests and benchmarks: counts the bytes each way and can
//! limit the bandwidth (a token bucket per direction), to model a network link that loopback is
//! not. Shared by `tests/` and `benches/` through `#[path]`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running relay: connect to `addr`, and bytes go on to the target.
pub struct Relay {
    /// Where to connect instead of the target.
    pub addr: SocketAddr,
    /// Bytes relayed towards the target.
    pub forward: Arc<AtomicU64>,
    /// Bytes relayed back.
    pub backward: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: Arc<AtomicU64>,
    bytes_per_sec: Option<u64>,
) {
    let mut buf = vec![0u8; 64 << 10];
    // When the link is free again: a chunk leaves no earlier than the previous one finished,
    // plus its own transfer time (no credit builds up while the link is idle).
    let mut free_at = Instant::now();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(rate) = bytes_per_sec {
            let now = Instant::now();
            free_at = free_at.max(now) + Duration::from_secs_f64(n as f64 / rate as f64);
            // The timer's resolution is a millisecond: sleep only when that far ahead.
            if free_at > now + Duration::from_millis(2) {
                tokio::time::sleep_until(free_at.into()).await;
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown().await;
}

impl Relay {
    /// Starts a relay to `target`, at most `bytes_per_sec` each way when given.
    pub async fn start(target: SocketAddr, bytes_per_sec: Option<u64>) -> std::io::Result<Relay> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (forward, backward) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (f, b) = (Arc::clone(&forward), Arc::clone(&backward));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(target).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(pump(cr, sw, Arc::clone(&f), bytes_per_sec));
                tokio::spawn(pump(sr, cw, Arc::clone(&b), bytes_per_sec));
            }
        });
        Ok(Relay {
            addr,
            forward,
            backward,
            task,
        })
    }
}
