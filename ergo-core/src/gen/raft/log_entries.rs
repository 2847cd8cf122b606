//! The entries of a Raft log as both log stores keep them in memory: the entries by index and
//! the last purged id, with openraft's four operations on them (append, truncate, purge, read)
//! and the log state they give. Owns that bookkeeping; must not touch files or the vote.

use std::collections::BTreeMap;
use std::ops::RangeBounds;

use openraft::{Entry, LogId, LogState};

use super::types::RaftTypes;

/// A log's entries by index, and the id of the last one purged.
#[derive(Debug, Default)]
pub(super) struct LogEntries {
    entries: BTreeMap<u64, Entry<RaftTypes>>,
    last_purged: Option<LogId<u64>>,
}

impl LogEntries {
    /// Adds (or replaces) an entry at its index.
    pub(super) fn insert(&mut self, entry: Entry<RaftTypes>) {
        self.entries.insert(entry.log_id.index, entry);
    }

    /// Drops the entries from `index` on.
    pub(super) fn truncate(&mut self, index: u64) {
        self.entries.split_off(&index);
    }

    /// Drops the entries up to and including `log_id`, which becomes the last purged id (it
    /// never moves back).
    pub(super) fn purge(&mut self, log_id: LogId<u64>) {
        self.entries = self.entries.split_off(&(log_id.index + 1));
        if self.last_purged < Some(log_id) {
            self.last_purged = Some(log_id);
        }
    }

    /// Copies of the entries in `range`.
    pub(super) fn read(&self, range: impl RangeBounds<u64>) -> Vec<Entry<RaftTypes>> {
        self.entries.range(range).map(|(_, e)| e.clone()).collect()
    }

    /// The last purged id and the last id in the log (the last purged one when it is empty).
    pub(super) fn state(&self) -> LogState<RaftTypes> {
        let last = self.entries.values().next_back().map(|e| e.log_id);
        LogState {
            last_purged_log_id: self.last_purged,
            last_log_id: last.or(self.last_purged),
        }
    }
}
