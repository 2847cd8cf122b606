//! The user's side of a member: the [`GenRaft`] callbacks, and the task that runs them in order
//! (committed appends in serial order, leader, quorum and peer changes). Owns calling the
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

/// Callbacks of a gen_raft member, all optional. They run on one task, one at a time: appends
/// in serial order, on every member and learner.
///
/// (The seed's `handle_get`, serving an entry to a peer catching up, has no counterpart:
/// openraft replicates the log and snapshots itself.)
pub trait GenRaft: Send + 'static {
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
impl GenRaft for () {
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
    mut callbacks: impl GenRaft,
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
