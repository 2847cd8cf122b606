//! Fluent assertions on what the kit's server did: pick a kind of effect, narrow it (`to`,
//! `message`, `named`), then count it (`once`, `times`, `never`). A match claims the effects it
//! counted, so `no_more_effects` can tell what no assertion looked at. A failed assertion
//! panics with every effect that did happen. Must not drive the server.

use std::sync::Arc;

use ergo_core::Effect;

use super::recorder::{lock, Mock, Recorder};
use crate::{Atom, Dest, IntoTerm, Pid, Term};

/// Which kind of effect an assertion counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Send,
    SendAfter,
    Call,
    Cast,
    Link,
    Monitor,
    Exit,
    Spawn,
    Reply,
    Stop,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Send => "send",
            Kind::SendAfter => "send_after",
            Kind::Call => "call",
            Kind::Cast => "cast",
            Kind::Link => "link",
            Kind::Monitor => "monitor",
            Kind::Exit => "exit signal",
            Kind::Spawn => "spawn",
            Kind::Reply => "reply",
            Kind::Stop => "stop",
        }
    }
}

/// An assertion being built: `kit.should_send().to(pid).message(m).once()`.
#[must_use = "an assertion checks nothing until once(), times(n) or never()"]
pub struct Expect {
    recorder: Arc<Recorder>,
    kind: Kind,
    to: Option<Dest>,
    message: Option<Term>,
    name: Option<Atom>,
    from: Option<Pid>,
}

/// What an effect is to, says and is named, for matching.
fn parts(effect: &Effect) -> (Option<Kind>, Option<Dest>, Option<&Term>, Option<&Atom>) {
    match effect {
        Effect::Send { to, message } => (Some(Kind::Send), Some(to.clone()), Some(message), None),
        Effect::SendAfter { to, message, .. } => {
            (Some(Kind::SendAfter), Some(to.clone()), Some(message), None)
        }
        Effect::Call { to, request } => (Some(Kind::Call), Some(to.clone()), Some(request), None),
        Effect::Cast { to, request } => (Some(Kind::Cast), Some(to.clone()), Some(request), None),
        Effect::Link(pid) => (Some(Kind::Link), Some(Dest::Pid(pid.clone())), None, None),
        Effect::Monitor(to) => (Some(Kind::Monitor), Some(to.clone()), None, None),
        Effect::Exit { to, reason } => (
            Some(Kind::Exit),
            Some(Dest::Pid(to.clone())),
            Some(reason),
            None,
        ),
        Effect::Spawn { pid, name, .. } => (
            Some(Kind::Spawn),
            Some(Dest::Pid(pid.clone())),
            None,
            name.as_ref(),
        ),
        Effect::Reply(value) => (Some(Kind::Reply), None, Some(value), None),
        Effect::Stop(reason) => (Some(Kind::Stop), None, Some(reason), None),
        _ => (None, None, None, None),
    }
}

/// Panics, listing every effect, unless an assertion claimed each one (`no_more_effects` of
/// every kit).
#[track_caller]
pub(super) fn all_claimed(recorder: &Recorder) {
    let unclaimed = lock(&recorder.effects)
        .iter()
        .filter(|r| !r.claimed)
        .count();
    if unclaimed > 0 {
        panic!(
            "{unclaimed} effect(s) no assertion checked ([ ]):\n{}",
            listing(recorder)
        );
    }
}

