//! The file-backed Raft log: a directory holding `log` (append-only records: an entry, a
//! truncation or a purge, each with its length and checksum) and `vote` (the vote and the
//! committed id, replaced atomically). Appends are written at once and made durable by one
//! flusher task that fsyncs for every batch of appends waiting (group commit): openraft is told
//! an entry is on disk only after the fsync that covers it. A torn or corrupt tail (a crash in
//! the middle of a write) is cut off when the log is opened. Owns the files; must not apply
//! entries.
//!
//! The log is never compacted: members on a file log take no snapshots (the state machine is in
//! memory and is rebuilt from the whole log at start).

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::ops::RangeBounds;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{Entry, LogId, LogState, RaftLogReader, StorageError, StorageIOError, Vote};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Mutex};

use super::log_entries::LogEntries;
use super::types::{fnv1a, RaftTypes};
use super::wire;

/// One record of the log file: read as `Record` (an owned entry), written as
/// `Record<&Entry>` (the entry borrowed, not copied), which encodes to the same bytes.
#[derive(Serialize, Deserialize)]
enum Record<E = Entry<RaftTypes>> {
    Entry(E),
    Truncate(u64),
    Purge(LogId<u64>),
}

/// What the `vote` file holds.
#[derive(Serialize, Deserialize, Default)]
struct Meta {
    vote: Option<Vote<u64>>,
    committed: Option<LogId<u64>>,
}

struct FileLogInner {
    dir: PathBuf,
    file: File,
    entries: LogEntries,
    meta: Meta,
}

/// The file-backed Raft log (clones share one log).
#[derive(Clone)]
pub struct FileLog {
    inner: Arc<Mutex<FileLogInner>>,
    flusher: mpsc::UnboundedSender<LogFlushed<RaftTypes>>,
}

impl Debug for FileLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileLog")
    }
}

/// A record's checksum (FNV-1a over its bytes).
fn checksum(bytes: &[u8]) -> u64 {
    fnv1a(bytes)
}

fn io_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn frame(record: &Record<&Entry<RaftTypes>>) -> io::Result<Vec<u8>> {
    let body = wire::encode(record).map_err(io_error)?;
    let mut framed = Vec::with_capacity(body.len() + 12);
    framed.extend_from_slice(&(body.len() as u32).to_le_bytes());
    framed.extend_from_slice(&checksum(&body).to_le_bytes());
    framed.extend_from_slice(&body);
    Ok(framed)
}

/// Reads the records of `bytes` up to the first torn or corrupt one; returns them and the length
/// of the good prefix.
fn read_records(bytes: &[u8]) -> (Vec<Record>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while bytes.len() - at >= 12 {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4])) as usize;
        let sum = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap_or([0; 8]));
        let Some(body) = bytes.get(at + 12..at + 12 + len) else {
            break;
        };
        if checksum(body) != sum {
            break;
        }
        match wire::decode::<Record>(body) {
            Ok(record) => records.push(record),
            Err(_) => break,
        }
        at += 12 + len;
    }
    (records, at)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl FileLog {
    /// Opens (or creates) the log in `dir`, cutting off a torn tail, and starts its flusher.
    /// Must be called inside a tokio runtime.
    pub fn open(dir: impl AsRef<Path>) -> io::Result<FileLog> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("log");
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (records, good) = read_records(&bytes);
        if good < bytes.len() {
            tracing::warn!(
                path = %path.display(), cut = bytes.len() - good,
                "gen_raft: torn or corrupt tail of the log cut off"
            );
            file.set_len(good as u64)?;
            file.sync_all()?;
        }
        let mut entries = LogEntries::default();
        for record in records {
            match record {
                Record::Entry(entry) => entries.insert(entry),
                Record::Truncate(index) => entries.truncate(index),
                Record::Purge(log_id) => entries.purge(log_id),
            }
        }
        let meta = match std::fs::read(dir.join("vote")) {
            Ok(bytes) => wire::decode(&bytes).map_err(io_error)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Meta::default(),
            Err(e) => return Err(e),
        };
        let flushed_file = file.try_clone()?;
        let (flusher, pending) = mpsc::unbounded_channel();
        tokio::spawn(flush(flushed_file, pending));
        Ok(FileLog {
            inner: Arc::new(Mutex::new(FileLogInner {
                dir,
                file,
                entries,
                meta,
            })),
            flusher,
        })
    }
}

