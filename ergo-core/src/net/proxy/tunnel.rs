//! Opening a tunnel (the node with the route), accepting one (the far end) and setting up the
//! relay (a transit node): the connect request's three fates. Once a tunnel is up, its ends
//! hand the stream to the ordinary handshake and connection; relaying is `sessions.rs`'s.
//!
//! Owns these three flows; must not relay data nor touch a connection's internals.

use std::sync::Arc;

use bytes::Bytes;
use ergo_etf::Atom;
use tokio::sync::{mpsc, oneshot};

use super::crypto::{random_id, End, KeyExchange, Transcript};
use super::sessions::{send_to, Hop, Session};
use super::stream::ProxyStream;
use super::ProxyRoute;
use crate::dist::handshake::{self, Handshaken};
use crate::dist::proxy_frame::{ProxyFrame, SessionId};
use crate::dist::{ConnectionError, DistConnection, DistFlags, DistSender, HandshakeError};
use crate::net::manager::NetManager;
use crate::net::transport;

/// Connects to the first hop of a tunnel, which must relay proxy frames.
async fn hop_to(manager: &NetManager, node: &Atom) -> Result<Hop, String> {
    let (hop, flags) = manager.link_to(node).await?;
    if !flags.contains(DistFlags::ERGO_PROXY) {
        return Err(format!(
            "{node} cannot relay a tunnel: it is not an ergo-rs node"
        ));
    }
    Ok(hop)
}

/// Opens a tunnel to `node` along `route` and handshakes with `node` through it.
pub(crate) async fn open(
    manager: &Arc<NetManager>,
    node: &Atom,
    route: &ProxyRoute,
) -> Result<DistConnection, HandshakeError> {
    let proxy = &manager.proxy;
    let via = Atom::try_new(&route.via)
        .ok_or_else(|| HandshakeError::Proxy(format!("invalid transit node {:?}", route.via)))?;
    let hop = hop_to(manager, &via).await.map_err(HandshakeError::Proxy)?;
    let crypto_error = |e: super::crypto::CryptoError| HandshakeError::Proxy(e.to_string());
    let id = random_id(&proxy.rng).map_err(crypto_error)?;
    let exchange = match route.encrypted {
        true => Some(KeyExchange::new(&proxy.rng).map_err(crypto_error)?),
        false => None,
    };
    let (inbound, received) = mpsc::unbounded_channel();
    let (answer, answered) = oneshot::channel();
    let session = Session::End {
        hop: hop.clone(),
        inbound,
        answer: Some(answer),
    };
    if !proxy.sessions.insert(id, session) {
        return Err(HandshakeError::Proxy("session id collision".into()));
    }
    // From here the stream owns the session: dropping it on any error below ends the tunnel
    // and tells the far end.
    let mut stream = ProxyStream::new(
        id,
        hop.sender.clone(),
        received,
        Arc::downgrade(&proxy.sessions),
        manager.name().to_string(),
    );
    let opener_key = exchange
        .as_ref()
        .map(|e| e.public().to_vec())
        .unwrap_or_default();
    send_to(
        &hop,
        &ProxyFrame::ConnectRequest {
            id,
            hops: 0,
            encrypted: route.encrypted,
            from: manager.name().to_string(),
            to: node.to_string(),
            key: opener_key.clone(),
        },
    );
    let setup = manager.options.handshake.setup_timeout;
    let far_end_key = match tokio::time::timeout(setup, answered).await {
        Ok(Ok(Ok(key))) => key,
        Ok(Ok(Err(reason))) => return Err(HandshakeError::Proxy(reason)),
        Ok(Err(_)) => return Err(HandshakeError::Proxy("the tunnel was dropped".into())),
        Err(_) => return Err(HandshakeError::Timeout),
    };
    if let Some(exchange) = exchange {
        let cookie = manager.cookie_with(node.as_str());
        let transcript = Transcript {
            id: &id,
            opener_key: &opener_key,
            far_end_key: &far_end_key,
            cookie: &cookie,
        };
        let keys = exchange
            .finish(&far_end_key, End::Opener, &transcript)
            .map_err(crypto_error)?;
        stream.set_keys(keys);
    }
    tracing::debug!(peer = %node, via = %via, encrypted = route.encrypted, "proxy tunnel open");
    let endpoint = manager.endpoint();
    transport::initiate(&endpoint, stream, node.as_str(), &manager.options.handshake).await
}

