//! Where the connect with one peer stands, as a state machine: waiting for the peer's
//! `init_connect`, taking the lock `{global, [Lockers]}` (each side's locker locks its own side
//! and tells the other), exchanging and resolving names; and what each step leaves for the
//! server to do. Each state holds exactly what it has (a peer only once its `init_connect`
//! came, a lock id only while our locker holds one, our operations only once we resolved).
//!
//! What a peer sends ahead of its phase is kept until that phase, as `global` keeps it in its
//! process dictionary: names (`exchange`) before both sides hold the lock, its `resolved` before
//! we resolved. Owns the per-peer state; must not send anything or touch the server's tables
//! (`connect/mod.rs` does, from what the transitions return).

use ergo_etf::{Pid, Term};

use crate::global::protocol::{GlobalLockId, KnownNode, NameEntry};

/// A connect in progress with one peer: our tag for it and where it stands.
pub(crate) struct Connect {
    /// Our tag for this connect.
    my_tag: i64,
    /// Where the handshake stands.
    state: State,
}

/// The peer of a connect, from its `init_connect`.
#[derive(Clone)]
pub(crate) struct Peer {
    /// The peer's tag for this connect.
    pub(crate) tag: Term,
    /// The peer's locker.
    pub(crate) locker: Pid,
}

/// The peer's `resolved`: its operations for us to apply, the nodes it knows, its external
/// names.
pub(crate) struct HisResolved {
    /// Name operations (as sent).
    pub(crate) ops: Vec<Term>,
    /// The peer's known nodes.
    pub(crate) known: Vec<KnownNode>,
    /// The peer's external names.
    pub(crate) names_ext: Term,
}

/// A connect both sides have resolved: what `resolved/5` works with.
pub(crate) struct Finished {
    /// The connect's lock, which our locker holds until the new nodes are told.
    pub(crate) lock_id: GlobalLockId,
    /// Our operations, then the peer's.
    pub(crate) ops: Vec<Term>,
    /// The peer's known nodes.
    pub(crate) his_known: Vec<KnownNode>,
    /// The peer's external names.
    pub(crate) names_ext: Term,
}

/// Both sides hold the lock: our names go to the peer (`{exchange, ...}` with its tag), and
/// its names, if they came first, are resolved.
pub(crate) struct GoExchange {
    /// The peer's tag, for our `exchange`.
    pub(crate) his_tag: Term,
    /// The peer's names, when its `exchange` came first.
    pub(crate) early_names: Option<Vec<NameEntry>>,
}

/// What our locker's answer to a lock job means for the connect.
pub(crate) enum Locked {
    /// The connect was taking no lock (the answer is for nothing under way): a set lock must be
    /// released.
    Unexpected,
    /// The lock is set on our side: the peer is told yes, and when it said yes too, names are
    /// exchanged.
    Set {
        /// The peer's tag, for our `lock_set`.
        his_tag: Term,
        /// Set when the peer had said yes.
        exchange: Option<GoExchange>,
    },
    /// The lock could not be set: the peer is told no if it had said yes, and our locker tries
    /// again later.
    NotSet {
        /// The peer's tag, for our `lock_set`.
        his_tag: Term,
        /// Whether the peer had said yes (and must hear no).
        tell_no: bool,
    },
}

/// What the peer's `lock_set` means for the connect.
pub(crate) enum HisLockSet {
    /// Nothing to do now.
    Nothing,
    /// The peer's locker started: our locker locks our side (`lock_nodes_safely`).
    StartLock,
    /// Both sides hold the lock.
    Exchange(GoExchange),
    /// The peer said no after we said yes: our lock is released and our locker tries again
    /// later.
    Release(GlobalLockId),
}

enum State {
    /// Our `init_connect` is out; the peer's has not come.
    Waiting {
        /// What the peer sent ahead.
        early: Early,
    },
    /// Both `init_connect`s are in; the lock is being taken.
    Locking {
        /// The peer.
        peer: Peer,
        /// Where our side of the lock stands.
        ours: OurLock,
        /// What the peer sent ahead.
        early: Early,
    },
    /// Both sides hold the lock; names are exchanged and resolved.
    Exchanging {
        /// The peer.
        peer: Peer,
        /// The lock both sides hold (our locker holds it on our side).
        lock_id: GlobalLockId,
        /// Which side has resolved.
        step: Step,
    },
}

/// Our side of the lock, before both sides hold it.
enum OurLock {
    /// Nothing under way (and the peer has not said yes).
    Idle,
    /// Our locker is taking the lock.
    Taking {
        /// The peer said its side is locked.
        he_said_yes: bool,
    },
    /// Our locker holds the lock and the peer was told; its yes has not come.
    Held(GlobalLockId),
}

