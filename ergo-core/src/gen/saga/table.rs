//! The saga's transaction table: each transaction it takes part in (where it came from, its
//! path, deadline, next sagas and jobs), and the indexes from a monitor reference or a worker
//! pid back to the transaction. Owns the records and their bookkeeping; must not send messages
//! or run callbacks.

use std::collections::HashMap;
use std::time::Instant;

use ergo_etf::{Pid, Reference};

use super::ids::{JobId, NextId, TxId};
use crate::node::{Dest, TimerHandle};

/// A next saga of a transaction.
pub(super) struct NextHop {
    /// Where it was sent; its pid once a message from it came.
    pub(super) dest: Dest,
    /// Its result arrived (kept only with two-phase commit, until the commit).
    pub(super) done: bool,
    /// Its cancel is the saga's to handle (`NextOptions::trap_cancel`).
    pub(super) trap_cancel: bool,
    /// Its timeout.
    pub(super) timer: Option<TimerHandle>,
}

/// A job of a transaction.
pub(super) struct JobRun {
    /// The worker process.
    pub(super) worker: Pid,
    /// Its result arrived (kept only with two-phase commit, until the commit).
    pub(super) done: bool,
    /// Its timeout.
    pub(super) timer: Option<TimerHandle>,
}

/// One transaction on this saga.
pub(super) struct Transaction {
    /// The parent saga and the hop it reached this saga by; `None` on the originator.
    pub(super) parent: Option<(Pid, NextId)>,
    /// The monitor on the parent.
    pub(super) parent_monitor: Option<Reference>,
    /// The path to the originator: the parent first, the originator last (empty on the
    /// originator); its length is this saga's hop count.
    pub(super) path: Vec<Pid>,
    /// The hop limit (longest path).
    pub(super) hop_limit: u32,
    /// When the transaction's lifespan ends here.
    pub(super) deadline: Instant,
    /// The timer of that deadline.
    pub(super) lifespan_timer: Option<TimerHandle>,
    /// Two-phase commit.
    pub(super) two_phase_commit: bool,
    /// The next sagas it was passed on to (those still pending, and with two-phase commit
    /// those done and waiting for the commit).
    pub(super) nexts: HashMap<NextId, NextHop>,
    /// Its jobs on this saga's workers (as `nexts`).
    pub(super) jobs: HashMap<JobId, JobRun>,
    /// This saga's result was sent (or on the originator, taken by `handle_tx_done`).
    pub(super) result_sent: bool,
}

impl Transaction {
    /// Whether a next saga or a job still owes its result.
    pub(super) fn pending(&self) -> bool {
        self.nexts.values().any(|n| !n.done) || self.jobs.values().any(|j| !j.done)
    }
}

/// What a monitor reference of the saga watches.
pub(super) enum Watched {
    /// The parent of a transaction.
    Parent(TxId),
    /// A next saga of a transaction.
    Next(TxId),
}

/// The saga's transactions and indexes.
#[derive(Default)]
pub(super) struct Table {
    /// The transactions.
    pub(super) txs: HashMap<TxId, Transaction>,
    /// Monitor reference -> what it watches.
    pub(super) monitors: HashMap<Reference, Watched>,
    /// Worker pid -> its job.
    pub(super) workers: HashMap<Pid, (TxId, JobId)>,
}
