//! The replicated state: every committed append in serial order, the latest serial of each key,
//! the serial of each request (an append sent twice is applied once), the last applied log id
//! and membership, and snapshots of all of it. Each newly applied append
//! is announced on a channel (the member turns it into `handle_append`). Owns applying and
//! snapshots; must not touch the log or the network.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError, StorageIOError,
    StoredMembership,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, RwLock};

use super::types::{AppendApplied, AppendBatch, AppendCommand, PeerAddr, RaftTypes};
use super::wire;

/// A committed append, as the state machine announces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedAppend {
    /// Its serial.
    pub serial: u64,
    /// The ETF-encoded key.
    pub key: Vec<u8>,
    /// The ETF-encoded value.
    pub value: Vec<u8>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KvData {
    /// Appends in serial order: serial `n` is at index `n - 1`.
    appends: Vec<AppendCommand>,
    #[serde(skip)]
    by_key: HashMap<Vec<u8>, u64>,
    /// The serial each request got: a request applied again answers its first serial.
    #[serde(skip)]
    by_request: HashMap<(u64, u64), u64>,
}

impl KvData {
    fn reindex(&mut self) {
        self.by_key = self
            .appends
            .iter()
            .enumerate()
            .map(|(i, a)| (a.key.clone(), i as u64 + 1))
            .collect();
        self.by_request = self
            .appends
            .iter()
            .enumerate()
            .map(|(i, a)| (a.request, i as u64 + 1))
            .collect();
    }
}

#[derive(Debug, Default)]
struct KvState {
    applied: Option<LogId<u64>>,
    membership: StoredMembership<u64, PeerAddr>,
    data: KvData,
    snapshot: Option<(SnapshotMeta<u64, PeerAddr>, Vec<u8>)>,
    snapshots_built: u64,
}

/// The state machine (clones share one state).
#[derive(Clone, Debug)]
pub struct KvMachine {
    state: Arc<RwLock<KvState>>,
    /// Where applied appends are announced (`None`: nobody listens).
    applied_tx: Option<mpsc::UnboundedSender<AppliedAppend>>,
}

impl KvMachine {
    /// An empty state machine announcing applied appends on `applied_tx`, if any.
    pub fn new(applied_tx: Option<mpsc::UnboundedSender<AppliedAppend>>) -> KvMachine {
        KvMachine {
            state: Arc::new(RwLock::new(KvState::default())),
            applied_tx,
        }
    }

    /// The latest append of `key`: its serial and value.
    pub async fn get(&self, key: &[u8]) -> Option<(u64, Vec<u8>)> {
        let state = self.state.read().await;
        let serial = *state.data.by_key.get(key)?;
        let append = state.data.appends.get(serial as usize - 1)?;
        Some((serial, append.value.clone()))
    }

    /// The append with `serial`: its key and value.
    pub async fn get_serial(&self, serial: u64) -> Option<(Vec<u8>, Vec<u8>)> {
        let state = self.state.read().await;
        let index = usize::try_from(serial.checked_sub(1)?).ok()?;
        let append = state.data.appends.get(index)?;
        Some((append.key.clone(), append.value.clone()))
    }

    /// How many appends are applied (the last serial).
    pub async fn last_serial(&self) -> u64 {
        self.state.read().await.data.appends.len() as u64
    }

    fn announce(&self, serial: u64, append: &AppendCommand) {
        let Some(applied_tx) = &self.applied_tx else {
            return;
        };
        let applied = AppliedAppend {
            serial,
            key: append.key.clone(),
            value: append.value.clone(),
        };
        if applied_tx.send(applied).is_err() {
            tracing::debug!(
                serial,
                "gen_raft: applied append not announced, member gone"
            );
        }
    }
}

