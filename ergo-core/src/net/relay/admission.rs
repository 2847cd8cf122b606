//! The relay's admission protocol: what a member and a relay say over a fresh TLS session
//! before the ordinary distribution handshake runs over the same session, and the keys both
//! derive from the cluster secret and the session.
//!
//! ```text
//! member -> relay   {hello, 1, Cluster, Name}        Name: the member's node name, name@Cluster
//! relay  -> member  {challenge, RelayNode, Nonce}    Nonce: 32 random bytes
//! member -> relay   {proof, Mac}                     Mac: proof(secret, exporter, Nonce, ...)
//! relay  -> member  welcome | {refused, Reason}
//! ```
//!
//! Each message is a 2-byte big-endian length and an external term format term (at most
//! [`MAX_MESSAGE`] bytes). `exporter` is 32 bytes of the TLS session's keying material
//! (RFC 5705/8446 exporter, label [`EXPORTER_LABEL`]): both ends of one TLS session compute the
//! same value, no other session does, so a proof only opens the session it was made in (a
//! replayed one fails) and the secret itself never crosses the wire. After `welcome` both ends
//! run the distribution handshake with the cookie [`dist_cookie`] (also bound to the session),
//! and the relay tags the membership messages it sends the member with [`membership_token`].
//!
//! Owns the messages and the key derivations; must not open sockets or decide who is admitted
//! (the relay's `server.rs` does).

use std::time::Duration;

use ergo_etf::Term;
use ring::hmac;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The TLS exporter label both ends use.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-ergo-relay-v1";
/// The protocol version a member says in its hello.
pub const VERSION: i64 = 1;
/// The largest admission message accepted.
pub const MAX_MESSAGE: usize = 4096;

/// One admission message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// The member's opening: its cluster and node name.
    Hello {
        /// The cluster it joins.
        cluster: String,
        /// Its node name (`name@cluster`).
        name: String,
    },
    /// The relay's challenge: its node name and a fresh nonce.
    Challenge {
        /// The relay's node name (the distribution handshake that follows expects it).
        relay: String,
        /// 32 random bytes.
        nonce: [u8; 32],
    },
    /// The member's answer to the challenge.
    Proof {
        /// [`proof`] over the challenge.
        mac: [u8; 32],
    },
    /// Admitted: the distribution handshake follows.
    Welcome,
    /// Not admitted, and why (the relay logs the precise reason; a member hears
    /// "authentication failed" for an unknown cluster and a wrong secret alike).
    Refused {
        /// Why.
        reason: String,
    },
}

/// Why an admission message could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    /// The socket failed or closed.
    #[error("admission i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Nothing came in time.
    #[error("admission timed out")]
    Timeout,
    /// The bytes were not an admission message.
    #[error("not an admission message: {0}")]
    Garbage(String),
}

fn fixed<const N: usize>(term: &Term, what: &str) -> Result<[u8; N], AdmissionError> {
    match term {
        Term::Binary(b) if b.len() == N => {
            let mut out = [0u8; N];
            out.copy_from_slice(b);
            Ok(out)
        }
        _ => Err(AdmissionError::Garbage(format!(
            "{what} is not a {N}-byte binary"
        ))),
    }
}

fn text(term: &Term, what: &str) -> Result<String, AdmissionError> {
    match term {
        Term::Binary(b) if b.len() <= 255 => String::from_utf8(b.to_vec())
            .map_err(|_| AdmissionError::Garbage(format!("{what} is not UTF-8"))),
        _ => Err(AdmissionError::Garbage(format!(
            "{what} is not a binary of at most 255 bytes"
        ))),
    }
}

impl Admission {
    /// The message as a term.
    pub fn to_term(&self) -> Term {
        let bin = |s: &[u8]| Term::binary(s.to_vec());
        match self {
            Admission::Hello { cluster, name } => Term::tuple(vec![
                Term::atom("hello"),
                Term::Int(VERSION),
                bin(cluster.as_bytes()),
                bin(name.as_bytes()),
            ]),
            Admission::Challenge { relay, nonce } => Term::tuple(vec![
                Term::atom("challenge"),
                bin(relay.as_bytes()),
                bin(nonce),
            ]),
            Admission::Proof { mac } => Term::tuple(vec![Term::atom("proof"), bin(mac)]),
            Admission::Welcome => Term::atom("welcome"),
            Admission::Refused { reason } => {
                Term::tuple(vec![Term::atom("refused"), bin(reason.as_bytes())])
            }
        }
    }

    /// The message a term is.
    pub fn from_term(term: &Term) -> Result<Admission, AdmissionError> {
        if term.is_atom("welcome") {
            return Ok(Admission::Welcome);
        }
        let Some(items) = term.as_tuple() else {
            return Err(AdmissionError::Garbage(format!("a {}", term.type_name())));
        };
        match items {
            [tag, version, cluster, name] if tag.is_atom("hello") => {
                if *version != Term::Int(VERSION) {
                    return Err(AdmissionError::Garbage(format!(
                        "unsupported version {version:?}"
                    )));
                }
                Ok(Admission::Hello {
                    cluster: text(cluster, "the cluster")?,
                    name: text(name, "the name")?,
                })
            }
            [tag, relay, nonce] if tag.is_atom("challenge") => Ok(Admission::Challenge {
                relay: text(relay, "the relay name")?,
                nonce: fixed(nonce, "the nonce")?,
            }),
            [tag, mac] if tag.is_atom("proof") => Ok(Admission::Proof {
                mac: fixed(mac, "the proof")?,
            }),
            [tag, reason] if tag.is_atom("refused") => Ok(Admission::Refused {
                reason: text(reason, "the reason")?,
            }),
            _ => Err(AdmissionError::Garbage("an unknown message".into())),
        }
    }
}

