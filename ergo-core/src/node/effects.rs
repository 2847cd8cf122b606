//! The seam a test kit uses to watch one process: an observer installed on the node is asked,
//! for each effect a watched process makes through its `Context` (send, call, cast, link,
//! monitor, exit, timers) and for each spawn on the node, to record it; a watched process's
//! sends to others, casts, links, monitors and exits to others are recorded instead of done,
//! and its calls are answered by the observer (mocked peers). An observer may instead let a
//! watched process's effects through (`passes_through`): recorded, then done as usual (a
//! supervision tree under test runs for real). Owns the `Effect` model and the
//! `EffectObserver` trait; must not know what a test asserts.

use std::time::Duration;

use ergo_etf::{Atom, Pid, Reference, Term};

use super::{CallError, Dest, Node};

/// Something a watched process did.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Effect {
    /// A message sent (to itself it is also delivered; to anyone else only recorded).
    Send {
        /// Where to.
        to: Dest,
        /// What.
        message: Term,
    },
    /// A timer set (`send_after`); it does fire.
    SendAfter {
        /// Where to.
        to: Dest,
        /// What.
        message: Term,
        /// After how long.
        delay: Duration,
    },
    /// A call made; the observer answered it (or, letting effects through, the peer did).
    Call {
        /// Whom.
        to: Dest,
        /// The request.
        request: Term,
    },
    /// A cast made (only recorded).
    Cast {
        /// Whom.
        to: Dest,
        /// The request.
        request: Term,
    },
    /// A link made (only recorded).
    Link(Pid),
    /// A link removed (only recorded).
    Unlink(Pid),
    /// A monitor set (only recorded; the reference is fresh and never fires).
    Monitor(Dest),
    /// A monitor removed.
    Demonitor(Reference),
    /// An exit signal sent (to itself it is also delivered).
    Exit {
        /// Whom.
        to: Pid,
        /// Why.
        reason: Term,
    },
    /// A process spawned on the node (it does run).
    Spawn {
        /// Its pid.
        pid: Pid,
        /// Its registered name, if any.
        name: Option<Atom>,
        /// Its behaviour (`process`, a gen_server's type name...).
        behaviour: &'static str,
    },
    /// A call the watched process answered (recorded by the kit that made it).
    Reply(Term),
    /// The watched process ended with this reason (recorded by the kit).
    Stop(Term),
}

/// What a test kit installs on its node with [`Node::observe_effects`].
pub trait EffectObserver: Send + Sync {
    /// Whether `pid`'s effects are watched (recorded and, except those to itself, not done).
    fn watches(&self, pid: &Pid) -> bool;
    /// Records an effect of `from` (a watched process), or a spawn on the node (`from` is
    /// `None`).
    fn record(&self, from: Option<&Pid>, effect: Effect);
    /// Answers a watched process's call (after it was recorded): a mocked peer's answer, or an
    /// error for a call nobody expected.
    fn answer_call(&self, from: &Pid, to: &Dest, request: &Term) -> Result<Term, CallError>;
    /// Whether a watched process's effects, once recorded, are also done as usual (its calls
    /// then go to the real peer, not to [`EffectObserver::answer_call`]). False by default:
    /// recorded instead of done.
    fn passes_through(&self) -> bool {
        false
    }
}

impl Node {
    /// Installs `observer` (once: false when one is installed already). For test kits
    /// (`ergo::testing`) on a node of their own; a node with no observer pays one atomic load
    /// per effect.
    pub fn observe_effects(&self, observer: std::sync::Arc<dyn EffectObserver>) -> bool {
        self.inner.observer.set(observer).is_ok()
    }

    /// The observer, when it watches `pid` and records its effects instead of doing them.
    pub(crate) fn observer_of(&self, pid: &Pid) -> Option<&std::sync::Arc<dyn EffectObserver>> {
        self.inner
            .observer
            .get()
            .filter(|o| !o.passes_through() && o.watches(pid))
    }

    /// The observer, when it watches `pid` and lets its effects through.
    pub(crate) fn tap_of(&self, pid: &Pid) -> Option<&std::sync::Arc<dyn EffectObserver>> {
        self.inner
            .observer
            .get()
            .filter(|o| o.passes_through() && o.watches(pid))
    }

    /// The observer, for spawns.
    pub(crate) fn observer(&self) -> Option<&std::sync::Arc<dyn EffectObserver>> {
        self.inner.observer.get()
    }
}
