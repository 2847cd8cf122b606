//! Group commit of appends on the leader: the appends that arrive while the engine is busy wait in
//! a queue, and the queue's task writes all those waiting as one log entry (one openraft
//! `client_write`), so the engine's per-entry work (its loop turn, log write, replication
//! wake-ups and metrics) is paid once per batch instead of once per append. Each append still
//! gets its own serial (the state machine numbers a batch's appends in order). Owns the queue and
//! splitting a batch's answer; must not decide who leads or serve the network.

use openraft::error::ClientWriteError;
use openraft::Raft;
use tokio::sync::{mpsc, oneshot};

use super::service::NOT_LEADER;
use super::types::{AppendBatch, AppendCommand, RaftTypes};

/// The most appends one log entry carries.
const MAX_BATCH: usize = 256;

/// Why an append was not committed, as `{error, Reason}` carries it.
const ENGINE: &str = "engine";

/// An append waiting for its entry, and where its serial goes.
struct Waiting {
    command: AppendCommand,
    answer: oneshot::Sender<Result<u64, &'static str>>,
}

/// The member's append queue (its task stops when the queue is dropped).
pub(super) struct AppendQueue {
    tx: mpsc::UnboundedSender<Waiting>,
}

impl AppendQueue {
    /// Starts the queue's task writing to `raft`.
    pub(super) fn start(raft: Raft<RaftTypes>) -> AppendQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(raft, rx));
        AppendQueue { tx }
    }

    /// Appends `command` in the next batch and returns its serial once committed, or why not:
    /// `not_leader` (this member does not lead, or its engine stopped) or `engine`.
    pub(super) async fn append(&self, command: AppendCommand) -> Result<u64, &'static str> {
        let (answer, answered) = oneshot::channel();
        if self.tx.send(Waiting { command, answer }).is_err() {
            return Err(NOT_LEADER);
        }
        answered.await.unwrap_or(Err(NOT_LEADER))
    }
}

/// The queue's task: every append waiting goes into the next entry, at most [`MAX_BATCH`].
async fn write_batches(raft: Raft<RaftTypes>, mut rx: mpsc::UnboundedReceiver<Waiting>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let (appends, answers): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|w| (w.command, w.answer)).unzip();
        match raft.client_write_ff(AppendBatch { appends }).await {
            Ok(responder) => {
                tokio::spawn(async move {
                    let outcome = match responder.await {
                        Ok(Ok(response)) if response.data.serials.len() == answers.len() => {
                            Ok(response.data.serials)
                        }
                        Ok(Ok(response)) => {
                            tracing::error!(
                                appends = answers.len(),
                                serials = response.data.serials.len(),
                                "gen_raft: a batch answered the wrong number of serials"
                            );
                            Err(ENGINE)
                        }
                        Ok(Err(ClientWriteError::ForwardToLeader(_))) => Err(NOT_LEADER),
                        Ok(Err(error)) => {
                            tracing::warn!(%error, "gen_raft: append batch failed");
                            Err(ENGINE)
                        }
                        // The engine stopped under the batch.
                        Err(_) => Err(NOT_LEADER),
                    };
                    answer_all(answers, outcome);
                });
            }
            Err(fatal) => {
                tracing::debug!(%fatal, "gen_raft: append batch on a stopped engine");
                answer_all(answers, Err(NOT_LEADER));
            }
        }
    }
}

/// Gives each waiting append its serial, or the batch's error.
fn answer_all(
    answers: Vec<oneshot::Sender<Result<u64, &'static str>>>,
    outcome: Result<Vec<u64>, &'static str>,
) {
    let mut gone = 0usize;
    match outcome {
        Ok(serials) => {
            for (answer, serial) in answers.into_iter().zip(serials) {
                gone += usize::from(answer.send(Ok(serial)).is_err());
            }
        }
        Err(reason) => {
            for answer in answers {
                gone += usize::from(answer.send(Err(reason)).is_err());
            }
        }
    }
    if gone > 0 {
        // Their callers timed out and answered `Timeout` already.
        tracing::debug!(gone, "gen_raft: appends answered after their callers left");
    }
}
