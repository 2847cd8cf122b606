//! The tunnels passing through or ending at this node, by session id, and what happens to a
//! proxy frame that belongs to one: at an end, data goes to the tunnel's stream; at a transit
//! node, frames go on to the other hop unchanged (they are sealed end to end); a disconnect
//! removes the session and travels on; a lost connection ends every tunnel that used it, each
//! end told which hop failed.
//!
//! Owns the session table; must not open tunnels or connections (`tunnel.rs` does).

use std::sync::Mutex;

use bytes::Bytes;
use ergo_etf::Atom;
use tokio::sync::{mpsc, oneshot};

use super::stream::Inbound;
use crate::dist::proxy_frame::{ProxyFrame, SessionId};
use crate::dist::DistSender;
use crate::fast_hash::FxHashMap;

/// A connection a tunnel runs over: the neighbour node and which of its connections.
#[derive(Clone)]
pub(crate) struct Hop {
    pub peer: Atom,
    /// The connection's id in the connection manager (a reconnect is another hop).
    pub link: u64,
    pub sender: DistSender,
}

impl Hop {
    fn is(&self, peer: &Atom, link: u64) -> bool {
        self.link == link && self.peer == *peer
    }
}

/// What the connect request's answer is for the node that opened a tunnel: the far end's key,
/// or why the tunnel could not be made.
pub(crate) type ConnectAnswer = Result<Vec<u8>, String>;

/// One tunnel, as this node sees it.
pub(crate) enum Session {
    /// This node is an end of it.
    End {
        hop: Hop,
        inbound: mpsc::UnboundedSender<Inbound>,
        /// Until the far end answers (only at the end that opened the tunnel).
        answer: Option<oneshot::Sender<ConnectAnswer>>,
    },
    /// This node relays it.
    Transit {
        toward_opener: Hop,
        /// `None` while the next hop is being connected.
        toward_far_end: Option<Hop>,
    },
}

impl Session {
    fn uses(&self, peer: &Atom, link: u64) -> bool {
        match self {
            Session::End { hop, .. } => hop.is(peer, link),
            Session::Transit {
                toward_opener,
                toward_far_end,
            } => {
                toward_opener.is(peer, link)
                    || toward_far_end.as_ref().is_some_and(|h| h.is(peer, link))
            }
        }
    }
}

/// The session table of one node.
pub(crate) struct Sessions {
    me: Atom,
    table: Mutex<FxHashMap<SessionId, Session>>,
}

/// Sends a proxy frame to a hop; a closed connection is only logged (its end is handled when
/// the connection's reader stops).
pub(crate) fn send_to(hop: &Hop, frame: &ProxyFrame) {
    if let Err(err) = hop.sender.queue_frame(|out| frame.encode(out)) {
        tracing::debug!(peer = %hop.peer, %err, "proxy frame not sent: connection closed");
    }
}

