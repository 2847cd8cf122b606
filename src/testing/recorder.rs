//! The kit's observer of its one server: records what the server does (`Effect`s, in order,
//! each marked once an assertion has matched it), answers its calls from the mocks, and keeps
//! the calls nobody expected for the kit to fail on. Must not drive the server.

use std::sync::Mutex;

use ergo_core::{CallError, Effect, EffectObserver};

use crate::{Dest, Pid, Term};

/// One recorded effect, and whether an assertion has claimed it.
#[derive(Clone, Debug)]
pub(super) struct Recorded {
    pub(super) effect: Effect,
    /// The process that made it (None: a spawn on the node, or recorded by the kit).
    pub(super) from: Option<Pid>,
    pub(super) claimed: bool,
}

/// A mocked peer's answer to a request (`None`: not one it expects).
pub(super) type PeerAnswer = Box<dyn Fn(&Term) -> Option<Term> + Send + Sync>;

/// A mocked peer: an exact request and its answer, or a handler for any request to a name.
pub(super) enum Mock {
    Exact {
        to: Dest,
        request: Term,
        response: Term,
    },
    Peer {
        to: Dest,
        answer: PeerAnswer,
    },
}

#[derive(Default)]
pub(super) struct Recorder {
    /// The behaviour name of the server being started: its spawn makes it the watched process.
    pub(super) server_behaviour: Mutex<Option<&'static str>>,
    pub(super) server: Mutex<Option<Pid>>,
    pub(super) effects: Mutex<Vec<Recorded>>,
    pub(super) mocks: Mutex<Vec<Mock>>,
    pub(super) unexpected: Mutex<Vec<String>>,
    /// Whether listings name the process behind each effect (a tree's, not one server's).
    pub(super) show_from: std::sync::atomic::AtomicBool,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Recorder {
    pub(super) fn push(&self, effect: Effect) {
        self.push_from(None, effect)
    }

    pub(super) fn push_from(&self, from: Option<&Pid>, effect: Effect) {
        lock(&self.effects).push(Recorded {
            effect,
            from: from.cloned(),
            claimed: false,
        });
    }
}

impl EffectObserver for Recorder {
    fn watches(&self, pid: &Pid) -> bool {
        lock(&self.server).as_ref() == Some(pid)
    }

    fn record(&self, from: Option<&Pid>, effect: Effect) {
        if let Effect::Spawn { pid, behaviour, .. } = &effect {
            let mut server = lock(&self.server);
            if server.is_none() && *lock(&self.server_behaviour) == Some(*behaviour) {
                // The server itself, spawned by the kit: from now on it is the one watched.
                *server = Some(pid.clone());
                return;
            }
        }
        self.push_from(from, effect);
    }

    fn answer_call(&self, _from: &Pid, to: &Dest, request: &Term) -> Result<Term, CallError> {
        let mocks = lock(&self.mocks);
        for mock in mocks.iter() {
            if let Mock::Exact {
                to: mocked,
                request: expected,
                response,
            } = mock
            {
                if mocked == to && expected == request {
                    return Ok(response.clone());
                }
            }
        }
        for mock in mocks.iter() {
            if let Mock::Peer { to: mocked, answer } = mock {
                if mocked == to {
                    if let Some(response) = answer(request) {
                        return Ok(response);
                    }
                }
            }
        }
        drop(mocks);
        lock(&self.unexpected).push(format!("unexpected call to {to}: {request}"));
        Err(CallError::Down(Term::atom("noproc")))
    }
}
