//! What a member reports, as plain callbacks: the [`RaftCallbacks`] trait, and the task that runs
//! them in order (committed appends in serial order, leader, quorum and peer changes). A
//! `#[gen_raft]` process gets them through a forwarder into its mailbox (`server`); a
//! [`RaftMember`](super::RaftMember) started by hand takes any implementation. Owns calling the
//! callbacks; must not touch the engine.

use ergo_etf::{Atom, Term};
use tokio::sync::mpsc;

use super::state_machine::AppliedAppend;

/// What a member tells its callbacks, in the order it happened.
#[derive(Clone, Debug, PartialEq)]
pub enum RaftEvent {
    /// The leader changed: its node (`None` while there is none) and the term.
    Leader(Option<Atom>, u64),
    /// The voting members changed.
    Quorum(Vec<Atom>),
    /// A peer came online (`true`) or went away.
    Peer(Atom, bool),
}

/// What a member started with [`RaftMember::start`](super::RaftMember::start) reports, all
/// optional. The callbacks run on one task, one at a time: appends in serial order, on every
/// member and learner. (A [`GenRaft`](super::GenRaft) process gets the same reports as
/// messages, in its own process.)
pub trait RaftCallbacks: Send + 'static {
    /// A committed append was applied on this member.
    fn handle_append(&mut self, _serial: u64, _key: Term, _value: Term) {}
    /// The leader changed (`None`: no leader known now) in `term`.
    fn handle_leader(&mut self, _leader: Option<Atom>, _term: u64) {}
    /// The voting members are now `members`.
    fn handle_quorum(&mut self, _members: Vec<Atom>) {}
    /// `peer` came online (`true`) or went away (`false`).
    fn handle_peer(&mut self, _peer: Atom, _online: bool) {}
    /// Whether `handle_append` is wanted (yes by default). Without it the state machine does
    /// not copy and decode every applied append for nobody.
    fn handles_appends(&self) -> bool {
        true
    }
}

/// No callbacks.
impl RaftCallbacks for () {
    fn handles_appends(&self) -> bool {
        false
    }
}

fn decode(bytes: &[u8]) -> Term {
    ergo_etf::from_bytes(bytes).unwrap_or_else(|e| {
        // Only this node's state machine wrote these bytes from encoded terms.
        tracing::warn!(error = %e, "gen_raft: an applied term does not decode");
        Term::atom("undefined")
    })
}

/// Runs `callbacks` until both channels close.
pub(super) async fn run_callbacks(
    mut callbacks: impl RaftCallbacks,
    mut applied: mpsc::UnboundedReceiver<AppliedAppend>,
    mut events: mpsc::UnboundedReceiver<RaftEvent>,
) {
    let (mut applied_open, mut events_open) = (true, true);
    while applied_open || events_open {
        tokio::select! {
            next = applied.recv(), if applied_open => match next {
                Some(a) => callbacks.handle_append(a.serial, decode(&a.key), decode(&a.value)),
                None => applied_open = false,
            },
            next = events.recv(), if events_open => match next {
                Some(RaftEvent::Leader(leader, term)) => callbacks.handle_leader(leader, term),
                Some(RaftEvent::Quorum(members)) => callbacks.handle_quorum(members),
                Some(RaftEvent::Peer(peer, online)) => callbacks.handle_peer(peer, online),
                None => events_open = false,
            },
        }
    }
}
