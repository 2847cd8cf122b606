//! openraft's transport over the distribution: every RPC is a gen_server call to the target
//! member's raft process (`{Name, Node}`) carrying `{'$raft', Cluster, Kind, Payload}`, awaited
//! with a timeout. Also the same call for gen_raft's own requests (probes, forwarded appends
//! and reads). Owns the client side of RPCs; must not serve them (that is `service`).

use std::sync::Arc;
use std::time::Duration;

use ergo_etf::{Atom, Term};
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::types::{PeerAddr, RaftTypes};
use super::wire::{self, RpcKind, WireError};
use crate::node::{CallError, Dest, Node};

/// Why a gen_raft call to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcFailure {
    /// The peer's node or raft process could not be reached, or did not answer in time.
    #[error("peer unreachable: {0}")]
    Call(#[from] CallError),
    /// The peer answered `{error, Reason}`.
    #[error("peer refused: {0}")]
    Refused(String),
    /// The request or the answer could not be encoded or decoded.
    #[error(transparent)]
    Wire(#[from] WireError),
}

/// Calls `peer`'s raft process with a request of `kind` and returns the answer's payload.
pub async fn call_peer(
    node: &Node,
    cluster: &[u8],
    peer: &PeerAddr,
    kind: RpcKind,
    payload: Vec<u8>,
    timeout: Duration,
) -> Result<Vec<u8>, RpcFailure> {
    let to = Dest::Remote {
        name: Atom::new(&peer.name),
        node: Atom::new(&peer.node),
    };
    let request = wire::request_term(cluster, kind, payload);
    let reply: Term = node.call_timeout(to, request, timeout).await?;
    wire::parse_reply(&reply)?.map_err(RpcFailure::Refused)
}

/// Test hook (feature `forge-signals`): the nodes a member sends no AppendEntries to, as if
/// they were unreachable for replication only (probes, votes and forwarded requests still go).
#[cfg(feature = "forge-signals")]
pub(super) type HeldReplication = Arc<std::sync::Mutex<std::collections::HashSet<String>>>;

/// Makes a connection per target: openraft's `RaftNetworkFactory`.
#[derive(Clone)]
pub struct ErgoNetwork {
    node: Node,
    cluster: Arc<[u8]>,
    timeout: Duration,
    #[cfg(feature = "forge-signals")]
    pub(super) held: HeldReplication,
}

impl ErgoNetwork {
    /// RPCs from `node` in `cluster`, each awaited at most `timeout`.
    pub fn new(node: Node, cluster: Arc<[u8]>, timeout: Duration) -> ErgoNetwork {
        ErgoNetwork {
            node,
            cluster,
            timeout,
            #[cfg(feature = "forge-signals")]
            held: HeldReplication::default(),
        }
    }
}

impl RaftNetworkFactory<RaftTypes> for ErgoNetwork {
    type Network = ErgoConnection;

    async fn new_client(&mut self, target: u64, peer: &PeerAddr) -> ErgoConnection {
        ErgoConnection {
            network: self.clone(),
            target,
            peer: peer.clone(),
        }
    }
}

/// The RPCs to one target member.
pub struct ErgoConnection {
    network: ErgoNetwork,
    target: u64,
    peer: PeerAddr,
}

impl ErgoConnection {
    async fn rpc<Req, Resp, E>(
        &self,
        kind: RpcKind,
        request: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<u64, PeerAddr, RaftError<u64, E>>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let payload =
            wire::encode(request).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let timeout = self.network.timeout.min(option.hard_ttl());
        let answer = call_peer(
            &self.network.node,
            &self.network.cluster,
            &self.peer,
            kind,
            payload,
            timeout,
        )
        .await
        .map_err(|e| match e {
            RpcFailure::Call(CallError::Down(_)) | RpcFailure::Call(CallError::Send(_)) => {
                RPCError::Unreachable(Unreachable::new(&e))
            }
            _ => RPCError::Network(NetworkError::new(&e)),
        })?;
        let result: Result<Resp, RaftError<u64, E>> =
            wire::decode(&answer).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<RaftTypes> for ErgoConnection {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<RaftTypes>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, PeerAddr, RaftError<u64>>> {
        #[cfg(feature = "forge-signals")]
        if self
            .network
            .held
            .lock()
            .is_ok_and(|held| held.contains(&self.peer.node))
        {
            let held = std::io::Error::other("replication held (test hook)");
            return Err(RPCError::Unreachable(Unreachable::new(&held)));
        }
        self.rpc(RpcKind::AppendEntries, &request, &option).await
    }

    async fn install_snapshot(
        &mut self,
        request: InstallSnapshotRequest<RaftTypes>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, PeerAddr, RaftError<u64, InstallSnapshotError>>,
    > {
        self.rpc(RpcKind::InstallSnapshot, &request, &option).await
    }

    async fn vote(
        &mut self,
        request: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, PeerAddr, RaftError<u64>>> {
        self.rpc(RpcKind::Vote, &request, &option).await
    }
}