/// One line per effect, `[x]` for those an assertion claimed.
pub(super) fn listing(recorder: &Recorder) -> String {
    let show_from = recorder
        .show_from
        .load(std::sync::atomic::Ordering::Relaxed);
    let effects = lock(&recorder.effects);
    if effects.is_empty() {
        return "  (none)".into();
    }
    effects
        .iter()
        .map(|r| {
            let mark = if r.claimed { "[x]" } else { "[ ]" };
            let from = r
                .from
                .as_ref()
                .filter(|_| show_from)
                .map(|p| format!("{}: ", Term::Pid(p.clone())))
                .unwrap_or_default();
            format!("  {mark} {from}{}", describe(&r.effect))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An effect in words.
pub(super) fn describe(effect: &Effect) -> String {
    match effect {
        Effect::Send { to, message } => format!("send to {to}: {message}"),
        Effect::SendAfter { to, message, delay } => {
            format!("send_after {delay:?} to {to}: {message}")
        }
        Effect::Call { to, request } => format!("call to {to}: {request}"),
        Effect::Cast { to, request } => format!("cast to {to}: {request}"),
        Effect::Link(pid) => format!("link to {}", Term::Pid(pid.clone())),
        Effect::Unlink(pid) => format!("unlink from {}", Term::Pid(pid.clone())),
        Effect::Monitor(to) => format!("monitor of {to}"),
        Effect::Demonitor(r) => format!("demonitor {}", Term::Reference(r.clone())),
        Effect::Exit { to, reason } => {
            format!("exit signal to {}: {reason}", Term::Pid(to.clone()))
        }
        Effect::Spawn {
            pid,
            name,
            behaviour,
        } => format!(
            "spawn of {} ({behaviour}{})",
            Term::Pid(pid.clone()),
            name.as_ref()
                .map(|n| format!(", named {n}"))
                .unwrap_or_default()
        ),
        Effect::Reply(value) => format!("reply {value}"),
        Effect::Stop(reason) => format!("stop with {reason}"),
        other => format!("{other:?}"),
    }
}

impl Expect {
    pub(super) fn new(recorder: Arc<Recorder>, kind: Kind) -> Expect {
        Expect {
            recorder,
            kind,
            to: None,
            message: None,
            name: None,
            from: None,
        }
    }

    /// Only effects to `to` (a pid, a name, `(name, node)`).
    pub fn to(mut self, to: impl Into<Dest>) -> Expect {
        self.to = Some(to.into());
        self
    }

    /// Only effects carrying `message` (a send's message, a call's or cast's request, an exit
    /// signal's reason, a reply's value, a stop's reason).
    pub fn message(mut self, message: impl IntoTerm) -> Expect {
        self.message = Some(message.into_term());
        self
    }

    /// Only effects the process `pid` made (a supervised child's, in a
    /// [`SupervisorKit`](super::SupervisorKit)).
    pub fn from(mut self, pid: &Pid) -> Expect {
        self.from = Some(pid.clone());
        self
    }

    /// Only spawns registered as `name`.
    pub fn named(mut self, name: &str) -> Expect {
        self.name = Some(Atom::new(name));
        self
    }

    /// Exactly one such effect happened (and no assertion claimed it before).
    #[track_caller]
    pub fn once(self) {
        self.times(1)
    }

    /// None happened.
    #[track_caller]
    pub fn never(self) {
        self.times(0)
    }

    /// Exactly `n` happened (and no assertion claimed them before).
    #[track_caller]
    pub fn times(self, n: usize) {
        let matching: Vec<usize> = {
            let effects = lock(&self.recorder.effects);
            effects
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    !r.claimed
                        && self.matches(&r.effect)
                        && self
                            .from
                            .as_ref()
                            .map_or(true, |want| r.from.as_ref() == Some(want))
                })
                .map(|(i, _)| i)
                .collect()
        };
        if matching.len() != n {
            panic!(
                "expected {n} {}, found {}\neffects so far ([x]: claimed by an earlier assertion):\n{}",
                self.wanted(),
                matching.len(),
                listing(&self.recorder)
            );
        }
        let mut effects = lock(&self.recorder.effects);
        for i in matching {
            effects[i].claimed = true;
        }
    }

    fn matches(&self, effect: &Effect) -> bool {
        let (kind, to, message, name) = parts(effect);
        kind == Some(self.kind)
            && self
                .to
                .as_ref()
                .map_or(true, |want| to.as_ref() == Some(want))
            && self
                .message
                .as_ref()
                .map_or(true, |want| message == Some(want))
            && self.name.as_ref().map_or(true, |want| name == Some(want))
    }

    fn wanted(&self) -> String {
        let mut text = self.kind.noun().to_string();
        if let Some(to) = &self.to {
            text += &format!(" to {to}");
        }
        if let Some(message) = &self.message {
            text += &format!(" with {message}");
        }
        if let Some(name) = &self.name {
            text += &format!(" named {name}");
        }
        if let Some(from) = &self.from {
            text += &format!(" from {}", Term::Pid(from.clone()));
        }
        text
    }
}

/// `kit.should_call(dest, request)`: answer such a call (`respond_with`, before it is made), or
/// count such calls made (`once`, `times`, `never`).
#[must_use = "respond_with registers an answer; once/times/never check the calls made"]
pub struct CallExpect {
    expect: Expect,
}

impl CallExpect {
    pub(super) fn new(recorder: Arc<Recorder>, to: Dest, request: Term) -> CallExpect {
        let mut expect = Expect::new(recorder, Kind::Call);
        expect.to = Some(to);
        expect.message = Some(request);
        CallExpect { expect }
    }

    /// The server's call to this destination with this request gets `response` (each time).
    pub fn respond_with(self, response: impl IntoTerm) {
        let (Some(to), Some(request)) = (self.expect.to, self.expect.message) else {
            return;
        };
        lock(&self.expect.recorder.mocks).push(Mock::Exact {
            to,
            request,
            response: response.into_term(),
        });
    }

    /// Exactly one such call was made.
    #[track_caller]
    pub fn once(self) {
        self.expect.once()
    }

    /// Exactly `n` were made.
    #[track_caller]
    pub fn times(self, n: usize) {
        self.expect.times(n)
    }

    /// None was made.
    #[track_caller]
    pub fn never(self) {
        self.expect.never()
    }
}
