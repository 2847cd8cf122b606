//! What a process's own code uses: its pid, its mailbox (with exit-signal handling), and
//! shortcuts to send, call, cast, link, monitor, exit and time on behalf of this process. Owns
//! the rules for how a process reacts to an exit signal; must not own node tables (it acts on
//! them through `Node`'s methods).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use ergo_etf::{FromTerm, IntoTerm, Pid, Reference, Term};

use super::error::{CallError, SendError, SpawnError};
use super::{Dest, Effect, EffectObserver, Node, ProcessEntry, TimerHandle};
use crate::process::{Envelope, ExitSignal, Payload};

/// A process's handle on itself and its node.
pub struct Context {
    node: Node,
    entry: Arc<ProcessEntry>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Context({})", Term::Pid(self.entry.pid.clone()))
    }
}

impl Context {
    pub(crate) fn new(node: Node, entry: Arc<ProcessEntry>) -> Context {
        Context { node, entry }
    }

    /// The test kit's observer, when it watches this process (`effects.rs`).
    fn watched(&self) -> Option<&Arc<dyn EffectObserver>> {
        self.node.observer_of(&self.entry.pid)
    }

    /// Records `effect` with an observer that watches this process and lets its effects
    /// through (the caller then does the effect as usual).
    fn tap(&self, effect: impl FnOnce() -> Effect) {
        if let Some(observer) = self.node.tap_of(&self.entry.pid) {
            observer.record(Some(&self.entry.pid), effect());
        }
    }

    /// True when `to` is this process's own pid.
    fn is_me(&self, to: &Dest) -> bool {
        matches!(to, Dest::Pid(pid) if *pid == self.entry.pid)
    }

    /// This process's pid.
    pub fn pid(&self) -> &Pid {
        &self.entry.pid
    }

    /// The node this process runs on.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Turns exit trapping on or off; returns the old value.
    pub fn trap_exit(&self, on: bool) -> bool {
        self.entry.trap_exit.swap(on, Ordering::Relaxed)
    }

    /// Applies an exit signal: `Ok(Some(env))` to deliver it as a message (trapped), `Ok(None)`
    /// to ignore it, `Err(reason)` when this process must exit.
    fn on_exit_signal(&self, signal: Box<ExitSignal>) -> Result<Option<Envelope>, Term> {
        let (from, reason, via_link) = (&signal.from, &signal.reason, signal.via_link);
        if via_link {
            let mut st = self.entry.state();
            let before = st.links.len();
            st.links.retain(|p| p != from);
            if before == st.links.len() {
                return Ok(None); // unlinked meanwhile: the signal is void
            }
        }
        if !via_link && reason.is_atom("kill") {
            return Err(Term::atom("killed"));
        }
        if self.entry.trap_exit.load(Ordering::Relaxed) {
            return Ok(Some(Envelope::Exit(signal)));
        }
        if reason.is_atom("normal") {
            return if *from == self.entry.pid {
                Err(signal.reason)
            } else {
                Ok(None)
            };
        }
        Err(signal.reason)
    }