/// The connection a proxy frame came in on.
pub(crate) struct FromLink<'a> {
    pub peer: &'a Atom,
    pub link: u64,
    pub sender: &'a DistSender,
}

impl FromLink<'_> {
    fn hop(&self) -> Hop {
        Hop {
            peer: self.peer.clone(),
            link: self.link,
            sender: self.sender.clone(),
        }
    }

    fn refuse(&self, id: SessionId, reason: String) {
        tracing::info!(peer = %self.peer, %reason, "proxy connect request refused");
        send_to(&self.hop(), &ProxyFrame::Disconnect { id, reason });
    }
}

/// A proxy frame arrived (on the connection's reader: nothing here waits).
pub(crate) fn on_frame(
    manager: &Arc<NetManager>,
    from: &FromLink<'_>,
    raw: Bytes,
) -> Result<(), ConnectionError> {
    let frame = ProxyFrame::decode(&raw).map_err(|e| ConnectionError::Proxy(e.to_string()))?;
    match frame {
        ProxyFrame::ConnectRequest {
            id,
            hops,
            encrypted,
            from: opener,
            to,
            key,
        } => {
            let Some(to) = Atom::try_new(&to) else {
                from.refuse(id, format!("{to:?} is not a node name"));
                return Ok(());
            };
            let request = Request {
                id,
                hops,
                encrypted,
                opener,
                to,
                key,
            };
            if request.to == *manager.name() {
                accept(manager, from, request);
            } else {
                relay(manager, from, request);
            }
        }
        other => manager
            .proxy
            .sessions
            .relay(from.peer, from.link, from.sender, &raw, other),
    }
    Ok(())
}

struct Request {
    id: SessionId,
    hops: u8,
    encrypted: bool,
    opener: String,
    to: Atom,
    key: Vec<u8>,
}

/// This node is the far end: answer, then handshake as the accepting side.
fn accept(manager: &Arc<NetManager>, from: &FromLink<'_>, request: Request) {
    let proxy = &manager.proxy;
    let me = manager.name();
    if !proxy.accept {
        return from.refuse(
            request.id,
            format!("{me} does not accept proxy connections"),
        );
    }
    let (keys, far_end_key) = if request.encrypted {
        let exchange = match KeyExchange::new(&proxy.rng) {
            Ok(e) => e,
            Err(err) => return from.refuse(request.id, format!("{me}: {err}")),
        };
        let far_end_key = exchange.public().to_vec();
        let cookie = manager.cookie_with(&request.opener);
        let transcript = Transcript {
            id: &request.id,
            opener_key: &request.key,
            far_end_key: &far_end_key,
            cookie: &cookie,
        };
        match exchange.finish(&request.key, End::FarEnd, &transcript) {
            Ok(keys) => (Some(keys), far_end_key),
            Err(err) => return from.refuse(request.id, format!("{me}: {err}")),
        }
    } else {
        (None, Vec::new())
    };
    let (inbound, received) = mpsc::unbounded_channel();
    let hop = from.hop();
    let session = Session::End {
        hop: hop.clone(),
        inbound,
        answer: None,
    };
    if !proxy.sessions.insert(request.id, session) {
        return from.refuse(request.id, format!("{me}: session id already in use"));
    }
    let mut stream = ProxyStream::new(
        request.id,
        hop.sender.clone(),
        received,
        Arc::downgrade(&proxy.sessions),
        me.to_string(),
    );
    if let Some(keys) = keys {
        stream.set_keys(keys);
    }
    send_to(
        &hop,
        &ProxyFrame::ConnectReply {
            id: request.id,
            key: far_end_key,
        },
    );
    tracing::debug!(opener = %request.opener, via = %from.peer, encrypted = request.encrypted, "proxy tunnel accepted");
    let manager = Arc::clone(manager);
    manager.clone().spawn(async move {
        let endpoint = manager.endpoint();
        let options = &manager.options.handshake;
        // The handshake borrows the stream, so a refusal can be told to the opener.
        let agreed = handshake::accept(
            &mut stream,
            endpoint.local,
            endpoint.cookie,
            endpoint.arbiter,
            options,
        )
        .await
        .map(|done| {
            (
                done.peer_name,
                done.peer_creation,
                done.peer_flags,
                done.flags,
            )
        });
        let refused = match agreed {
            Ok((peer_name, peer_creation, peer_flags, flags)) => {
                let done = Handshaken {
                    stream,
                    peer_name,
                    peer_creation,
                    peer_flags,
                    flags,
                };
                manager.install_via(
                    DistConnection::start(done, &manager.options.connection),
                    true,
                );
                return;
            }
            Err(err) => err,
        };
        manager.handshake_failed(&refused);
        tracing::warn!(opener = %request.opener, err = %refused, "tunnelled connection refused");
        stream.fail(format!(
            "{} refused the connection: {refused}",
            manager.name()
        ));
    });
}

