//! The error enums of the distribution layer: handshake failures, malformed frames, and why a
//! connection closed.
//!
//! Owns error types only; it must not decide what to do about them.

use thiserror::Error;

use super::DistFlags;
use crate::epmd::EpmdError;

/// Why a handshake failed.
#[derive(Debug, Error)]
pub enum HandshakeError {
    /// Resolving or reaching the peer failed.
    #[error("cannot resolve the peer: {0}")]
    Resolve(#[from] EpmdError),
    /// The TCP connection failed or broke.
    #[error("handshake I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The handshake did not finish within the setup time.
    #[error("handshake timed out")]
    Timeout,
    /// The peer closed the socket (after our challenge reply this usually means a wrong cookie).
    #[error("peer closed the connection during the handshake at {0}")]
    Closed(&'static str),
    /// A handshake message was malformed.
    #[error("malformed handshake message: {0}")]
    Malformed(&'static str),
    /// A message arrived that the protocol does not allow at this point.
    #[error("unexpected handshake message {tag:?} during {stage}")]
    Unexpected {
        /// The first byte of the message.
        tag: u8,
        /// What we were waiting for.
        stage: &'static str,
    },
    /// The peer lacks mandatory flags.
    #[error("peer lacks mandatory flags {0:?}")]
    MissingFlags(DistFlags),
    /// The peer refused us: `not_allowed`.
    #[error("peer refused the connection: not_allowed")]
    NotAllowed,
    /// The peer refused us: `nok` (it wins a simultaneous connect).
    #[error("peer refused the connection: nok (simultaneous connect lost)")]
    SimultaneousLost,
    /// The TLS layer under the handshake failed (certificate refused, not a TLS peer...).
    #[error("TLS: {0}")]
    Tls(String),
    /// The peer's EPMD entry says it uses another transport (TLS vs plain TCP) than we do.
    #[error("transport mismatch: {0}")]
    Transport(String),
    /// A proxy tunnel could not be opened (refused or failed at a hop, named in the reason).
    #[error("proxy: {0}")]
    Proxy(String),
    /// The peer has a connection to us up, and so have we (the other direction won).
    #[error("a connection to the peer is already up")]
    AlreadyConnected,
    /// We refused the peer (simultaneous connect, or an existing connection kept).
    #[error("refused the peer: {0}")]
    Refused(&'static str),
    /// The peer sent a status we do not know.
    #[error("unknown handshake status {0:?}")]
    UnknownStatus(String),
    /// The challenge reply did not match our cookie.
    #[error("invalid challenge reply from {0} (wrong cookie?)")]
    BadDigest(String),
    /// The challenge ack did not match our cookie.
    #[error("invalid challenge ack from {0} (wrong cookie?)")]
    BadAck(String),
    /// The peer's name is not the node we dialed, or not a valid node name.
    #[error("peer name {got:?} is not {expected:?}")]
    WrongName {
        /// The node we dialed (or a description of a valid name).
        expected: String,
        /// What the peer said.
        got: String,
    },
}

impl HandshakeError {
    /// A short label of the kind of failure (a metric label: `bad_digest`, `timeout`...).
    pub fn kind(&self) -> &'static str {
        match self {
            HandshakeError::Resolve(_) => "resolve",
            HandshakeError::Io(_) => "io",
            HandshakeError::Timeout => "timeout",
            HandshakeError::Closed(_) => "closed",
            HandshakeError::Malformed(_) => "malformed",
            HandshakeError::Unexpected { .. } => "unexpected",
            HandshakeError::MissingFlags(_) => "missing_flags",
            HandshakeError::NotAllowed => "not_allowed",
            HandshakeError::SimultaneousLost => "simultaneous_lost",
            HandshakeError::Tls(_) => "tls",
            HandshakeError::Transport(_) => "transport",
            HandshakeError::Proxy(_) => "proxy",
            HandshakeError::AlreadyConnected => "already_connected",
            HandshakeError::Refused(_) => "refused",
            HandshakeError::UnknownStatus(_) => "unknown_status",
            HandshakeError::BadDigest(_) => "bad_digest",
            HandshakeError::BadAck(_) => "bad_ack",
            HandshakeError::WrongName { .. } => "wrong_name",
        }
    }
}

/// Why an incoming frame could not be decoded (the connection is closed).
#[derive(Debug, Error)]
pub enum FrameError {
    /// The frame length exceeds the configured maximum.
    #[error("frame of {len} bytes exceeds the maximum {max}")]
    TooLarge {
        /// The length field.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The frame ended before a field.
    #[error("truncated frame at {0}")]
    Truncated(&'static str),
    /// The frame does not start with a tag we accept.
    #[error("bad frame tag {0} (expected 112 or 131,68/69/70)")]
    BadTag(u8),
    /// Pass-through framing (112) arrived though the header atom cache or fragments were
    /// negotiated, or the reverse.
    #[error("frame kind {0} not allowed by the negotiated flags")]
    NotNegotiated(&'static str),
    /// An atom cache reference points to a slot that holds nothing.
    #[error("atom cache reference to empty slot {segment}:{index}")]
    EmptyCacheSlot {
        /// The segment (0..8).
        segment: u8,
        /// The index in the segment.
        index: u8,
    },
    /// An atom text in the header is not valid.
    #[error("bad atom text in the distribution header")]
    BadAtom,
    /// The ETF decoder refused a term.
    #[error("bad term in {what}: {reason}")]
    BadTerm {
        /// Control message or payload.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The control message is not a known, well-formed tuple.
    #[error("bad control message: {0}")]
    BadControl(String),
    /// A fragment broke the fragment rules.
    #[error("fragment error: {0}")]
    Fragment(String),
    /// Reassembly would exceed the memory cap.
    #[error("fragment reassembly would use {wanted} bytes, over the cap {cap}")]
    FragmentMemory {
        /// Bytes reassembly would hold.
        wanted: usize,
        /// The configured cap.
        cap: usize,
    },
    /// Bytes were left over after the control message and payload.
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
    /// A compressed payload that is corrupt or would inflate past the limit.
    #[error("{0}")]
    Compressed(String),
}

/// Why a connection ended.
#[derive(Debug, Error)]
pub enum ConnectionError {
    /// The socket failed.
    #[error("connection I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the socket.
    #[error("peer closed the connection")]
    Closed,
    /// The peer sent nothing for a whole tick time.
    #[error("peer silent for {0:?}: net_tick_timeout")]
    TickTimeout(std::time::Duration),
    /// The peer sent a malformed frame.
    #[error("malformed frame: {0}")]
    Frame(#[from] FrameError),
    /// We could not encode an outgoing message.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// The writer task is gone.
    #[error("connection writer stopped")]
    WriterGone,
    /// The peer sent a malformed proxy frame, or one this end cannot take.
    #[error("proxy: {0}")]
    Proxy(String),
    /// The connection ran through a proxy tunnel, and a hop of it failed or refused it.
    #[error("proxy down: {0}")]
    ProxyDown(String),
}

/// The error a tunnelled stream's read fails with when a hop of the tunnel went down or refused
/// it; the connection reports it as [`ConnectionError::ProxyDown`] rather than as I/O.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TunnelDown(pub String);

impl ConnectionError {
    /// Classifies a read error of the connection's stream.
    pub(crate) fn from_read(err: std::io::Error) -> ConnectionError {
        if let Some(down) = err.get_ref().and_then(|e| e.downcast_ref::<TunnelDown>()) {
            return ConnectionError::ProxyDown(down.0.clone());
        }
        match err.kind() {
            // A TLS peer that goes away without close_notify (as a halting `erl` does).
            std::io::ErrorKind::UnexpectedEof => ConnectionError::Closed,
            _ => ConnectionError::Io(err),
        }
    }
}
