//! What crosses the distribution between raft processes: a call
//! `{'$raft', ClusterId, Kind, Payload}` answered by `{ok, Payload}` or `{error, Reason}`, where
//! each payload is an ETF binary holding the bincode encoding of an openraft (or gen_raft)
//! serde type. openraft's RPC types belong to another crate and are serde types: a compact
//! serde encoding carries them whole, with no mirror types to keep in step. Owns the shapes and
//! their checks; must not act on a message.

use ergo_etf::{Atom, Term};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The first element of every gen_raft request.
pub const RAFT_TAG: &str = "$raft";

/// What a request asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpcKind {
    /// openraft's AppendEntries.
    AppendEntries,
    /// openraft's RequestVote.
    Vote,
    /// openraft's InstallSnapshot (one chunk).
    InstallSnapshot,
    /// Are you there, and what do you hold? (the quorum manager's probe)
    Hello,
    /// A client append forwarded to the leader.
    ClientWrite,
    /// A linearizable read of a key, forwarded to the leader.
    ReadKey,
    /// A read of an entry by serial, forwarded to the leader.
    ReadSerial,
}

impl RpcKind {
    const ALL: [RpcKind; 7] = [
        RpcKind::AppendEntries,
        RpcKind::Vote,
        RpcKind::InstallSnapshot,
        RpcKind::Hello,
        RpcKind::ClientWrite,
        RpcKind::ReadKey,
        RpcKind::ReadSerial,
    ];

    /// The atom naming the kind on the wire.
    pub fn name(self) -> &'static str {
        match self {
            RpcKind::AppendEntries => "append_entries",
            RpcKind::Vote => "vote",
            RpcKind::InstallSnapshot => "install_snapshot",
            RpcKind::Hello => "hello",
            RpcKind::ClientWrite => "client_write",
            RpcKind::ReadKey => "read_key",
            RpcKind::ReadSerial => "read_serial",
        }
    }

    fn from_name(name: &str) -> Option<RpcKind> {
        RpcKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Why a term is not a gen_raft request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// Not `{'$raft', Binary, Atom, Binary}`.
    #[error("not a gen_raft request")]
    NotRaft,
    /// A kind this version does not know.
    #[error("unknown gen_raft request kind {0}")]
    UnknownKind(String),
    /// The payload does not decode as the kind's type.
    #[error("undecodable gen_raft payload: {0}")]
    Undecodable(String),
    /// An encoding failed (a value serde cannot write).
    #[error("unencodable gen_raft payload: {0}")]
    Unencodable(String),
}

/// A request read off the wire, its payload still encoded.
#[derive(Debug, PartialEq, Eq)]
pub struct RpcRequest {
    /// The sender's cluster id.
    pub cluster: Vec<u8>,
    /// What it asks.
    pub kind: RpcKind,
    /// The bincode payload.
    pub payload: Vec<u8>,
}

/// Encodes a serde value as the payload bytes.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, WireError> {
    bincode::serialize(value).map_err(|e| WireError::Unencodable(e.to_string()))
}

/// Decodes payload bytes as `T`; trailing bytes are an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    use bincode::Options;
    bincode::options()
        .with_fixint_encoding()
        .reject_trailing_bytes()
        .with_limit(64 * 1024 * 1024)
        .deserialize(bytes)
        .map_err(|e| WireError::Undecodable(e.to_string()))
}

/// The request term for `kind` in `cluster` carrying `payload`.
pub fn request_term(cluster: &[u8], kind: RpcKind, payload: Vec<u8>) -> Term {
    Term::tuple(vec![
        Term::atom(RAFT_TAG),
        Term::binary(cluster.to_vec()),
        Term::Atom(Atom::new(kind.name())),
        Term::binary(payload),
    ])
}

/// Reads a request term.
pub fn parse_request(term: &Term) -> Result<RpcRequest, WireError> {
    let elems = term.as_tuple().ok_or(WireError::NotRaft)?;
    let [tag, cluster, kind, payload] = elems else {
        return Err(WireError::NotRaft);
    };
    if !tag.is_atom(RAFT_TAG) {
        return Err(WireError::NotRaft);
    }
    let (Term::Binary(cluster), Term::Atom(kind), Term::Binary(payload)) = (cluster, kind, payload)
    else {
        return Err(WireError::NotRaft);
    };
    let kind = RpcKind::from_name(kind.as_str())
        .ok_or_else(|| WireError::UnknownKind(kind.as_str().to_string()))?;
    Ok(RpcRequest {
        cluster: cluster.to_vec(),
        kind,
        payload: payload.to_vec(),
    })
}

/// `{ok, Payload}`.
pub fn ok_reply(payload: Vec<u8>) -> Term {
    Term::tuple(vec![Term::atom("ok"), Term::binary(payload)])
}

/// `{error, Reason}`.
pub fn error_reply(reason: &str) -> Term {
    Term::tuple(vec![Term::atom("error"), Term::atom(reason)])
}

/// Reads a reply: the payload of `{ok, Payload}`, or the reason of `{error, Reason}`.
pub fn parse_reply(term: &Term) -> Result<Result<Vec<u8>, String>, WireError> {
    match term.as_tuple() {
        Some([ok, Term::Binary(payload)]) if ok.is_atom("ok") => Ok(Ok(payload.to_vec())),
        Some([error, Term::Atom(reason)]) if error.is_atom("error") => {
            Ok(Err(reason.as_str().to_string()))
        }
        _ => Err(WireError::NotRaft),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back() {
        let term = request_term(b"c1", RpcKind::Vote, vec![1, 2, 3]);
        let request = parse_request(&term).unwrap();
        assert_eq!(request.cluster, b"c1".to_vec());
        assert_eq!(request.kind, RpcKind::Vote);
        assert_eq!(request.payload, vec![1, 2, 3]);
    }

    #[test]
    fn malformed_requests_are_refused() {
        assert_eq!(parse_request(&Term::atom("x")), Err(WireError::NotRaft));
        let bad_kind = Term::tuple(vec![
            Term::atom(RAFT_TAG),
            Term::binary(b"c".to_vec()),
            Term::atom("steal"),
            Term::binary(Vec::new()),
        ]);
        assert_eq!(
            parse_request(&bad_kind),
            Err(WireError::UnknownKind("steal".into()))
        );
        assert!(decode::<(u64, u64)>(&[1, 2]).is_err());
        let bytes = encode(&(7u64, 8u64)).unwrap();
        assert_eq!(decode::<(u64, u64)>(&bytes).unwrap(), (7, 8));
    }
}
