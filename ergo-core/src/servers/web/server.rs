//! Serving an axum router: the listener (host honoured), TLS (ALPN h2 and http/1.1), HTTP/1.1
//! and HTTP/2 on each connection (hyper-util's auto builder), and graceful shutdown (no new
//! connections, in-flight requests finish). Owns the accept loop; must not know routes.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Mutex};

use crate::node::Node;
use crate::servers::stream::Acceptor;
use crate::servers::ServerError;

/// Where and how a web server listens.
#[derive(Clone, Debug)]
pub struct WebServerOptions {
    /// The address to listen on (default all IPv4 interfaces): honoured as given.
    pub host: IpAddr,
    /// The port (0: any free port).
    pub port: u16,
    /// TLS with distribution's certificate options (default none); HTTP/2 is offered by ALPN.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::net::TlsOptions>,
}

impl WebServerOptions {
    /// Plain HTTP on `port` of all interfaces.
    pub fn new(port: u16) -> WebServerOptions {
        WebServerOptions {
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// A running web server.
pub struct WebServer {
    local_addr: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    done: Mutex<Option<oneshot::Receiver<()>>>,
}

impl std::fmt::Debug for WebServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebServer({})", self.local_addr)
    }
}

impl WebServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Graceful shutdown: the listener closes (new connections are refused), idle connections
    /// close, requests in flight finish; returns when the last connection has closed.
    pub async fn shutdown(&self) {
        if let Some(stop) = self.stop.lock().await.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.lock().await.take() {
            let _ = done.await;
        }
    }
}

impl Node {
    /// Serves `router` on `options.host:options.port` (an error if it cannot bind).
    pub async fn start_web_server(
        &self,
        router: Router,
        options: WebServerOptions,
    ) -> Result<WebServer, ServerError> {
        #[cfg(feature = "tls")]
        let acceptor = {
            let host = if options.host.is_unspecified() || options.host.is_loopback() {
                "localhost".to_string()
            } else {
                options.host.to_string()
            };
            Acceptor::new(options.tls.as_ref(), &host, &[b"h2", b"http/1.1"])?
        };
        #[cfg(not(feature = "tls"))]
        let acceptor = Acceptor::Plain;
        let address = SocketAddr::new(options.host, options.port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| ServerError::Bind { address, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { address, source })?;
        let (stop_tx, stop_rx) = oneshot::channel();
        let (done_tx, done_rx) = oneshot::channel();
        self.runtime()
            .spawn(accept_loop(listener, router, acceptor, stop_rx, done_tx));
        tracing::info!(%local_addr, "web server listening");
        Ok(WebServer {
            local_addr,
            stop: Mutex::new(Some(stop_tx)),
            done: Mutex::new(Some(done_rx)),
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    acceptor: Acceptor,
    mut stop: oneshot::Receiver<()>,
    done: oneshot::Sender<()>,
) {
    let graceful = GracefulShutdown::new();
    let acceptor = Arc::new(acceptor);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "web accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let watcher = graceful.watcher();
                let acceptor = Arc::clone(&acceptor);
                let service = TowerToHyperService::new(router.clone());
                tokio::spawn(async move {
                    let stream = match acceptor.accept(tcp, None).await {
                        Ok(stream) => stream,
                        Err(error) => {
                            tracing::debug!(%peer, %error, "web connection refused (TLS)");
                            return;
                        }
                    };
                    let builder = Builder::new(TokioExecutor::new());
                    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    if let Err(error) = watcher.watch(connection).await {
                        tracing::debug!(%peer, %error, "web connection ended with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
    let _ = done.send(());
}