/// What a peer sent ahead of its phase.
#[derive(Default)]
struct Early {
    /// Its names (`exchange`), before both sides held the lock.
    names: Option<Vec<NameEntry>>,
    /// Its `resolved`, before we resolved.
    resolved: Option<HisResolved>,
}

/// The resolving, once both sides hold the lock.
enum Step {
    /// The peer's names have not come (its `resolved` may have, ahead of them).
    AwaitingNames {
        /// The peer's `resolved`, if it came first.
        his_resolved: Option<HisResolved>,
    },
    /// We resolved (and sent `resolved`); the peer's `resolved` has not come.
    Resolved {
        /// Our operations.
        ops: Vec<Term>,
    },
    /// Both sides resolved: the connect is finished.
    Done {
        /// Our operations.
        ops: Vec<Term>,
        /// The peer's `resolved`.
        his: HisResolved,
    },
}

impl Connect {
    /// A connect we just sent `init_connect` for.
    pub(crate) fn new(my_tag: i64) -> Connect {
        Connect {
            my_tag,
            state: State::Waiting {
                early: Early::default(),
            },
        }
    }

    /// Our tag for this connect.
    pub(crate) fn my_tag(&self) -> i64 {
        self.my_tag
    }

    /// Whether `tag` (as a peer or a timer sent it back) is this connect's.
    pub(crate) fn has_tag(&self, tag: &Term) -> bool {
        Term::Int(self.my_tag) == *tag
    }

    /// The peer, once its `init_connect` came.
    pub(crate) fn peer(&self) -> Option<&Peer> {
        match &self.state {
            State::Waiting { .. } => None,
            State::Locking { peer, .. } | State::Exchanging { peer, .. } => Some(peer),
        }
    }

    /// The lock our locker holds for this connect, if any (released when the connect goes).
    pub(crate) fn held(&self) -> Option<&GlobalLockId> {
        match &self.state {
            State::Locking {
                ours: OurLock::Held(lock_id),
                ..
            }
            | State::Exchanging { lock_id, .. } => Some(lock_id),
            _ => None,
        }
    }

    /// The peer's `init_connect`: waiting becomes locking. The peer back when one is there
    /// already (the connect must start over).
    pub(crate) fn accept_peer(&mut self, peer: Peer) -> Result<(), Peer> {
        match self.take_state() {
            State::Waiting { early } => {
                self.state = State::Locking {
                    peer,
                    ours: OurLock::Idle,
                    early,
                };
                Ok(())
            }
            other => {
                self.state = other;
                Err(peer)
            }
        }
    }

    /// The peer's locker, when our locker may start the lock (nothing under way on our side).
    pub(crate) fn idle_locker(&self) -> Option<&Pid> {
        match &self.state {
            State::Locking {
                peer,
                ours: OurLock::Idle,
                ..
            } => Some(&peer.locker),
            _ => None,
        }
    }

    /// Our locker starts the lock (`select_node`): idle becomes taking. False (and nothing
    /// changes) unless idle.
    pub(crate) fn start_lock(&mut self) -> bool {
        match &mut self.state {
            State::Locking { ours, .. } if matches!(ours, OurLock::Idle) => {
                *ours = OurLock::Taking { he_said_yes: false };
                true
            }
            _ => false,
        }
    }

    /// Our locker's answer to the lock it was taking.
    pub(crate) fn locked(&mut self, lock_id: GlobalLockId, ok: bool) -> Locked {
        let (his_tag, he_said_yes) = match &mut self.state {
            State::Locking {
                peer,
                ours: ours @ OurLock::Taking { .. },
                ..
            } => {
                let he_said_yes = matches!(ours, OurLock::Taking { he_said_yes: true });
                *ours = if ok {
                    OurLock::Held(lock_id.clone())
                } else {
                    OurLock::Idle
                };
                (peer.tag.clone(), he_said_yes)
            }
            _ => return Locked::Unexpected,
        };
        if !ok {
            return Locked::NotSet {
                his_tag,
                tell_no: he_said_yes,
            };
        }
        let exchange = if he_said_yes {
            self.both_locked(lock_id)
        } else {
            None
        };
        Locked::Set { his_tag, exchange }
    }

