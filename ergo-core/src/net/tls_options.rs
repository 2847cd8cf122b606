//! TLS settings of a distributed node: its identity and how peers are verified. Plain data, so
//! they exist whether or not the `tls` feature (rustls) is built; `tls.rs` turns them into a
//! rustls configuration, and without the feature a node asked for TLS refuses to start.

use std::path::PathBuf;

/// The node's certificate.
#[derive(Clone, Debug)]
pub enum TlsIdentity {
    /// A self-signed certificate for the node's host (and `localhost`), made at start-up.
    SelfSigned,
    /// PEM files: the certificate chain (leaf first) and its private key.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

/// How peers' certificates are checked.
#[derive(Clone, Debug)]
pub enum TlsVerify {
    /// Against the CA certificates in this PEM file, both ways: servers must present a
    /// certificate for their host, and clients must present one too (mutual TLS).
    Ca(PathBuf),
    /// Not at all: encryption without authentication, for clusters of self-signed nodes. The
    /// cookie still authenticates the peer; the certificate does not. An explicit opt-out.
    InsecureSkipVerify,
}

/// TLS settings of a node ([`super::DistOptions::tls`]).
#[derive(Clone, Debug)]
pub struct TlsOptions {
    /// The node's certificate.
    pub identity: TlsIdentity,
    /// How peers are verified.
    pub verify: TlsVerify,
}

impl TlsOptions {
    /// A self-signed certificate and no verification of peers (the `echo --tls` setting).
    pub fn self_signed_insecure() -> TlsOptions {
        TlsOptions {
            identity: TlsIdentity::SelfSigned,
            verify: TlsVerify::InsecureSkipVerify,
        }
    }
}
