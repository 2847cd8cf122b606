//! TLS 1.3 under the distribution protocol (rustls, ring provider): the node's identity (PEM
//! certificate and key files, or a self-signed certificate made at start-up with rcgen), how
//! peers are verified (against a CA, which then also requires client certificates, or an
//! explicit opt-out for self-signed clusters), and the wrapping of dialed and accepted sockets.
//! Interoperates with Erlang's `-proto_dist inet_tls`.
//!
//! Owns the rustls configuration; must not read or write distribution frames (the handshake and
//! the connection run unchanged over the TLS stream).

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::{client, server, TlsAcceptor, TlsConnector};

use super::tls_options::{TlsIdentity, TlsOptions, TlsVerify};
use super::NetError;

/// The rustls client and server sides built from [`TlsOptions`].
pub(crate) struct Tls {
    connector: TlsConnector,
    acceptor: TlsAcceptor,
}

/// Turns an error of step `context` into [`NetError::Tls`], keeping it as the source.
fn failed<E>(context: impl Into<String>) -> impl FnOnce(E) -> NetError
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let context = context.into();
    move |source| NetError::Tls {
        context,
        source: source.into(),
    }
}

fn read_pem(path: &Path) -> Result<Vec<u8>, NetError> {
    std::fs::read(path).map_err(failed(format!("cannot read {}", path.display())))
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let pem = read_pem(path)?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed(path.display().to_string()))?;
    if certs.is_empty() {
        return Err(failed(path.display().to_string())("no certificate in it"));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, NetError> {
    let pem = read_pem(path)?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(failed(path.display().to_string()))?
        .ok_or_else(|| failed(path.display().to_string())("no private key in it"))
}

fn identity(
    options: &TlsOptions,
    host: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), NetError> {
    match &options.identity {
        TlsIdentity::Files { cert, key } => Ok((load_certs(cert)?, load_key(key)?)),
        TlsIdentity::SelfSigned => {
            let mut names = vec![host.to_string()];
            if host != "localhost" {
                names.push("localhost".into());
            }
            let made = rcgen::generate_simple_self_signed(names)
                .map_err(failed("making a self-signed certificate"))?;
            let key = PrivateKeyDer::Pkcs8(made.key_pair.serialize_der().into());
            Ok((vec![made.cert.der().clone()], key))
        }
    }
}

/// Accepts any server certificate, but still checks the handshake signatures (so the peer
/// holds the key of the certificate it showed).
#[derive(Debug)]
struct SkipServerVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for SkipServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn ca_roots(path: &Path) -> Result<RootCertStore, NetError> {
    let mut roots = RootCertStore::empty();
    for ca in load_certs(path)? {
        roots.add(ca).map_err(failed("a CA certificate"))?;
    }
    Ok(roots)
}

/// The server side for `options`: TLS 1.3, the identity given, and with [`TlsVerify::Ca`]
/// client certificates required and checked against the CA.
fn server_side(
    options: &TlsOptions,
    provider: &Arc<CryptoProvider>,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, NetError> {
    let server = ServerConfig::builder_with_provider(Arc::clone(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(failed("TLS 1.3 server configuration"))?;
    let server = match &options.verify {
        TlsVerify::InsecureSkipVerify => server.with_no_client_auth(),
        TlsVerify::Ca(path) => {
            let clients = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(ca_roots(path)?),
                Arc::clone(provider),
            )
            .build()
            .map_err(failed("the client certificate verifier"))?;
            server.with_client_cert_verifier(clients)
        }
    };
    server
        .with_single_cert(certs, key)
        .map_err(failed("the node's certificate as a server"))
}

/// A rustls server configuration from the same options distribution uses, for the other
/// servers of a node (TCP, web) listening on `host`: a self-signed certificate names `host`
/// and `localhost`; [`TlsVerify::Ca`] requires client certificates signed by that CA.
#[cfg(feature = "servers")]
pub(crate) fn server_config(options: &TlsOptions, host: &str) -> Result<ServerConfig, NetError> {
    // ring's provider, as for distribution (see Tls::new).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (certs, key) = identity(options, host)?;
    server_side(options, &provider, certs, key)
}

impl Tls {
    /// Builds both sides for a node on `host`.
    pub(crate) fn new(options: &TlsOptions, host: &str) -> Result<Tls, NetError> {
        // rustls 0.23.48 deprecates ring's provider because it has no post-quantum key exchange;
        // ring is kept on purpose: it builds with a C compiler alone (aws-lc-rs wants more), it is
        // already here for the proxy's end-to-end encryption, and the peers this TLS serves
        // (OTP 25's inet_tls, other ergo-rs nodes) offer no post-quantum groups either.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (certs, key) = identity(options, host)?;
        let tls13 = &[&rustls::version::TLS13];
        let client = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(tls13)
            .map_err(failed("TLS 1.3 client configuration"))?;
        let server = server_side(options, &provider, certs.clone(), key.clone_key())?;
        let client = match &options.verify {
            TlsVerify::InsecureSkipVerify => client
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(SkipServerVerification(Arc::clone(
                    &provider,
                ))))
                .with_client_auth_cert(certs, key)
                .map_err(failed("the node's certificate as a client"))?,
            TlsVerify::Ca(path) => client
                .with_root_certificates(Arc::new(ca_roots(path)?))
                .with_client_auth_cert(certs, key)
                .map_err(failed("the node's certificate as a client"))?,
        };
        Ok(Tls {
            connector: TlsConnector::from(Arc::new(client)),
            acceptor: TlsAcceptor::from(Arc::new(server)),
        })
    }

    /// TLS over a dialed socket to a node on `host`.
    pub(crate) async fn connect(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> io::Result<client::TlsStream<TcpStream>> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.connector.connect(name, tcp).await
    }

    /// TLS over an accepted socket.
    pub(crate) async fn accept(&self, tcp: TcpStream) -> io::Result<server::TlsStream<TcpStream>> {
        self.acceptor.accept(tcp).await
    }
}
