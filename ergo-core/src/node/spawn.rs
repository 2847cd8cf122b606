//! Spawning processes and ending them: the task that runs a process's code under panic catching
//! and a tracing span, registered names, and the cleanup at exit that fires links, monitors and
//! event-downs. Must not decide how a process reacts to signals (that is `Context::recv`).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ergo_etf::{Atom, Pid, Term};
use tracing::Instrument;

use super::error::SpawnError;
use super::table::{ExitHook, ProcState, ProcessEntry};
use super::{lock, Context, Node, RemoteSignal};
use crate::process::{panic_reason, CatchUnwind, Envelope, Mailbox};

/// How to spawn a process.
#[derive(Clone, Debug, Default)]
pub struct SpawnOptions {
    /// Register the process under this name.
    pub name: Option<Atom>,
    /// Bound the mailbox to this many messages (signals are never refused); `None` = unbounded.
    pub mailbox_bound: Option<usize>,
    /// Start with trap_exit on.
    pub trap_exit: bool,
    /// Link the new process to this pid atomically at spawn (like `spawn_link`).
    pub link: Option<Pid>,
}

impl SpawnOptions {
    /// Options registering the process as `name`.
    pub fn named(name: &str) -> SpawnOptions {
        SpawnOptions {
            name: Some(Atom::new(name)),
            ..SpawnOptions::default()
        }
    }
}

struct ExitGuard {
    node: Node,
    entry: Arc<ProcessEntry>,
    reason: Option<Term>,
}

/// Runs a process's code until it ends or an untrappable `kill` arrives; a kill drops the code
/// where it stands (at its next poll; the kill also wakes the task) and the exit reason is
/// `killed`. Code that never yields cannot be interrupted.
struct Killable<'a, F> {
    inner: std::pin::Pin<&'a mut F>,
    entry: &'a Arc<ProcessEntry>,
    waker_registered: bool,
}

impl<F: Future<Output = Term>> Future for Killable<'_, F> {
    type Output = Term;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Term> {
        if self.entry.killed.load(Ordering::Acquire) {
            return std::task::Poll::Ready(Term::atom("killed"));
        }
        if !self.waker_registered {
            self.entry.mailbox.register_waker(cx.waker());
            self.waker_registered = true;
        }
        self.inner.as_mut().poll(cx)
    }
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        let reason = self
            .reason
            .take()
            .unwrap_or_else(|| panic_reason("process task aborted or panicked"));
        self.node.finish(&self.entry, reason);
    }
}

