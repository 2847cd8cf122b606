//! The Raft log's storage: the [`LogStorage`] trait a member's log implements (openraft's
//! `RaftLogStorage` for gen_raft's types, so a file-backed log can follow without touching the
//! rest), and [`MemLog`], the in-memory log (the default: it does not survive the OS process).
//! Owns the log entries, the vote and the committed id; must not apply entries.

use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::Arc;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{Entry, LogId, LogState, RaftLogReader, StorageError, Vote};
use tokio::sync::Mutex;

use super::log_entries::LogEntries;
use super::types::RaftTypes;

/// A Raft log storage gen_raft can run on: any openraft `RaftLogStorage` of its types.
pub trait LogStorage: RaftLogStorage<RaftTypes> {}

impl<T: RaftLogStorage<RaftTypes>> LogStorage for T {}

#[derive(Debug, Default)]
struct MemLogInner {
    entries: LogEntries,
    committed: Option<LogId<u64>>,
    vote: Option<Vote<u64>>,
}

/// The in-memory Raft log (clones share one log).
#[derive(Clone, Debug, Default)]
pub struct MemLog {
    inner: Arc<Mutex<MemLogInner>>,
}

impl MemLog {
    /// An empty log.
    pub fn new() -> MemLog {
        MemLog::default()
    }
}

impl RaftLogReader<RaftTypes> for MemLog {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<RaftTypes>>, StorageError<u64>> {
        Ok(self.inner.lock().await.entries.read(range))
    }
}

impl RaftLogStorage<RaftTypes> for MemLog {
    type LogReader = MemLog;

    async fn get_log_state(&mut self) -> Result<LogState<RaftTypes>, StorageError<u64>> {
        Ok(self.inner.lock().await.entries.state())
    }

    async fn get_log_reader(&mut self) -> MemLog {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        self.inner.lock().await.vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        Ok(self.inner.lock().await.vote)
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<u64>>,
    ) -> Result<(), StorageError<u64>> {
        self.inner.lock().await.committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>, StorageError<u64>> {
        Ok(self.inner.lock().await.committed)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<RaftTypes>,
    ) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<RaftTypes>> + Send,
    {
        let mut inner = self.inner.lock().await;
        for entry in entries {
            inner.entries.insert(entry);
        }
        // In memory, written is durable as it will ever be.
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        self.inner.lock().await.entries.truncate(log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        self.inner.lock().await.entries.purge(log_id);
        Ok(())
    }
}
