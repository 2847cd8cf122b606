//! TLS when the `tls` feature is not built: a node asked for TLS refuses to start with
//! [`NetError::FeatureDisabled`], so the rest of the network layer runs unchanged over plain
//! TCP. Owns only that refusal.

use std::io;

use tokio::net::TcpStream;

use super::tls_options::TlsOptions;
use super::NetError;

/// Never made: without rustls there is no TLS side to build.
pub(crate) enum Tls {}

impl Tls {
    /// Refuses: the `tls` feature is not built.
    pub(crate) fn new(_options: &TlsOptions, _host: &str) -> Result<Tls, NetError> {
        Err(NetError::FeatureDisabled {
            feature: "tls",
            what: "distribution over TLS",
        })
    }

    /// Unreachable: no `Tls` exists.
    pub(crate) async fn connect(&self, _host: &str, _tcp: TcpStream) -> io::Result<TcpStream> {
        match *self {}
    }

    /// Unreachable: no `Tls` exists.
    pub(crate) async fn accept(&self, _tcp: TcpStream) -> io::Result<TcpStream> {
        match *self {}
    }
}