impl Sessions {
    pub(crate) fn new(me: Atom) -> Sessions {
        Sessions {
            me,
            table: Mutex::new(FxHashMap::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<SessionId, Session>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a session; false (and nothing changes) when the id is taken.
    pub(crate) fn insert(&self, id: SessionId, session: Session) -> bool {
        let mut table = self.lock();
        if table.contains_key(&id) {
            return false;
        }
        table.insert(id, session);
        true
    }

    /// Removes a session; true if it was there.
    pub(crate) fn forget(&self, id: &SessionId) -> bool {
        self.lock().remove(id).is_some()
    }

    /// A transit session's next hop is connected: frames may flow. False if the session went
    /// meanwhile (the opener gave up or its connection was lost).
    pub(crate) fn connected_onward(&self, id: &SessionId, next: Hop) -> bool {
        match self.lock().get_mut(id) {
            Some(Session::Transit { toward_far_end, .. }) => {
                *toward_far_end = Some(next);
                true
            }
            _ => false,
        }
    }

    /// The number of tunnels through or ending at this node.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// A connect reply, disconnect or data frame from `peer`'s connection `link`.
    pub(crate) fn relay(
        &self,
        peer: &Atom,
        link: u64,
        sender: &DistSender,
        raw: &Bytes,
        frame: ProxyFrame,
    ) {
        let id = *frame.id();
        let mut table = self.lock();
        let Some(session) = table.get_mut(&id) else {
            drop(table);
            // A tunnel this node no longer knows: the sender's end must hear it is gone (a
            // disconnect is never answered, so two nodes cannot bounce one forever).
            if matches!(
                frame,
                ProxyFrame::Data { .. } | ProxyFrame::ConnectReply { .. }
            ) {
                let hop = Hop {
                    peer: peer.clone(),
                    link,
                    sender: sender.clone(),
                };
                let reason = format!("{}: no such tunnel", self.me);
                send_to(&hop, &ProxyFrame::Disconnect { id, reason });
            }
            return;
        };
        match session {
            Session::Transit {
                toward_opener,
                toward_far_end,
            } => {
                let onward = if toward_opener.is(peer, link) {
                    toward_far_end.as_ref()
                } else if toward_far_end.as_ref().is_some_and(|h| h.is(peer, link)) {
                    Some(&*toward_opener)
                } else {
                    None
                };
                let Some(onward) = onward else {
                    tracing::warn!(%peer, "proxy frame for a tunnel from a connection it does not use; ignored");
                    return;
                };
                if let Err(err) = onward.sender.queue_frame(|out| out.extend_from_slice(raw)) {
                    tracing::debug!(peer = %onward.peer, %err, "relayed proxy frame not sent");
                }
                if matches!(frame, ProxyFrame::Disconnect { .. }) {
                    table.remove(&id);
                }
            }
            Session::End {
                hop,
                inbound,
                answer,
            } => {
                if !hop.is(peer, link) {
                    tracing::warn!(%peer, "proxy frame for a tunnel from a connection it does not use; ignored");
                    return;
                }
                match frame {
                    ProxyFrame::Data { payload, .. } => {
                        let _ = inbound.send(Inbound::Data(payload));
                    }
                    ProxyFrame::ConnectReply { key, .. } => match answer.take() {
                        Some(answer) => {
                            let _ = answer.send(Ok(key));
                        }
                        None => tracing::warn!(%peer, "unexpected proxy connect reply; ignored"),
                    },
                    ProxyFrame::Disconnect { reason, .. } => {
                        if let Some(Session::End {
                            inbound, answer, ..
                        }) = table.remove(&id)
                        {
                            drop(table);
                            tracing::info!(%peer, %reason, "proxy tunnel down");
                            end_down(inbound, answer, reason);
                        }
                    }
                    ProxyFrame::ConnectRequest { .. } => {
                        tracing::warn!(%peer, "proxy connect request for an open tunnel; ignored")
                    }
                }
            }
        }
    }

    /// The connection `link` to `peer` is gone: every tunnel over it ends.
    pub(crate) fn link_down(&self, peer: &Atom, link: u64) {
        let gone: Vec<(SessionId, Session)> = {
            let mut table = self.lock();
            let ids: Vec<SessionId> = table
                .iter()
                .filter(|(_, s)| s.uses(peer, link))
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| table.remove(&id).map(|s| (id, s)))
                .collect()
        };
        for (id, session) in gone {
            let reason = format!("{}: the connection to {peer} was lost", self.me);
            match session {
                Session::End {
                    inbound, answer, ..
                } => {
                    tracing::info!(%peer, "proxy tunnel down: its first hop is gone");
                    end_down(inbound, answer, reason);
                }
                Session::Transit {
                    toward_opener,
                    toward_far_end,
                } => {
                    let frame = ProxyFrame::Disconnect { id, reason };
                    for hop in std::iter::once(toward_opener).chain(toward_far_end) {
                        if !hop.is(peer, link) {
                            send_to(&hop, &frame);
                        }
                    }
                }
            }
        }
    }
}

/// Tells a tunnel's end it is down: the opener still waiting for the answer gets it as an
/// error, and the stream's reader gets the reason.
fn end_down(
    inbound: mpsc::UnboundedSender<Inbound>,
    answer: Option<oneshot::Sender<ConnectAnswer>>,
    reason: String,
) {
    if let Some(answer) = answer {
        let _ = answer.send(Err(reason.clone()));
    }
    let _ = inbound.send(Inbound::Down(reason));
}