impl Node {
    /// Spawns a process running `body`; the future's output is its exit reason.
    pub fn spawn<F, Fut>(&self, options: SpawnOptions, body: F) -> Result<Pid, SpawnError>
    where
        F: FnOnce(Context) -> Fut + Send + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        self.spawn_behaviour("process", options, body)
    }

    /// Spawns a process and names its behaviour (shown by `process_info` and in its span).
    pub fn spawn_behaviour<F, Fut>(
        &self,
        behaviour: &'static str,
        options: SpawnOptions,
        body: F,
    ) -> Result<Pid, SpawnError>
    where
        F: FnOnce(Context) -> Fut + Send + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        if self.is_stopped() {
            return Err(SpawnError::NodeStopped);
        }
        let pid = self.make_pid();
        let entry = Arc::new(ProcessEntry {
            pid: pid.clone(),
            mailbox: Mailbox::new(options.mailbox_bound),
            behaviour,
            trap_exit: AtomicBool::new(options.trap_exit),
            killed: AtomicBool::new(false),
            compression: std::sync::atomic::AtomicU64::new(0),
            state: Mutex::new(ProcState {
                alive: true,
                ..ProcState::default()
            }),
            handled: std::sync::atomic::AtomicU64::new(0),
            waiting: AtomicBool::new(false),
            calls: std::sync::atomic::AtomicU64::new(0),
        });
        if let Some(name) = &options.name {
            let mut names = lock(&self.inner.names);
            if names.contains_key(name) {
                return Err(SpawnError::NameTaken(name.to_string()));
            }
            names.insert(name.clone(), pid.clone());
            entry.state().name = Some(name.clone());
        }
        self.inner.table.insert(Arc::clone(&entry));
        if let Some(observer) = self.observer() {
            let effect = super::Effect::Spawn {
                pid: pid.clone(),
                name: options.name.clone(),
                behaviour,
            };
            observer.record(None, effect);
        }
        if let Some(peer) = &options.link {
            self.link(&pid, peer);
        }
        let ctx = Context::new(self.clone(), Arc::clone(&entry));
        let node = self.clone();
        let catch = self.inner.options.catch_panics;
        let span = tracing::debug_span!("process", pid = %Term::Pid(pid.clone()), name = ?options.name.as_ref().map(|a| a.as_str()), behaviour);
        let task = async move {
            let mut guard = ExitGuard {
                node,
                entry,
                reason: None,
            };
            let body = std::pin::pin!(body(ctx));
            let killable = std::pin::pin!(Killable {
                inner: body,
                entry: &guard.entry,
                waker_registered: false,
            });
            let reason = if catch {
                match CatchUnwind::new(killable).await {
                    Ok(reason) => reason,
                    Err(message) => panic_reason(&message),
                }
            } else {
                killable.await
            };
            tracing::debug!(reason = %reason, "process exited");
            guard.reason = Some(reason);
        };
        #[cfg(tokio_unstable)]
        {
            // tokio-console lists tasks by name: a process's is its pid and registered name.
            let task_name = match &options.name {
                Some(name) => format!("{} {name}", Term::Pid(pid.clone())),
                None => Term::Pid(pid.clone()).to_string(),
            };
            if let Err(err) = tokio::task::Builder::new()
                .name(&task_name)
                .spawn_on(task.instrument(span), &self.inner.runtime)
            {
                tracing::error!(%err, "the process's task could not be spawned");
                if let Some(entry) = self.entry(&pid) {
                    self.finish(&entry, Term::atom("spawn_failed"));
                }
                return Err(SpawnError::NodeStopped);
            }
        }
        #[cfg(not(tokio_unstable))]
        self.inner.runtime.spawn(task.instrument(span));
        Ok(pid)
    }

    /// Registers `pid` (a live local process) as `name`.
    pub fn register(&self, name: &str, pid: &Pid) -> Result<(), SpawnError> {
        let name = Atom::new(name);
        let entry = self
            .entry(pid)
            .ok_or_else(|| SpawnError::NameTaken(format!("{name} (no such process)")))?;
        let mut state = entry.state();
        if !state.alive || state.name.is_some() {
            return Err(SpawnError::NameTaken(name.to_string()));
        }
        let mut names = lock(&self.inner.names);
        if names.contains_key(&name) {
            return Err(SpawnError::NameTaken(name.to_string()));
        }
        names.insert(name.clone(), pid.clone());
        state.name = Some(name);
        Ok(())
    }

    /// Removes a registered name; true if it was registered.
    pub fn unregister(&self, name: &str) -> bool {
        let pid = lock(&self.inner.names).remove(name);
        match pid {
            Some(pid) => {
                if let Some(e) = self.entry(&pid) {
                    e.state().name = None;
                }
                true
            }
            None => false,
        }
    }

    /// The pid registered as `name`, if any.
    pub fn whereis(&self, name: &str) -> Option<Pid> {
        lock(&self.inner.names).get(name).cloned()
    }

    /// Ends a process: fires links (`Reason`, or `killed` for `kill`), monitors and event downs,
    /// frees its name and table slot, and drops its queued envelopes (pending calls get `NoReply`).
    pub(crate) fn finish(&self, entry: &Arc<ProcessEntry>, reason: Term) {
        let state = {
            let mut st = entry.state();
            st.alive = false;
            std::mem::take(&mut *st)
        };
        let leftover = entry.mailbox.close();
        self.inner.table.remove(&entry.pid);
        self.inner
            .handled_by_exited
            .fetch_add(entry.handled.load(Ordering::Relaxed), Ordering::Relaxed);
        let calls = entry.calls.load(Ordering::Relaxed);
        if calls > 0 {
            self.inner
                .calls_by_exited
                .fetch_add(calls, Ordering::Relaxed);
        }
        if let Some(name) = &state.name {
            let mut names = lock(&self.inner.names);
            if names.get(name) == Some(&entry.pid) {
                names.remove(name);
            }
        }
        drop(leftover);
        if !state.aliases.is_empty() {
            let mut aliases = lock(&self.inner.aliases);
            for alias in &state.aliases {
                aliases.remove(alias);
            }
        }
        let link_reason = if reason.is_atom("kill") {
            Term::atom("killed")
        } else {
            reason
        };
        let me = &entry.pid;
        let hooks = state.exit_hooks;
        let for_hooks = (!hooks.is_empty()).then(|| link_reason.clone());
        // Every link and monitor gets the reason: a clone each, the last one the reason itself.
        let mut reasons = shares(link_reason, state.links.len() + state.monitored_by.len());
        for (peer, reason) in state.links.into_iter().zip(&mut reasons) {
            self.exit_signal(me, &peer, reason, true);
        }
        for (m, reason) in state.monitored_by.into_iter().zip(&mut reasons) {
            self.down(m.who, &m.watcher, m.reference, reason);
        }
        for m in state.monitoring {
            self.drop_monitor_at_target(me, m);
        }
        if let Some(reason) = for_hooks {
            for hook in hooks {
                (hook.run)(self, me, &reason);
            }
        }
    }

    /// Adds `hook` to the live local process `entry`, run when it ends; false when the process
    /// has ended already or has a hook of that key.
    pub(crate) fn add_exit_hook(&self, entry: &ProcessEntry, hook: ExitHook) -> bool {
        let mut state = entry.state();
        if !state.alive || state.exit_hooks.iter().any(|h| h.key == hook.key) {
            return false;
        }
        state.exit_hooks.push(hook);
        true
    }

    /// Delivers `{'DOWN', Ref, process, Who, Reason}` to a watcher (local or remote).
    pub(crate) fn down(
        &self,
        who: Term,
        watcher: &Pid,
        reference: ergo_etf::Reference,
        reason: Term,
    ) {
        if self.is_this_node(&watcher.node) && self.fail_remote_call(&reference, &reason) {
            return;
        }
        if let Some(w) = self.entry(watcher) {
            let removed = w.state().remove_monitoring(&reference).is_some();
            if removed {
                let _ = w.mailbox.push(Envelope::down(reference, who, reason), true);
            }
        } else if !self.is_local(watcher) {
            if let Some(router) = self.distribution() {
                let _ = router.signal(RemoteSignal::Down {
                    who,
                    to: watcher.clone(),
                    reference,
                    reason,
                });
            }
        }
    }
}

/// `value` handed out `n` times: a clone each time but the last, which gets `value` itself (an
/// exit reason can be a large term, and most processes have one link or monitor at most).
fn shares(value: Term, n: usize) -> impl Iterator<Item = Term> {
    let mut value = Some(value);
    (1..=n).filter_map(move |i| if i == n { value.take() } else { value.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_hand_out_the_value_n_times() {
        let reason = Term::tuple(vec![Term::atom("shutdown"), Term::Int(1)]);
        assert_eq!(shares(reason.clone(), 0).count(), 0);
        assert_eq!(
            shares(reason.clone(), 1).collect::<Vec<_>>(),
            vec![reason.clone()]
        );
        assert_eq!(
            shares(reason.clone(), 3).collect::<Vec<_>>(),
            vec![reason.clone(), reason.clone(), reason]
        );
    }
}
