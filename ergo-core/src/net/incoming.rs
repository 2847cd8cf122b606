//! What arrives from another node, applied to this node: messages to pids, names and aliases;
//! links, unlinks (acknowledging UNLINK_ID), exits, monitors (by pid or by name) and DOWNs; the
//! answers the protocol requires (UNLINK_ID_ACK); spawn requests and replies are handed to
//! `spawn_serve.rs` and `spawn_request.rs`. Owns this mapping; must not manage connections.

use ergo_etf::{Atom, Term};

use crate::dist::{ControlMessage, DistMessage, DistSender, ProcessRef};
use crate::node::SendError;
use crate::node::{Dest, MonitorTarget, Node, RemoteSignal};

/// The connection a message came in on.
pub(crate) struct Peer<'a> {
    /// The peer's node name.
    pub name: &'a Atom,
    /// For the answers the protocol requires.
    pub sender: &'a DistSender,
}

fn who(target: ProcessRef, peer: &Atom) -> Term {
    match target {
        ProcessRef::Pid(p) => Term::Pid(p),
        ProcessRef::Name(name) => Term::tuple(vec![Term::Atom(name), Term::Atom(peer.clone())]),
    }
}

/// A monitor target named by a peer: a pid, or a name registered on this node.
fn local_target(node: &Node, target: ProcessRef) -> MonitorTarget {
    match target {
        ProcessRef::Pid(p) => MonitorTarget::Pid(p),
        ProcessRef::Name(name) => MonitorTarget::Name {
            name,
            node: node.name().clone(),
        },
    }
}

fn deliver(node: &Node, peer: &Peer<'_>, to: Dest, message: Option<Term>) {
    let Some(message) = message else {
        tracing::warn!(peer = %peer.name, "message without payload ignored");
        return;
    };
    match node.deliver(&to, message) {
        Ok(()) => {}
        // Erlang drops a message to an unregistered name silently; we say so at debug level.
        Err(SendError::NoProc(name)) => {
            tracing::debug!(peer = %peer.name, %name, "message to an unregistered name dropped")
        }
        Err(err) => tracing::warn!(peer = %peer.name, %err, "incoming message not delivered"),
    }
}

fn exit(node: &Node, from: ergo_etf::Pid, to: ergo_etf::Pid, reason: Term, via_link: bool) {
    node.deliver_signal(RemoteSignal::Exit {
        from,
        to,
        reason,
        via_link,
    });
}

/// Applies one incoming message.
pub(crate) fn apply(node: &Node, peer: &Peer<'_>, message: DistMessage) {
    let DistMessage { control, payload } = message;
    match control {
        ControlMessage::Send { to }
        | ControlMessage::SendTt { to, .. }
        | ControlMessage::SendSender { to, .. }
        | ControlMessage::SendSenderTt { to, .. } => deliver(node, peer, Dest::Pid(to), payload),
        ControlMessage::RegSend { to_name, .. } | ControlMessage::RegSendTt { to_name, .. } => {
            deliver(node, peer, Dest::Name(to_name), payload)
        }
        ControlMessage::AliasSend { alias, .. } | ControlMessage::AliasSendTt { alias, .. } => {
            deliver(node, peer, Dest::Alias(alias), payload)
        }
        ControlMessage::Link { from, to } => node.deliver_signal(RemoteSignal::Link { from, to }),
        ControlMessage::Unlink { from, to } => {
            node.deliver_signal(RemoteSignal::Unlink { from, to })
        }
        ControlMessage::UnlinkId { id, from, to } => {
            node.deliver_signal(RemoteSignal::Unlink {
                from: from.clone(),
                to: to.clone(),
            });
            let ack = ControlMessage::UnlinkIdAck {
                id,
                from: to,
                to: from,
            };
            if let Err(err) = peer.sender.queue(ack, None) {
                tracing::debug!(peer = %peer.name, %err, "UNLINK_ID_ACK not sent");
            }
        }
        ControlMessage::UnlinkIdAck { .. } => {}
        ControlMessage::Exit { from, to, reason } => exit(node, from, to, reason, true),
        ControlMessage::ExitTt {
            from, to, reason, ..
        } => exit(node, from, to, *reason, true),
        ControlMessage::Exit2 { from, to, reason } => exit(node, from, to, reason, false),
        ControlMessage::Exit2Tt {
            from, to, reason, ..
        } => exit(node, from, to, *reason, false),
        ControlMessage::PayloadExit { from, to }
        | ControlMessage::PayloadExitTt { from, to, .. } => {
            exit(node, from, to, payload.unwrap_or_else(Term::nil), true)
        }
        ControlMessage::PayloadExit2 { from, to }
        | ControlMessage::PayloadExit2Tt { from, to, .. } => {
            exit(node, from, to, payload.unwrap_or_else(Term::nil), false)
        }
        ControlMessage::MonitorP {
            from,
            target,
            reference,
        } => node.deliver_signal(RemoteSignal::Monitor {
            from,
            target: local_target(node, target),
            reference,
        }),
        ControlMessage::DemonitorP {
            from,
            target,
            reference,
        } => node.deliver_signal(RemoteSignal::Demonitor {
            from,
            target: local_target(node, target),
            reference,
        }),
        ControlMessage::MonitorPExit {
            target,
            to,
            reference,
            reason,
        } => node.deliver_signal(RemoteSignal::Down {
            who: who(target, peer.name),
            to,
            reference,
            reason: *reason,
        }),
        ControlMessage::PayloadMonitorPExit {
            target,
            to,
            reference,
        } => node.deliver_signal(RemoteSignal::Down {
            who: who(target, peer.name),
            to,
            reference,
            reason: payload.unwrap_or_else(Term::nil),
        }),
        ControlMessage::SpawnRequest(spawn) | ControlMessage::SpawnRequestTt(spawn, _) => {
            super::spawn_serve::serve(node, peer, *spawn, payload)
        }
        ControlMessage::SpawnReply {
            req_id,
            flags,
            result,
            ..
        }
        | ControlMessage::SpawnReplyTt {
            req_id,
            flags,
            result,
            ..
        } => super::spawn_request::reply(node, peer.name, req_id, flags, *result),
        ControlMessage::NodeLink | ControlMessage::GroupLeader { .. } => {
            tracing::debug!(peer = %peer.name, op = control.op(), "control message ignored");
        }
    }
}
