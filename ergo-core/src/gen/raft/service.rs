//! The server side of a member: the registered raft process. It checks each request (the
//! `{'$raft', Cluster, Kind, Payload}` shape, the cluster id) and serves it on a task of its
//! own, so a slow commit never holds up heartbeats: Raft RPCs go to the engine, probes answer
//! the member's status, forwarded appends (through the append queue) and reads are served if
//! this member leads and has its majority (`no_quorum` if it stepped down). A malformed request
//! or one from another cluster is logged and dropped, unanswered, and never reaches the engine.
//! Owns serving; must not start the engine or choose members.

use std::sync::Arc;

use ergo_etf::Term;
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use serde::{Deserialize, Serialize};

use super::member::MemberCore;
use super::types::{AppendCommand, RaftTypes};
use super::wire::{self, RpcKind, RpcRequest, WireError};
use crate::node::Context;
use crate::process::{Envelope, ReplyTo};

/// What a probed member says of itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    /// It belongs to a formed cluster (it has a membership).
    pub initialized: bool,
    /// Its last log index.
    pub last_log_index: u64,
}

/// Why a forwarded request was not served, as `{error, Reason}` carries it.
pub(super) const NOT_LEADER: &str = "not_leader";
/// The forwarded request did not complete in time.
pub(super) const TIMEOUT: &str = "timeout";
/// This member leads but lost its majority (it stepped down): the caller answers `no_quorum`.
pub(super) const NO_QUORUM: &str = "no_quorum";
/// The leader's confirmation round did not reach a majority this time (a slow heartbeat): the
/// caller may ask again within its deadline.
pub(super) const NOT_CONFIRMED: &str = "not_confirmed";

/// The raft process's loop: serves requests until an exit signal stops it.
pub(super) async fn serve(mut ctx: Context, core: Arc<MemberCore>) -> Term {
    loop {
        let envelope = match ctx.recv().await {
            Ok(envelope) => envelope,
            Err(reason) => return reason,
        };
        match envelope {
            Envelope::Call { from, request } => {
                let term = request.into_term();
                match wire::parse_request(&term) {
                    Ok(request) if request.cluster == core.cluster.as_ref() => {
                        let core = Arc::clone(&core);
                        tokio::spawn(async move { answer(core, request, from).await });
                    }
                    Ok(request) => tracing::warn!(
                        cluster = %String::from_utf8_lossy(&request.cluster),
                        ours = %String::from_utf8_lossy(&core.cluster),
                        from = ?from.pid(),
                        "gen_raft: request from another cluster dropped"
                    ),
                    Err(error) => tracing::warn!(
                        %error, from = ?from.pid(), request = %term,
                        "gen_raft: malformed request dropped"
                    ),
                }
            }
            Envelope::Exit(exit) => return exit.reason,
            other => tracing::warn!(message = ?other, "gen_raft: unexpected message dropped"),
        }
    }
}

async fn answer(core: Arc<MemberCore>, request: RpcRequest, from: ReplyTo) {
    let kind = request.kind;
    match serve_one(&core, request).await {
        Ok(reply) => {
            from.reply(reply);
        }
        Err(error) => tracing::warn!(
            %error, ?kind, from = ?from.pid(),
            "gen_raft: undecodable request payload dropped"
        ),
    }
}

/// Serves one checked request; the reply term. (Also called directly, with no process hop, for
/// a member's own requests while it leads.)
pub(super) async fn serve_one(core: &MemberCore, request: RpcRequest) -> Result<Term, WireError> {
    let raft = &core.raft;
    let payload = match request.kind {
        RpcKind::AppendEntries => {
            let rpc: AppendEntriesRequest<RaftTypes> = wire::decode(&request.payload)?;
            wire::encode(&raft.append_entries(rpc).await)?
        }
        RpcKind::Vote => {
            let rpc: VoteRequest<u64> = wire::decode(&request.payload)?;
            wire::encode(&raft.vote(rpc).await)?
        }
        RpcKind::InstallSnapshot => {
            let rpc: InstallSnapshotRequest<RaftTypes> = wire::decode(&request.payload)?;
            let result: Result<_, RaftError<u64, InstallSnapshotError>> =
                raft.install_snapshot(rpc).await;
            wire::encode(&result)?
        }
        RpcKind::Hello => wire::encode(&core.status())?,
        RpcKind::ClientWrite => {
            let command: AppendCommand = wire::decode(&request.payload)?;
            if core.quorum_lost() {
                return Ok(wire::error_reply(NO_QUORUM));
            }
            let write =
                tokio::time::timeout(core.options.request_timeout, core.appends.append(command));
            match write.await {
                Ok(Ok(serial)) => wire::encode(&serial)?,
                // Not the leader, or its engine stopped under the request: the caller asks
                // the leader it finds next (the request id keeps a repeated append single).
                Ok(Err(reason)) => return Ok(wire::error_reply(reason)),
                Err(_) => return Ok(wire::error_reply(TIMEOUT)),
            }
        }
        RpcKind::ReadKey => {
            let key: Vec<u8> = wire::decode(&request.payload)?;
            match core.read_index().await {
                Ok(()) => wire::encode(&core.machine.get(&key).await)?,
                Err(reason) => return Ok(wire::error_reply(reason)),
            }
        }
        RpcKind::ReadSerial => {
            let serial: u64 = wire::decode(&request.payload)?;
            match core.read_index().await {
                Ok(()) => wire::encode(&core.machine.get_serial(serial).await)?,
                Err(reason) => return Ok(wire::error_reply(reason)),
            }
        }
    };
    Ok(wire::ok_reply(payload))
}