    /// The peer's `lock_set`: its side is (or is not) locked.
    pub(crate) fn his_lock_set(&mut self, set: bool) -> HisLockSet {
        let State::Locking { ours, .. } = &mut self.state else {
            return HisLockSet::Nothing;
        };
        match (set, &*ours) {
            (true, OurLock::Idle) => {
                *ours = OurLock::Taking { he_said_yes: true };
                HisLockSet::StartLock
            }
            (_, OurLock::Taking { .. }) => {
                *ours = OurLock::Taking { he_said_yes: set };
                HisLockSet::Nothing
            }
            (true, OurLock::Held(lock_id)) => {
                let lock_id = lock_id.clone();
                match self.both_locked(lock_id) {
                    Some(exchange) => HisLockSet::Exchange(exchange),
                    None => HisLockSet::Nothing,
                }
            }
            (false, OurLock::Held(lock_id)) => {
                let lock_id = lock_id.clone();
                *ours = OurLock::Idle;
                HisLockSet::Release(lock_id)
            }
            (false, OurLock::Idle) => HisLockSet::Nothing,
        }
    }

    /// `lock_is_set`: locking becomes exchanging, with the names and `resolved` the peer sent
    /// ahead. `None` (and nothing changes) unless locking.
    fn both_locked(&mut self, lock_id: GlobalLockId) -> Option<GoExchange> {
        match self.take_state() {
            State::Locking { peer, early, .. } => {
                let go = GoExchange {
                    his_tag: peer.tag.clone(),
                    early_names: early.names,
                };
                self.state = State::Exchanging {
                    peer,
                    lock_id,
                    step: Step::AwaitingNames {
                        his_resolved: early.resolved,
                    },
                };
                Some(go)
            }
            other => {
                self.state = other;
                None
            }
        }
    }

    /// The peer's names (`exchange`): to resolve now when both sides hold the lock, else kept.
    pub(crate) fn his_names(&mut self, names: Vec<NameEntry>) -> Option<Vec<NameEntry>> {
        match &mut self.state {
            State::Exchanging { .. } => Some(names),
            State::Waiting { early } | State::Locking { early, .. } => {
                early.names = Some(names);
                None
            }
        }
    }

    /// We resolved the peer's names into `ops`: the peer's tag, for our `resolved`. `None` (and
    /// nothing changes) unless exchanging.
    pub(crate) fn our_ops(&mut self, ops: Vec<Term>) -> Option<Term> {
        let State::Exchanging { peer, step, .. } = &mut self.state else {
            return None;
        };
        *step = match std::mem::replace(step, Step::Resolved { ops: Vec::new() }) {
            Step::AwaitingNames {
                his_resolved: Some(his),
            }
            | Step::Done { his, .. } => Step::Done { ops, his },
            Step::AwaitingNames { his_resolved: None } | Step::Resolved { .. } => {
                Step::Resolved { ops }
            }
        };
        Some(peer.tag.clone())
    }

    /// The peer's `resolved`: kept until we resolved.
    pub(crate) fn his_resolved(&mut self, his: HisResolved) {
        match &mut self.state {
            State::Waiting { early } | State::Locking { early, .. } => early.resolved = Some(his),
            State::Exchanging { step, .. } => {
                *step = match std::mem::replace(step, Step::Resolved { ops: Vec::new() }) {
                    Step::AwaitingNames { .. } => Step::AwaitingNames {
                        his_resolved: Some(his),
                    },
                    Step::Resolved { ops } | Step::Done { ops, .. } => Step::Done { ops, his },
                }
            }
        }
    }

    /// Whether both sides resolved (the connect is to be finished).
    pub(crate) fn is_done(&self) -> bool {
        matches!(
            self.state,
            State::Exchanging {
                step: Step::Done { .. },
                ..
            }
        )
    }

    /// The connect as finished, when both sides resolved ([`is_done`](Connect::is_done)).
    pub(crate) fn finish(self) -> Option<Finished> {
        match self.state {
            State::Exchanging {
                lock_id,
                step: Step::Done { mut ops, his },
                ..
            } => {
                ops.extend(his.ops);
                Some(Finished {
                    lock_id,
                    ops,
                    his_known: his.known,
                    names_ext: his.names_ext,
                })
            }
            _ => None,
        }
    }