/// Writes one message.
pub async fn write_message<S: AsyncWrite + Unpin>(
    stream: &mut S,
    message: &Admission,
) -> Result<(), AdmissionError> {
    let bytes = ergo_etf::to_bytes(&message.to_term())
        .map_err(|e| AdmissionError::Garbage(e.to_string()))?;
    let len = u16::try_from(bytes.len())
        .ok()
        .filter(|n| usize::from(*n) <= MAX_MESSAGE)
        .ok_or_else(|| AdmissionError::Garbage("message too long".into()))?;
    let mut out = Vec::with_capacity(2 + bytes.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes);
    stream.write_all(&out).await?;
    stream.flush().await?;
    Ok(())
}

/// Reads one message, waiting at most `within`.
pub async fn read_message<S: AsyncRead + Unpin>(
    stream: &mut S,
    within: Duration,
) -> Result<Admission, AdmissionError> {
    let read = async {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await?;
        let len = usize::from(u16::from_be_bytes(len));
        if len > MAX_MESSAGE {
            return Err(AdmissionError::Garbage(format!(
                "a {len}-byte message (at most {MAX_MESSAGE})"
            )));
        }
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).await?;
        let term =
            ergo_etf::from_bytes(&body).map_err(|e| AdmissionError::Garbage(e.to_string()))?;
        Admission::from_term(&term)
    };
    tokio::time::timeout(within, read)
        .await
        .unwrap_or(Err(AdmissionError::Timeout))
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut context = hmac::Context::with_key(&key);
    for part in parts {
        // Length-prefixed, so no two different part lists give the same input.
        context.update(&(part.len() as u32).to_be_bytes());
        context.update(part);
    }
    context.sign()
}

/// The member's proof: HMAC-SHA256 keyed by the cluster secret over the session's exporter
/// value, the relay's nonce, the cluster and the node name.
pub fn proof(
    secret: &[u8],
    exporter: &[u8; 32],
    nonce: &[u8; 32],
    cluster: &str,
    name: &str,
) -> [u8; 32] {
    let tag = mac(
        secret,
        &[
            b"ergo-relay proof v1",
            exporter,
            nonce,
            cluster.as_bytes(),
            name.as_bytes(),
        ],
    );
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Checks a proof in constant time.
pub(crate) fn proof_holds(
    secret: &[u8],
    exporter: &[u8; 32],
    nonce: &[u8; 32],
    cluster: &str,
    name: &str,
    given: &[u8; 32],
) -> bool {
    let expected = proof(secret, exporter, nonce, cluster, name);
    same_bytes(&expected, given)
}

/// Compares two byte strings in time that depends only on their length.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The cookie of the member's distribution handshake with the relay (hex, bound to the TLS
/// session: worthless anywhere else).
pub(crate) fn dist_cookie(secret: &[u8], exporter: &[u8; 32]) -> String {
    let tag = mac(secret, &[b"ergo-relay cookie v1", exporter]);
    tag.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The token the relay's membership messages to this member carry (bound to the session, so
/// another member cannot forge them).
pub(crate) fn membership_token(secret: &[u8], exporter: &[u8; 32]) -> [u8; 16] {
    let tag = mac(secret, &[b"ergo-relay membership v1", exporter]);
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag.as_ref()[..16]);
    out
}

/// The TLS exporter value of a session, as both ends compute it.
pub fn exporter<D>(connection: &rustls::ConnectionCommon<D>) -> Result<[u8; 32], rustls::Error> {
    connection.export_keying_material([0u8; 32], EXPORTER_LABEL, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for m in [
            Admission::Hello {
                cluster: "c".into(),
                name: "a@c".into(),
            },
            Admission::Challenge {
                relay: "r@h".into(),
                nonce: [7; 32],
            },
            Admission::Proof { mac: [1; 32] },
            Admission::Welcome,
            Admission::Refused {
                reason: "no".into(),
            },
        ] {
            assert_eq!(Admission::from_term(&m.to_term()).ok(), Some(m));
        }
        assert!(Admission::from_term(&Term::atom("hello")).is_err());
    }

    #[test]
    fn proofs_bind_session_nonce_and_name() {
        let p = proof(b"s", &[1; 32], &[2; 32], "c", "a@c");
        assert!(proof_holds(b"s", &[1; 32], &[2; 32], "c", "a@c", &p));
        assert!(!proof_holds(b"s", &[9; 32], &[2; 32], "c", "a@c", &p));
        assert!(!proof_holds(b"s", &[1; 32], &[9; 32], "c", "a@c", &p));
        assert!(!proof_holds(b"s", &[1; 32], &[2; 32], "c", "b@c", &p));
        assert!(!proof_holds(b"t", &[1; 32], &[2; 32], "c", "a@c", &p));
    }
}