/// This node is a transit node: connect onwards, then pass the request on.
fn relay(manager: &Arc<NetManager>, from: &FromLink<'_>, request: Request) {
    let proxy = &manager.proxy;
    let me = manager.name();
    if !proxy.transit {
        return from.refuse(request.id, format!("{me} does not allow proxy transit"));
    }
    if request.hops >= proxy.max_hops {
        return from.refuse(
            request.id,
            format!(
                "{me}: the route has more than {} transit nodes",
                proxy.max_hops
            ),
        );
    }
    if let Err(why) = proxy.check_transit(from.peer, &request.opener, &request.to) {
        return from.refuse(request.id, format!("{me}: {why}"));
    }
    let next = match proxy.route(&request.to) {
        Some(route) => match Atom::try_new(&route.via) {
            Some(via) => via,
            None => return from.refuse(request.id, format!("{me}: invalid route")),
        },
        None => request.to.clone(),
    };
    if next == *from.peer || next == *me {
        return from.refuse(
            request.id,
            format!("{me}: the route to {} loops", request.to),
        );
    }
    let session = Session::Transit {
        toward_opener: from.hop(),
        toward_far_end: None,
    };
    if !proxy.sessions.insert(request.id, session) {
        return from.refuse(request.id, format!("{me}: session id already in use"));
    }
    let back = from.hop();
    let manager = Arc::clone(manager);
    manager.clone().spawn(async move {
        let sessions = &manager.proxy.sessions;
        let me = manager.name();
        let onward = match hop_to(&manager, &next).await {
            Ok(hop) => hop,
            Err(err) => {
                if sessions.forget(&request.id) {
                    let reason = format!("{me}: cannot reach {next}: {err}");
                    tracing::info!(%reason, "proxy transit failed");
                    send_to(
                        &back,
                        &ProxyFrame::Disconnect {
                            id: request.id,
                            reason,
                        },
                    );
                }
                return;
            }
        };
        if !sessions.connected_onward(&request.id, onward.clone()) {
            return;
        }
        tracing::debug!(opener = %request.opener, to = %request.to, next = %next, "proxy transit");
        send_to(
            &onward,
            &ProxyFrame::ConnectRequest {
                id: request.id,
                hops: request.hops + 1,
                encrypted: request.encrypted,
                from: request.opener,
                to: request.to.to_string(),
                key: request.key,
            },
        );
    });
}