    /// Takes the state out, leaving a placeholder the caller replaces.
    fn take_state(&mut self) -> State {
        std::mem::replace(
            &mut self.state,
            State::Waiting {
                early: Early::default(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use ergo_etf::Atom;

    use super::*;

    fn peer() -> Peer {
        Peer {
            tag: Term::Int(-9),
            locker: Pid {
                node: Atom::new("b@h"),
                id: 5,
                serial: 0,
                creation: 1,
            },
        }
    }

    fn lock_id() -> GlobalLockId {
        GlobalLockId {
            requester: Term::atom("r"),
        }
    }

    fn his_resolved() -> HisResolved {
        HisResolved {
            ops: vec![Term::atom("his_op")],
            known: Vec::new(),
            names_ext: Term::nil(),
        }
    }

    fn locking() -> Connect {
        let mut c = Connect::new(3);
        assert!(c.accept_peer(peer()).is_ok());
        c
    }

    #[test]
    fn a_second_init_connect_is_refused() {
        let mut c = Connect::new(3);
        assert!(c.peer().is_none() && c.idle_locker().is_none());
        assert!(c.accept_peer(peer()).is_ok());
        assert!(c.has_tag(&Term::Int(3)));
        assert!(c.idle_locker().is_some());
        assert!(c.accept_peer(peer()).is_err());
    }

    #[test]
    fn our_lock_first_then_his_yes() {
        let mut c = locking();
        assert!(c.start_lock());
        assert!(!c.start_lock(), "one lock at a time");
        assert!(c.idle_locker().is_none());
        assert!(matches!(
            c.locked(lock_id(), true),
            Locked::Set { exchange: None, .. }
        ));
        assert_eq!(c.held(), Some(&lock_id()));
        match c.his_lock_set(true) {
            HisLockSet::Exchange(go) => assert_eq!(go.his_tag, Term::Int(-9)),
            _ => panic!("both hold the lock: exchange"),
        }
        // Later lock_sets change nothing once names are exchanged.
        assert!(matches!(c.his_lock_set(false), HisLockSet::Nothing));
        assert_eq!(c.held(), Some(&lock_id()));
    }

    #[test]
    fn his_lock_first_starts_ours_and_both_yeses_exchange() {
        let mut c = locking();
        assert!(matches!(c.his_lock_set(true), HisLockSet::StartLock));
        assert!(matches!(c.his_lock_set(true), HisLockSet::Nothing));
        assert!(matches!(
            c.locked(lock_id(), true),
            Locked::Set {
                exchange: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn a_failed_lock_tells_no_only_after_a_yes() {
        let mut c = locking();
        assert!(matches!(c.his_lock_set(true), HisLockSet::StartLock));
        assert!(matches!(
            c.locked(lock_id(), false),
            Locked::NotSet { tell_no: true, .. }
        ));
        assert!(c.idle_locker().is_some());
        assert!(c.start_lock());
        assert!(matches!(
            c.locked(lock_id(), false),
            Locked::NotSet { tell_no: false, .. }
        ));
        assert!(matches!(c.locked(lock_id(), true), Locked::Unexpected));
    }

    #[test]
    fn his_no_after_our_yes_releases_the_lock() {
        let mut c = locking();
        assert!(c.start_lock());
        assert!(matches!(c.locked(lock_id(), true), Locked::Set { .. }));
        assert!(matches!(c.his_lock_set(false), HisLockSet::Release(id) if id == lock_id()));
        assert!(c.held().is_none());
        assert!(c.idle_locker().is_some());
    }

    #[test]
    fn early_names_and_resolved_are_kept_until_their_phase() {
        let mut c = locking();
        assert!(c.his_names(Vec::new()).is_none());
        c.his_resolved(his_resolved());
        assert!(c.our_ops(Vec::new()).is_none(), "not exchanging yet");
        assert!(c.start_lock());
        assert!(matches!(c.locked(lock_id(), true), Locked::Set { .. }));
        let HisLockSet::Exchange(go) = c.his_lock_set(true) else {
            panic!("both hold the lock: exchange");
        };
        assert!(go.early_names.is_some());
        assert!(!c.is_done());
        assert_eq!(c.our_ops(vec![Term::atom("our_op")]), Some(Term::Int(-9)));
        assert!(c.is_done());
        let finished = c.finish().map(|f| (f.lock_id, f.ops));
        assert_eq!(
            finished,
            Some((lock_id(), vec![Term::atom("our_op"), Term::atom("his_op")]))
        );
    }

    #[test]
    fn names_while_exchanging_are_resolved_at_once() {
        let mut c = locking();
        assert!(matches!(c.his_lock_set(true), HisLockSet::StartLock));
        let Locked::Set {
            exchange: Some(go), ..
        } = c.locked(lock_id(), true)
        else {
            panic!("both hold the lock: exchange");
        };
        assert!(go.early_names.is_none());
        assert!(c.his_names(Vec::new()).is_some());
        assert!(c.our_ops(Vec::new()).is_some());
        assert!(!c.is_done());
        c.his_resolved(his_resolved());
        assert!(c.is_done());
        assert!(c.finish().is_some());
    }
}