/// The group commit: one fsync for every append waiting, then each is told.
async fn flush(file: File, mut pending: mpsc::UnboundedReceiver<LogFlushed<RaftTypes>>) {
    let file = Arc::new(file);
    while let Some(first) = pending.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = pending.try_recv() {
            batch.push(more);
        }
        let synced = {
            let file = Arc::clone(&file);
            tokio::task::spawn_blocking(move || file.sync_data()).await
        };
        let outcome: Result<(), String> = match synced {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = &outcome {
            tracing::error!(%error, "gen_raft: fsync of the log failed");
        }
        for callback in batch {
            callback.log_io_completed(outcome.clone().map_err(io::Error::other));
        }
    }
}

impl FileLogInner {
    fn write(&mut self, record: &Record<&Entry<RaftTypes>>) -> io::Result<()> {
        self.file.write_all(&frame(record)?)
    }

    fn save_meta(&self) -> io::Result<()> {
        let tmp = self.dir.join("vote.tmp");
        let mut file = File::create(&tmp)?;
        file.write_all(&wire::encode(&self.meta).map_err(io_error)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, self.dir.join("vote"))?;
        sync_dir(&self.dir)
    }
}

fn write_error(e: io::Error) -> StorageError<u64> {
    StorageIOError::write_logs(&e).into()
}

impl RaftLogReader<RaftTypes> for FileLog {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<RaftTypes>>, StorageError<u64>> {
        Ok(self.inner.lock().await.entries.read(range))
    }
}

impl RaftLogStorage<RaftTypes> for FileLog {
    type LogReader = FileLog;

    async fn get_log_state(&mut self) -> Result<LogState<RaftTypes>, StorageError<u64>> {
        Ok(self.inner.lock().await.entries.state())
    }

    async fn get_log_reader(&mut self) -> FileLog {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        let mut inner = self.inner.lock().await;
        inner.meta.vote = Some(*vote);
        inner
            .save_meta()
            .map_err(|e| StorageIOError::write_vote(&e).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        Ok(self.inner.lock().await.meta.vote)
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<u64>>,
    ) -> Result<(), StorageError<u64>> {
        // Not needed for safety (the leader tells it again); written without waiting for it.
        let mut inner = self.inner.lock().await;
        inner.meta.committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>, StorageError<u64>> {
        Ok(self.inner.lock().await.meta.committed)
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
        let mut framed = Vec::new();
        let mut added = Vec::new();
        for entry in entries {
            framed.extend(frame(&Record::Entry(&entry)).map_err(write_error)?);
            added.push(entry);
        }
        inner.file.write_all(&framed).map_err(write_error)?;
        for entry in added {
            inner.entries.insert(entry);
        }
        drop(inner);
        if let Err(unsent) = self.flusher.send(callback) {
            unsent
                .0
                .log_io_completed(Err(io::Error::other("the log's flusher stopped")));
        }
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        let mut inner = self.inner.lock().await;
        inner
            .write(&Record::Truncate(log_id.index))
            .map_err(write_error)?;
        inner.file.sync_data().map_err(write_error)?;
        inner.entries.truncate(log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        let mut inner = self.inner.lock().await;
        inner.write(&Record::Purge(log_id)).map_err(write_error)?;
        inner.entries.purge(log_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_tail_is_not_read() {
        let mut bytes = frame(&Record::Truncate(7)).unwrap();
        let good = bytes.len();
        bytes.extend(frame(&Record::Truncate(9)).unwrap());
        bytes.truncate(bytes.len() - 1);
        let (records, at) = read_records(&bytes);
        assert_eq!(records.len(), 1);
        assert_eq!(at, good);
        let mut corrupt = frame(&Record::Truncate(7)).unwrap();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0xff;
        assert_eq!(read_records(&corrupt).1, 0);
    }

    #[test]
    fn an_entry_written_borrowed_reads_back_owned() {
        let entry = Entry::<RaftTypes> {
            log_id: LogId::new(openraft::CommittedLeaderId::new(3, 1), 7),
            payload: openraft::EntryPayload::Blank,
        };
        let bytes = frame(&Record::Entry(&entry)).unwrap();
        let (records, at) = read_records(&bytes);
        assert_eq!(at, bytes.len());
        match records.as_slice() {
            [Record::Entry(read)] => assert_eq!(read.log_id, entry.log_id),
            _ => panic!("one entry record expected"),
        }
    }
}
