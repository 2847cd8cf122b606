//! One end of a proxy tunnel as a byte stream: what is written goes out as data frames on the
//! connection to the first hop (sealed when the tunnel is encrypted), what the far end sent
//! comes in from the session table. The handshake and the connection of `dist/` run over it
//! unchanged, exactly as over a socket, so a tunnelled peer is an ordinary connection to the
//! node: links, monitors and calls need nothing special.
//!
//! Owns the stream and its end of the encryption; must not route frames (the session table
//! does) nor open tunnels.

use std::io;
use std::pin::Pin;
use std::sync::Weak;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;

use super::crypto::{Opener, Sealer, TunnelKeys, TAG_LEN};
use super::sessions::Sessions;
use crate::dist::proxy_frame::{self, ProxyFrame, SessionId};
use crate::dist::{DistSender, TunnelDown};

/// The most tunnel bytes one data frame carries.
pub(crate) const MAX_CHUNK: usize = 64 << 10;

/// What the session table hands a tunnel's end.
pub(crate) enum Inbound {
    /// A data frame's payload, as received (still sealed when encrypted).
    Data(Bytes),
    /// The tunnel is gone: a hop failed or refused it, or the far end closed it.
    Down(String),
}

/// One end of a tunnel.
pub(crate) struct ProxyStream {
    id: SessionId,
    /// The connection to the first hop.
    link: DistSender,
    inbound: mpsc::UnboundedReceiver<Inbound>,
    /// Received plaintext not read yet.
    unread: Bytes,
    seal: Option<Sealer>,
    open: Option<Opener>,
    sessions: Weak<Sessions>,
    /// This node's name, for the reason the far end is given.
    me: String,
    /// Why this end closes the tunnel, when not simply because the connection ended.
    failure: Option<String>,
}

impl ProxyStream {
    pub(crate) fn new(
        id: SessionId,
        link: DistSender,
        inbound: mpsc::UnboundedReceiver<Inbound>,
        sessions: Weak<Sessions>,
        me: String,
    ) -> ProxyStream {
        ProxyStream {
            id,
            link,
            inbound,
            unread: Bytes::new(),
            seal: None,
            open: None,
            sessions,
            me,
            failure: None,
        }
    }

    /// Encrypts the tunnel from now on (before any data flows).
    pub(crate) fn set_keys(&mut self, keys: TunnelKeys) {
        self.seal = Some(keys.seal);
        self.open = Some(keys.open);
    }

    /// Ends the tunnel now, telling the far end why.
    pub(crate) fn fail(mut self, reason: String) {
        self.failure = Some(reason);
    }

    fn down(&mut self, reason: String) -> io::Error {
        io::Error::new(io::ErrorKind::ConnectionAborted, TunnelDown(reason))
    }

    /// Puts one received payload's plaintext into `buf`, which has room for the payload (opened
    /// in place there when sealed); the plaintext's length.
    fn plaintext_into(&mut self, sealed: &[u8], buf: &mut ReadBuf<'_>) -> Result<usize, io::Error> {
        let Some(open) = &mut self.open else {
            buf.put_slice(sealed);
            return Ok(sealed.len());
        };
        let room = buf.initialize_unfilled_to(sealed.len());
        room.copy_from_slice(sealed);
        match open.open(room) {
            Ok(n) => {
                buf.advance(n);
                Ok(n)
            }
            Err(err) => {
                let reason = format!("{}: {err}", self.me);
                self.failure = Some(reason.clone());
                Err(self.down(reason))
            }
        }
    }

    /// Plaintext of one received payload.
    fn plaintext(&mut self, payload: Bytes) -> Result<Bytes, io::Error> {
        let Some(open) = &mut self.open else {
            return Ok(payload);
        };
        let mut sealed = BytesMut::from(&payload[..]);
        match open.open(&mut sealed) {
            Ok(n) => {
                sealed.truncate(n);
                Ok(sealed.freeze())
            }
            Err(err) => {
                let reason = format!("{}: {err}", self.me);
                self.failure = Some(reason.clone());
                Err(self.down(reason))
            }
        }
    }
}

impl AsyncRead for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.unread.is_empty() {
            match ready!(this.inbound.poll_recv(cx)) {
                // Straight into the reader's buffer when it fits (opened there when sealed).
                Some(Inbound::Data(payload)) if payload.len() <= buf.remaining() => {
                    if this.plaintext_into(&payload, buf)? > 0 {
                        return Poll::Ready(Ok(()));
                    }
                }
                Some(Inbound::Data(payload)) => this.unread = this.plaintext(payload)?,
                Some(Inbound::Down(reason)) => return Poll::Ready(Err(this.down(reason))),
                // The session table is gone (the node stopped): end of stream.
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = this.unread.len().min(buf.remaining());
        buf.put_slice(&this.unread.split_to(n));
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let n = buf.len().min(MAX_CHUNK);
        let chunk = &buf[..n];
        let queued = match &mut this.seal {
            None => this.link.queue_frame(|out| {
                proxy_frame::data_header(out, &this.id);
                out.extend_from_slice(chunk);
            }),
            // Sealed in place in the link's buffer: one copy of the chunk, not two.
            Some(seal) => {
                let mut sealed = Ok(());
                let queued = this.link.queue_frame(|out| {
                    let start = out.len();
                    out.reserve(proxy_frame::DATA_HEADER_LEN + n + TAG_LEN);
                    proxy_frame::data_header(out, &this.id);
                    let from = out.len();
                    out.extend_from_slice(chunk);
                    sealed = seal.seal(out, from);
                    if sealed.is_err() {
                        // Never the plaintext: the frame goes out empty (a tick).
                        out.truncate(start);
                    }
                });
                if let Err(err) = sealed {
                    // The tunnel ends: no frame may follow one that did not seal.
                    return Poll::Ready(Err(io::Error::other(err)));
                }
                queued
            }
        };
        match queued {
            Ok(()) => Poll::Ready(Ok(n)),
            Err(_) => Poll::Ready(Err(this.down(format!(
                "{}: the connection to the tunnel's first hop is closed",
                this.me
            )))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Drop for ProxyStream {
    /// The tunnel's connection ended: the session goes, and the far end is told (unless the
    /// tunnel was already down).
    fn drop(&mut self) {
        let Some(sessions) = self.sessions.upgrade() else {
            return;
        };
        if !sessions.forget(&self.id) {
            return;
        }
        let reason = self
            .failure
            .take()
            .unwrap_or_else(|| format!("closed by {}", self.me));
        let frame = ProxyFrame::Disconnect {
            id: self.id,
            reason,
        };
        let _ = self.link.queue_frame(|out| frame.encode(out));
    }
}