    /// Waits for the next envelope. Exit signals are handled here: a trapped one comes back as
    /// `Envelope::Exit`, an untrapped one returns `Err(reason)` and the process must return
    /// that reason. (A hand-written future rather than an `async fn`: it is on every message's
    /// path, and the state machine's moves showed up in profiles.)
    pub fn recv(&mut self) -> Recv<'_> {
        Recv { ctx: self }
    }

    /// Like [`Context::recv`] with a deadline: `Ok(None)` when nothing came in time.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Envelope>, Term> {
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(r) => r.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Waits for the next envelope rendered as a term (OTP shapes).
    pub async fn recv_term(&mut self) -> Result<Term, Term> {
        self.recv().await.map(Envelope::into_term)
    }

    /// Waits for the next message and reads it as `T` (downcast, or `FromTerm`).
    pub async fn recv_as<T: FromTerm + 'static>(
        &mut self,
    ) -> Result<Result<T, crate::process::Undecodable>, Term> {
        let env = self.recv().await?;
        Ok(match env {
            Envelope::Message(p) => p.take::<T>(),
            other => Payload::Term(other.into_term()).take::<T>(),
        })
    }

    /// Number of queued envelopes.
    pub fn mailbox_len(&self) -> usize {
        self.entry.mailbox.len()
    }

    /// Sends a message from this process.
    pub fn send(
        &self,
        to: impl Into<Dest>,
        message: impl IntoTerm + Send + 'static,
    ) -> Result<(), SendError> {
        let to = to.into();
        if let Some(observer) = self.watched() {
            let message = message.into_term();
            observer.record(
                Some(&self.entry.pid),
                Effect::Send {
                    to: to.clone(),
                    message: message.clone(),
                },
            );
            if !self.is_me(&to) {
                return Ok(());
            }
            return self.node.send_envelope(
                Some(&self.entry.pid),
                &to,
                Envelope::Message(Payload::Term(message)),
            );
        }
        if let Some(observer) = self.node.tap_of(&self.entry.pid) {
            let message = message.into_term();
            let effect = Effect::Send {
                to: to.clone(),
                message: message.clone(),
            };
            observer.record(Some(&self.entry.pid), effect);
            return self.node.send_envelope(
                Some(&self.entry.pid),
                &to,
                Envelope::Message(Payload::Term(message)),
            );
        }
        self.node.send_envelope(
            Some(&self.entry.pid),
            &to,
            Envelope::Message(Payload::new(message)),
        )
    }

    /// Calls a gen_server from this process, with the node's default timeout.
    pub async fn call<R: FromTerm + 'static>(
        &self,
        to: impl Into<Dest>,
        request: impl IntoTerm + Send + 'static,
    ) -> Result<R, CallError> {
        let timeout = self.node.options().default_call_timeout;
        self.call_timeout(to, request, timeout).await
    }

    /// Calls a gen_server from this process with a timeout.
    pub async fn call_timeout<R: FromTerm + 'static>(
        &self,
        to: impl Into<Dest>,
        request: impl IntoTerm + Send + 'static,
        timeout: Duration,
    ) -> Result<R, CallError> {
        let to = to.into();
        if let Some(observer) = self.watched() {
            let request = request.into_term();
            observer.record(
                Some(&self.entry.pid),
                Effect::Call {
                    to: to.clone(),
                    request: request.clone(),
                },
            );
            let answer = observer.answer_call(&self.entry.pid, &to, &request)?;
            return R::from_term(answer).map_err(CallError::BadReply);
        }
        let request = if self.node.tap_of(&self.entry.pid).is_some() {
            let request = request.into_term();
            self.tap(|| Effect::Call {
                to: to.clone(),
                request: request.clone(),
            });
            Payload::Term(request)
        } else {
            Payload::new(request)
        };
        let payload = self
            .node
            .call_payload(&self.entry.pid, &to, request, timeout)
            .await?;
        payload
            .take::<R>()
            .map_err(|u| CallError::BadReply(u.error))
    }

    /// Casts to a gen_server.
    pub fn cast(
        &self,
        to: impl Into<Dest>,
        request: impl IntoTerm + Send + 'static,
    ) -> Result<(), SendError> {
        if let Some(observer) = self.watched() {
            let effect = Effect::Cast {
                to: to.into(),
                request: request.into_term(),
            };
            observer.record(Some(&self.entry.pid), effect);
            return Ok(());
        }
        if self.node.tap_of(&self.entry.pid).is_some() {
            let (to, request) = (to.into(), request.into_term());
            self.tap(|| Effect::Cast {
                to: to.clone(),
                request: request.clone(),
            });
            return self.node.cast(to, request);
        }
        self.node.cast(to, request)
    }

    /// Links this process to `other`.
    pub fn link(&self, other: &Pid) {
        if let Some(observer) = self.watched() {
            return observer.record(Some(&self.entry.pid), Effect::Link(other.clone()));
        }
        self.tap(|| Effect::Link(other.clone()));
        self.node.link(&self.entry.pid, other)
    }

    /// Removes the link to `other`.
    pub fn unlink(&self, other: &Pid) {
        if let Some(observer) = self.watched() {
            return observer.record(Some(&self.entry.pid), Effect::Unlink(other.clone()));
        }
        self.tap(|| Effect::Unlink(other.clone()));
        self.node.unlink(&self.entry.pid, other)
    }

    /// Monitors a pid or a registered name.
    pub fn monitor(&self, target: impl Into<Dest>) -> Reference {
        let target = target.into();
        if let Some(observer) = self.watched() {
            observer.record(Some(&self.entry.pid), Effect::Monitor(target));
            return self.node.make_ref();
        }
        self.tap(|| Effect::Monitor(target.clone()));
        self.node.monitor(&self.entry.pid, &target)
    }

    /// Removes a monitor (and flushes its DOWN message).
    pub fn demonitor(&self, reference: &Reference) -> bool {
        if let Some(observer) = self.watched() {
            observer.record(Some(&self.entry.pid), Effect::Demonitor(reference.clone()));
            return true;
        }
        self.tap(|| Effect::Demonitor(reference.clone()));
        self.node.demonitor(&self.entry.pid, reference)
    }

    /// Sends an exit signal to `to`.
    pub fn exit(&self, to: &Pid, reason: Term) {
        if let Some(observer) = self.watched() {
            let effect = Effect::Exit {
                to: to.clone(),
                reason: reason.clone(),
            };
            observer.record(Some(&self.entry.pid), effect);
            if *to != self.entry.pid {
                return;
            }
        } else {
            self.tap(|| Effect::Exit {
                to: to.clone(),
                reason: reason.clone(),
            });
        }
        self.node.exit(&self.entry.pid, to, reason)
    }

    /// Sends `message` to `to` after `delay`.
    pub fn send_after(
        &self,
        to: impl Into<Dest>,
        message: impl IntoTerm + Send + 'static,
        delay: Duration,
    ) -> TimerHandle {
        let to = to.into();
        // Watched or tapped alike: the timer is recorded, and it still runs (a test kit sees
        // the message arrive when it fires).
        let observer = self.watched().or_else(|| self.node.tap_of(&self.entry.pid));
        if let Some(observer) = observer {
            let message = message.into_term();
            let effect = Effect::SendAfter {
                to: to.clone(),
                message: message.clone(),
                delay,
            };
            observer.record(Some(&self.entry.pid), effect);
            return self.node.send_after(to, message, delay);
        }
        self.node.send_after(to, message, delay)
    }

    /// Sends `message` to this process after `delay`.
    pub fn send_self_after(
        &self,
        message: impl IntoTerm + Send + 'static,
        delay: Duration,
    ) -> TimerHandle {
        self.send_after(self.entry.pid.clone(), message, delay)
    }

    /// Makes an alias for this process (`erlang:alias/0`).
    pub fn alias(&self) -> Option<Reference> {
        self.node.alias(&self.entry.pid)
    }

    /// Deactivates one of this process's aliases.
    pub fn unalias(&self, alias: &Reference) -> bool {
        self.node.unalias(&self.entry.pid, alias)
    }

    /// Says what kind of process this is (`gen_server`, `supervisor`...) and whether it answers
    /// [`super::InspectProcess`] requests: behaviours call this once they run.
    pub(crate) fn set_kind(&self, kind: &'static str, answers_inspect: bool) {
        let mut state = self.entry.state();
        state.kind = kind;
        state.answers_inspect = answers_inspect;
    }

    /// Marks the process suspended by `sys:suspend/1` (or resumed), for the inspect API.
    pub(crate) fn set_suspended(&self, suspended: bool) {
        self.entry.state().suspended = suspended;
    }

    /// Counts a call the behaviour is about to handle; true when this one is to be timed (one
    /// in [`super::CALL_SAMPLE`]). Only the process's own task writes the count.
    pub(crate) fn call_starts(&self) -> bool {
        let n = self.entry.calls.load(Ordering::Relaxed) + 1;
        self.entry.calls.store(n, Ordering::Relaxed);
        n % super::CALL_SAMPLE == 0
    }

    /// Records how long a timed call took to handle.
    pub(crate) fn call_took(&self, took: Duration) {
        self.node.record_call_time(took);
    }

    /// Registers this process under `name`.
    pub fn register(&self, name: &str) -> Result<(), SpawnError> {
        self.node.register(name, &self.entry.pid)
    }
}

/// The future of [`Context::recv`].
pub struct Recv<'a> {
    ctx: &'a Context,
}

impl std::future::Future for Recv<'_> {
    type Output = Result<Envelope, Term>;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let entry = &self.ctx.entry;
        loop {
            let envelope = match entry.mailbox.poll_pop(cx) {
                std::task::Poll::Ready(e) => e,
                std::task::Poll::Pending => {
                    entry.waiting.store(true, Ordering::Relaxed);
                    return std::task::Poll::Pending;
                }
            };
            // Only this process's task writes these: a load and a store, no locked instruction.
            entry.waiting.store(false, Ordering::Relaxed);
            entry
                .handled
                .store(entry.handled.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            match envelope {
                Envelope::Exit(signal) => match self.ctx.on_exit_signal(signal) {
                    Err(reason) => return std::task::Poll::Ready(Err(reason)),
                    Ok(Some(env)) => return std::task::Poll::Ready(Ok(env)),
                    Ok(None) => continue,
                },
                other => return std::task::Poll::Ready(Ok(other)),
            }
        }
    }
}
