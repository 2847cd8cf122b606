//! The wire format of proxy frames: ergo-rs's private frames that carry a tunnelled
//! connection between two nodes through transit nodes (see `net::proxy`). They travel on an
//! ordinary distribution connection between ergo-rs nodes that negotiated
//! [`DistFlags::ERGO_PROXY`](super::DistFlags::ERGO_PROXY), interleaved with Erlang's frames;
//! Erlang never sees one.
//!
//! A frame is the usual 4-byte length, then [`PROXY_TAG`] (Erlang's frames start with 112 or
//! 131), a kind byte and the 16-byte session id:
//!
//! | kind | body after the id |
//! |------|-------------------|
//! | 1 connect request | hops `u8`, flags `u8` (bit 0: encrypted), from, to, key (each `u8` length + bytes) |
//! | 2 connect reply   | key (`u8` length + bytes; empty when not encrypted) |
//! | 3 disconnect      | reason, UTF-8, to the end |
//! | 4 data            | the tunnel's bytes (sealed when encrypted), to the end |
//!
//! Owns encoding and decoding of these frames; must not decide what a frame means (the proxy
//! does) nor touch the connection's other frames.

use bytes::Bytes;

/// The first byte of every proxy frame.
pub const PROXY_TAG: u8 = 0xE5;

/// The bytes before a data frame's payload: tag, kind, session id.
pub const DATA_HEADER_LEN: usize = 2 + SESSION_ID_LEN;

/// The length of a session id.
pub const SESSION_ID_LEN: usize = 16;

/// Names one tunnel on every hop of its route (chosen at random by the node that opens it).
pub type SessionId = [u8; SESSION_ID_LEN];

const KIND_CONNECT_REQUEST: u8 = 1;
const KIND_CONNECT_REPLY: u8 = 2;
const KIND_DISCONNECT: u8 = 3;
const KIND_DATA: u8 = 4;

const FLAG_ENCRYPTED: u8 = 1;

/// The longest disconnect reason sent (longer ones are cut).
const MAX_REASON: usize = 512;

/// A proxy frame, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyFrame {
    /// Open a tunnel from `from` to `to`.
    ConnectRequest {
        /// The session.
        id: SessionId,
        /// Transit nodes passed so far.
        hops: u8,
        /// Whether the ends encrypt the tunnel.
        encrypted: bool,
        /// The node opening the tunnel.
        from: String,
        /// The node at the far end.
        to: String,
        /// The opener's ephemeral public key (empty when not encrypted).
        key: Vec<u8>,
    },
    /// The far end accepted.
    ConnectReply {
        /// The session.
        id: SessionId,
        /// The far end's ephemeral public key (empty when not encrypted).
        key: Vec<u8>,
    },
    /// The tunnel is closed, or could not be opened.
    Disconnect {
        /// The session.
        id: SessionId,
        /// Why, for the ends' logs and errors.
        reason: String,
    },
    /// Bytes of the tunnelled connection.
    Data {
        /// The session.
        id: SessionId,
        /// The bytes (sealed when the tunnel is encrypted); a slice of the received frame.
        payload: Bytes,
    },
}

/// A malformed proxy frame.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProxyFrameError {
    /// The frame ends before its field.
    #[error("proxy frame truncated at {0}")]
    Truncated(&'static str),
    /// An unknown kind byte.
    #[error("unknown proxy frame kind {0}")]
    UnknownKind(u8),
    /// A node name that is not UTF-8.
    #[error("proxy frame {0} is not UTF-8")]
    NotUtf8(&'static str),
    /// Not a proxy frame at all.
    #[error("not a proxy frame (first byte {0})")]
    NotProxy(u8),
}

impl ProxyFrame {
    /// The session the frame belongs to.
    pub fn id(&self) -> &SessionId {
        match self {
            ProxyFrame::ConnectRequest { id, .. }
            | ProxyFrame::ConnectReply { id, .. }
            | ProxyFrame::Disconnect { id, .. }
            | ProxyFrame::Data { id, .. } => id,
        }
    }

    /// Appends the frame's body (everything after the 4-byte length) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ProxyFrame::ConnectRequest {
                id,
                hops,
                encrypted,
                from,
                to,
                key,
            } => {
                header(out, KIND_CONNECT_REQUEST, id);
                out.push(*hops);
                out.push(if *encrypted { FLAG_ENCRYPTED } else { 0 });
                short_field(out, from.as_bytes());
                short_field(out, to.as_bytes());
                short_field(out, key);
            }
            ProxyFrame::ConnectReply { id, key } => {
                header(out, KIND_CONNECT_REPLY, id);
                short_field(out, key);
            }
            ProxyFrame::Disconnect { id, reason } => {
                header(out, KIND_DISCONNECT, id);
                let mut end = reason.len().min(MAX_REASON);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                out.extend_from_slice(&reason.as_bytes()[..end]);
            }
            ProxyFrame::Data { id, payload } => {
                data_header(out, id);
                out.extend_from_slice(payload);
            }
        }
    }

    /// Decodes a frame body (the first byte being [`PROXY_TAG`]).
    pub fn decode(frame: &Bytes) -> Result<ProxyFrame, ProxyFrameError> {
        let mut r = Reader { buf: frame, at: 0 };
        let tag = r.byte("tag")?;
        if tag != PROXY_TAG {
            return Err(ProxyFrameError::NotProxy(tag));
        }
        let kind = r.byte("kind")?;
        let id: SessionId = r
            .take(SESSION_ID_LEN, "session id")?
            .try_into()
            .map_err(|_| ProxyFrameError::Truncated("session id"))?;
        match kind {
            KIND_CONNECT_REQUEST => {
                let hops = r.byte("hops")?;
                let flags = r.byte("flags")?;
                let from = r.short_text("from")?;
                let to = r.short_text("to")?;
                let key = r.short_field("key")?.to_vec();
                Ok(ProxyFrame::ConnectRequest {
                    id,
                    hops,
                    encrypted: flags & FLAG_ENCRYPTED != 0,
                    from,
                    to,
                    key,
                })
            }
            KIND_CONNECT_REPLY => Ok(ProxyFrame::ConnectReply {
                id,
                key: r.short_field("key")?.to_vec(),
            }),
            KIND_DISCONNECT => Ok(ProxyFrame::Disconnect {
                id,
                reason: String::from_utf8_lossy(&frame[r.at..]).into_owned(),
            }),
            KIND_DATA => Ok(ProxyFrame::Data {
                id,
                payload: frame.slice(r.at..),
            }),
            other => Err(ProxyFrameError::UnknownKind(other)),
        }
    }
}

