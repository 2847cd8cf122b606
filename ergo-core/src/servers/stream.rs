//! A connection's byte stream, plain TCP or TLS over it, behind one trait object; socket
//! options (keepalive) and the TLS acceptor made from the distribution's certificate options.
//! Owns `IoStream` and `Acceptor`; must not frame or deliver anything.

#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A byte stream a connection runs on.
pub(crate) trait IoStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> IoStream for T {}

/// Turns accepted sockets into streams: plain, or TLS.
#[derive(Clone)]
pub(crate) enum Acceptor {
    Plain,
    #[cfg(feature = "tls")]
    Tls(tokio_rustls::TlsAcceptor),
}

impl Acceptor {
    /// The acceptor for a server on `host`: TLS when `tls` is given (an error without the `tls`
    /// feature). `alpn` lists the application protocols to offer (the web server's h2 and
    /// http/1.1).
    #[cfg(feature = "tls")]
    pub(crate) fn new(
        tls: Option<&crate::net::TlsOptions>,
        host: &str,
        alpn: &[&[u8]],
    ) -> Result<Acceptor, super::ServerError> {
        let Some(tls) = tls else {
            return Ok(Acceptor::Plain);
        };
        let mut config = crate::net::tls_server_config(tls, host)
            .map_err(|e| super::ServerError::Tls(e.to_string()))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Acceptor::Tls(tokio_rustls::TlsAcceptor::from(Arc::new(
            config,
        ))))
    }

    /// Keepalive on the socket, then the TLS handshake when there is one.
    pub(crate) async fn accept(
        &self,
        tcp: TcpStream,
        keepalive: Option<Duration>,
    ) -> std::io::Result<Box<dyn IoStream>> {
        if let Some(time) = keepalive {
            let keepalive = socket2::TcpKeepalive::new().with_time(time);
            socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
        }
        match self {
            Acceptor::Plain => Ok(Box::new(tcp)),
            #[cfg(feature = "tls")]
            Acceptor::Tls(acceptor) => Ok(Box::new(acceptor.accept(tcp).await?)),
        }
    }
}