impl RaftSnapshotBuilder<RaftTypes> for KvMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<RaftTypes>, StorageError<u64>> {
        let mut state = self.state.write().await;
        let bytes =
            wire::encode(&state.data).map_err(|e| StorageIOError::read_state_machine(&e))?;
        state.snapshots_built += 1;
        let snapshot_id = match state.applied {
            Some(last) => format!(
                "{}-{}-{}",
                last.leader_id, last.index, state.snapshots_built
            ),
            None => format!("--{}", state.snapshots_built),
        };
        let meta = SnapshotMeta {
            last_log_id: state.applied,
            last_membership: state.membership.clone(),
            snapshot_id,
        };
        state.snapshot = Some((meta.clone(), bytes.clone()));
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(bytes)),
        })
    }
}

impl RaftStateMachine<RaftTypes> for KvMachine {
    type SnapshotBuilder = KvMachine;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, PeerAddr>), StorageError<u64>> {
        let state = self.state.read().await;
        Ok((state.applied, state.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<AppendApplied>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<RaftTypes>> + Send,
    {
        let mut state = self.state.write().await;
        let mut answers = Vec::new();
        for entry in entries {
            state.applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => answers.push(AppendApplied::default()),
                EntryPayload::Membership(membership) => {
                    state.membership = StoredMembership::new(Some(entry.log_id), membership);
                    answers.push(AppendApplied::default());
                }
                EntryPayload::Normal(AppendBatch { appends }) => {
                    let mut serials = Vec::with_capacity(appends.len());
                    for append in appends {
                        if let Some(&serial) = state.data.by_request.get(&append.request) {
                            // Sent again after its answer was lost: applied once.
                            serials.push(serial);
                            continue;
                        }
                        let serial = state.data.appends.len() as u64 + 1;
                        state.data.by_key.insert(append.key.clone(), serial);
                        state.data.by_request.insert(append.request, serial);
                        self.announce(serial, &append);
                        state.data.appends.push(append);
                        serials.push(serial);
                    }
                    answers.push(AppendApplied { serials });
                }
            }
        }
        Ok(answers)
    }

    async fn get_snapshot_builder(&mut self) -> KvMachine {
        self.clone()
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, PeerAddr>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let bytes = snapshot.into_inner();
        let mut data: KvData = wire::decode(&bytes)
            .map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        data.reindex();
        let mut state = self.state.write().await;
        let known = state.data.appends.len();
        for (i, append) in data.appends.iter().enumerate().skip(known) {
            self.announce(i as u64 + 1, append);
        }
        state.data = data;
        state.applied = meta.last_log_id;
        state.membership = meta.last_membership.clone();
        state.snapshot = Some((meta.clone(), bytes));
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<RaftTypes>>, StorageError<u64>> {
        let state = self.state.read().await;
        Ok(state.snapshot.as_ref().map(|(meta, bytes)| Snapshot {
            meta: meta.clone(),
            snapshot: Box::new(Cursor::new(bytes.clone())),
        }))
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, EntryPayload, LogId};

    use super::*;

    fn entry(index: u64, requests: &[((u64, u64), u8)]) -> Entry<RaftTypes> {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 0), index),
            payload: EntryPayload::Normal(AppendBatch {
                appends: requests
                    .iter()
                    .map(|&(request, value)| AppendCommand {
                        request,
                        key: vec![1],
                        value: vec![value],
                    })
                    .collect(),
            }),
        }
    }

    #[tokio::test]
    async fn a_request_applied_twice_keeps_its_first_serial() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut machine = KvMachine::new(Some(tx));
        let answers = machine
            .apply(vec![
                entry(1, &[((7, 1), 10)]),
                entry(2, &[((7, 2), 20), ((7, 1), 10)]),
            ])
            .await
            .unwrap();
        let serials: Vec<Vec<u64>> = answers.iter().map(|a| a.serials.clone()).collect();
        assert_eq!(serials, vec![vec![1], vec![2, 1]]);
        assert_eq!(machine.last_serial().await, 2);
        assert_eq!(machine.get(&[1]).await, Some((2, vec![20])));
        assert_eq!(rx.recv().await.map(|a| a.serial), Some(1));
        assert_eq!(rx.recv().await.map(|a| a.serial), Some(2));
        assert!(rx.try_recv().is_err(), "the duplicate is not announced");
    }
}