fn header(out: &mut Vec<u8>, kind: u8, id: &SessionId) {
    out.push(PROXY_TAG);
    out.push(kind);
    out.extend_from_slice(id);
}

/// Appends a data frame's header ([`DATA_HEADER_LEN`] bytes); the payload follows.
pub fn data_header(out: &mut Vec<u8>, id: &SessionId) {
    header(out, KIND_DATA, id);
}

fn short_field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len().min(u8::MAX as usize);
    out.push(len as u8);
    out.extend_from_slice(&bytes[..len]);
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ProxyFrameError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or(ProxyFrameError::Truncated(what))?;
        let bytes = &self.buf[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, ProxyFrameError> {
        Ok(self.take(1, what)?[0])
    }

    fn short_field(&mut self, what: &'static str) -> Result<&'a [u8], ProxyFrameError> {
        let len = self.byte(what)? as usize;
        self.take(len, what)
    }

    fn short_text(&mut self, what: &'static str) -> Result<String, ProxyFrameError> {
        let bytes = self.short_field(what)?;
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| ProxyFrameError::NotUtf8(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(frame: ProxyFrame) {
        let mut out = Vec::new();
        frame.encode(&mut out);
        assert_eq!(out[0], PROXY_TAG);
        assert_eq!(ProxyFrame::decode(&Bytes::from(out)).ok(), Some(frame));
    }

    #[test]
    fn every_kind_round_trips() {
        let id = [7u8; SESSION_ID_LEN];
        round_trip(ProxyFrame::ConnectRequest {
            id,
            hops: 3,
            encrypted: true,
            from: "a@host".into(),
            to: "c@host".into(),
            key: vec![9; 32],
        });
        round_trip(ProxyFrame::ConnectReply { id, key: vec![] });
        round_trip(ProxyFrame::Disconnect {
            id,
            reason: "transit not allowed at b@host".into(),
        });
        round_trip(ProxyFrame::Data {
            id,
            payload: Bytes::from_static(b"\x00\x00\x00\x05hello"),
        });
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        ProxyFrame::ConnectRequest {
            id: [1; SESSION_ID_LEN],
            hops: 0,
            encrypted: false,
            from: "a@h".into(),
            to: "c@h".into(),
            key: vec![2; 32],
        }
        .encode(&mut out);
        for len in 0..out.len() {
            let cut = Bytes::copy_from_slice(&out[..len]);
            assert!(ProxyFrame::decode(&cut).is_err(), "length {len} decoded");
        }
    }

    #[test]
    fn unknown_kind_and_foreign_frames_are_refused() {
        let mut bad = vec![PROXY_TAG, 99];
        bad.extend_from_slice(&[0; SESSION_ID_LEN]);
        assert!(matches!(
            ProxyFrame::decode(&Bytes::from(bad)),
            Err(ProxyFrameError::UnknownKind(99))
        ));
        assert!(matches!(
            ProxyFrame::decode(&Bytes::from_static(&[131, 68])),
            Err(ProxyFrameError::NotProxy(131))
        ));
    }

    #[test]
    fn long_reasons_are_cut_on_a_char_boundary() {
        let reason = "é".repeat(400);
        let mut out = Vec::new();
        ProxyFrame::Disconnect {
            id: [0; SESSION_ID_LEN],
            reason,
        }
        .encode(&mut out);
        match ProxyFrame::decode(&Bytes::from(out)) {
            Ok(ProxyFrame::Disconnect { reason, .. }) => {
                assert_eq!(reason.len(), MAX_REASON);
                assert!(reason.chars().all(|c| c == 'é'));
            }
            other => panic!("{other:?}"),
        }
    }
}
