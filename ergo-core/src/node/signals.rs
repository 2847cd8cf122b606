//! Sending messages and signals: local delivery by pid, name or alias, routing to other nodes
//! through the `Distribution`, links, exit signals, monitors, and the entry points the
//! distribution layer calls for incoming traffic. Must not decide how a receiver reacts to a
//! signal (that is `Context::recv`).

use std::sync::Arc;

use ergo_etf::{Atom, IntoTerm, Pid, Reference, Term};

use super::error::SendError;
use super::table::{MonitoredBy, Monitoring, ProcessEntry};
use super::{lock, AliasTarget, Dest, MonitorTarget, Node, RemoteSignal};
use crate::process::{CallFailure, Envelope, Payload, PushError, ReplyTo};

pub(super) fn push_result(
    entry: &ProcessEntry,
    envelope: Envelope,
    force: bool,
) -> Result<(), SendError> {
    match entry.mailbox.push(envelope, force) {
        Ok(()) => Ok(()),
        // A send to a process that is exiting is silently dropped, as in Erlang.
        Err(PushError::Closed(_)) => Ok(()),
        Err(PushError::Full(envelope)) => Err(SendError::MailboxFull {
            to: Term::Pid(entry.pid.clone()).to_string(),
            envelope: Box::new(envelope),
        }),
    }
}

impl Node {
    /// Sends a typed message (kept typed locally, converted to a term only for the wire).
    pub fn send(
        &self,
        to: impl Into<Dest>,
        message: impl IntoTerm + Send + 'static,
    ) -> Result<(), SendError> {
        self.send_envelope(None, &to.into(), Envelope::Message(Payload::new(message)))
    }

    testing_pub! {
        /// Sends an envelope from `from` (if a process) to `to`. Local pids that are gone are a
        /// silent no-op (Erlang semantics); unknown names are `NoProc`; a full bounded mailbox hands
        /// the envelope back in `MailboxFull`.
        fn send_envelope(
            &self,
            from: Option<&Pid>,
            to: &Dest,
            envelope: Envelope,
        ) -> Result<(), SendError> {
            match to {
                Dest::Pid(pid) if self.is_local(pid) => match self.inner.table.get(pid) {
                    Some(entry) => push_result(&entry, envelope, false),
                    None => Ok(()),
                },
                Dest::Pid(pid) if self.is_this_node(&pid.node) => Ok(()), // an older incarnation: gone
                Dest::Name(name) => self.send_to_name(name, envelope),
                Dest::Remote { name, node } if self.is_this_node(node) => {
                    self.send_to_name(name, envelope)
                }
                Dest::Alias(r) if self.is_this_node(&r.node) => self.send_to_alias(r, envelope),
                Dest::Pid(pid) => self.route(from, to, &pid.node, envelope),
                Dest::Remote { node, .. } => self.route(from, to, node, envelope),
                Dest::Alias(r) => self.route(from, to, &r.node, envelope),
            }
        }
    }

    fn send_to_name(&self, name: &Atom, envelope: Envelope) -> Result<(), SendError> {
        let pid = lock(&self.inner.names).get(name).cloned();
        match pid.and_then(|p| self.inner.table.get(&p)) {
            Some(entry) => push_result(&entry, envelope, false),
            None => Err(SendError::NoProc(name.to_string())),
        }
    }

    fn send_to_alias(&self, alias: &Reference, envelope: Envelope) -> Result<(), SendError> {
        let mut aliases = lock(&self.inner.aliases);
        match aliases.get(alias) {
            Some(AliasTarget::Process(pid)) => {
                let pid = pid.clone();
                drop(aliases);
                match self.entry(&pid) {
                    Some(entry) => push_result(&entry, envelope, false),
                    None => Ok(()),
                }
            }
            Some(AliasTarget::Reply { .. }) => {
                let Some(AliasTarget::Reply { slot, .. }) = aliases.remove(alias) else {
                    return Ok(());
                };
                drop(aliases);
                // A reply is `{Tag, Reply}`: hand the Reply to the waiting caller.
                let reply = match envelope.into_term() {
                    Term::Tuple(mut elems) if elems.len() == 2 => {
                        elems.pop().unwrap_or(Term::nil())
                    }
                    other => other,
                };
                slot.fulfil(Ok(Payload::Term(reply)));
                Ok(())
            }
            // An inactive alias: the message is dropped, as OTP does.
            None => Ok(()),
        }
    }

    /// Makes an alias for the live local process `pid` (`erlang:alias/0`): messages sent to the
    /// reference reach the process until [`Node::unalias`] or its exit.
    pub fn alias(&self, pid: &Pid) -> Option<Reference> {
        let entry = self.entry(pid)?;
        let reference = self.make_ref();
        let mut st = entry.state();
        if !st.alive {
            return None;
        }
        st.aliases.push(reference.clone());
        lock(&self.inner.aliases).insert(reference.clone(), AliasTarget::Process(pid.clone()));
        Some(reference)
    }

    /// Deactivates an alias made by `pid`; true if it was active.
    pub fn unalias(&self, pid: &Pid, alias: &Reference) -> bool {
        let Some(entry) = self.entry(pid) else {
            return false;
        };
        let mut st = entry.state();
        let before = st.aliases.len();
        st.aliases.retain(|a| a != alias);
        if before == st.aliases.len() {
            return false;
        }
        lock(&self.inner.aliases).remove(alias);
        true
    }

    fn route(
        &self,
        from: Option<&Pid>,
        to: &Dest,
        node: &Atom,
        envelope: Envelope,
    ) -> Result<(), SendError> {
        match self.distribution() {
            Some(router) => router.send(from, to, envelope.into_term()),
            None => Err(SendError::NoRoute(node.to_string())),
        }
    }

    fn remote_signal(&self, node: &Atom, signal: RemoteSignal) -> Result<(), SendError> {
        match self.distribution() {
            Some(router) => router.signal(signal),
            None => Err(SendError::NoRoute(node.to_string())),
        }
    }

    testing_pub! {
        /// Links `a` (a local process) and `b`. If `b` is gone, `a` gets an exit signal `noproc`.
        fn link(&self, a: &Pid, b: &Pid) {
            if a == b {
                return;
            }
            let Some(ea) = self.entry(a) else { return };
            {
                let mut st = ea.state();
                if !st.alive {
                    return;
                }
                if !st.links.contains(b) {
                    st.links.push(b.clone());
                }
            }
            if let Some(eb) = self.entry(b) {
                let mut st = eb.state();
                if st.alive {
                    if !st.links.contains(a) {
                        st.links.push(a.clone());
                    }
                    return;
                }
            } else if !self.is_this_node(&b.node) {
                if self
                    .remote_signal(
                        &b.node,
                        RemoteSignal::Link {
                            from: a.clone(),
                            to: b.clone(),
                        },
                    )
                    .is_ok()
                {
                    return;
                }
                let _ = ea.mailbox.push(
                    Envelope::exit(b.clone(), Term::atom("noconnection"), true),
                    true,
                );
                return;
            }
            let _ = ea.mailbox.push(
                Envelope::exit(b.clone(), Term::atom("noproc"), true),
                true,
            );
        }
    }

    testing_pub! {
        /// Removes the link between `a` and `b` (both directions).
        fn unlink(&self, a: &Pid, b: &Pid) {
            if let Some(ea) = self.entry(a) {
                ea.state().links.retain(|p| p != b);
            }
            if let Some(eb) = self.entry(b) {
                eb.state().links.retain(|p| p != a);
            } else if !self.is_this_node(&b.node) {
                let _ = self.remote_signal(
                    &b.node,
                    RemoteSignal::Unlink {
                        from: a.clone(),
                        to: b.clone(),
                    },
                );
            }
        }
    }

    /// `exit(Pid, Reason)` from outside any process (as from the Erlang shell): the signal comes
    /// from the node's outside pid, with the same rules as an exit signal from a process.
    pub fn send_exit(&self, to: &Pid, reason: Term) {
        let outside = self.inner.outside_pid.clone();
        self.exit_signal(&outside, to, reason, false);
    }

    testing_pub! {
        /// `exit(To, Reason)` sent by `from`: `kill` is untrappable (the target dies with `killed`),
        /// `normal` is ignored unless the target traps exits, anything else kills a non-trapping target.
        fn exit(&self, from: &Pid, to: &Pid, reason: Term) {
            self.exit_signal(from, to, reason, false);
        }
    }

    pub(crate) fn exit_signal(&self, from: &Pid, to: &Pid, reason: Term, via_link: bool) {
        if let Some(e) = self.entry(to) {
            if !via_link && reason.is_atom("kill") {
                // Untrappable: the process task stops at its next poll; the push below wakes it.
                e.killed.store(true, std::sync::atomic::Ordering::Release);
            }
            let _ = e
                .mailbox
                .push(Envelope::exit(from.clone(), reason, via_link), true);
        } else if !self.is_this_node(&to.node) {
            let _ = self.remote_signal(
                &to.node,
                RemoteSignal::Exit {
                    from: from.clone(),
                    to: to.clone(),
                    reason,
                    via_link,
                },
            );
        }
    }

    testing_pub! {
        /// `watcher` (a local process) monitors `target`; returns the monitor reference. A target
        /// that does not exist yields `{'DOWN', Ref, process, Target, noproc}` at once.
        fn monitor(&self, watcher: &Pid, target: &Dest) -> Reference {
            let reference = self.make_ref();
            let (pid, who) = match target {
                Dest::Pid(p) => (Some(p.clone()), Term::Pid(p.clone())),
                Dest::Name(n) => (
                    self.whereis(n.as_str()),
                    Term::tuple(vec![
                        Term::Atom(n.clone()),
                        Term::Atom(self.inner.name.clone()),
                    ]),
                ),
                Dest::Remote { name, node } if self.is_this_node(node) => (
                    self.whereis(name.as_str()),
                    Term::tuple(vec![Term::Atom(name.clone()), Term::Atom(node.clone())]),
                ),
                Dest::Remote { name, node } => {
                    let who = target.to_term();
                    let sig = RemoteSignal::Monitor {
                        from: watcher.clone(),
                        target: MonitorTarget::Name {
                            name: name.clone(),
                            node: node.clone(),
                        },
                        reference: reference.clone(),
                    };
                    self.monitor_remote(watcher, reference.clone(), None, who, node, sig);
                    return reference;
                }
                Dest::Alias(_) => (None, target.to_term()),
            };
            let Some(w) = self.entry(watcher) else {
                return reference;
            };
            if let Some(p) = &pid {
                if !self.is_this_node(&p.node) {
                    let sig = RemoteSignal::Monitor {
                        from: watcher.clone(),
                        target: MonitorTarget::Pid(p.clone()),
                        reference: reference.clone(),
                    };
                    self.monitor_remote(
                        watcher,
                        reference.clone(),
                        Some(p.clone()),
                        who,
                        &p.node,
                        sig,
                    );
                    return reference;
                }
            }
            if let Some(t) = pid.as_ref().and_then(|p| self.entry(p)) {
                let mut ts = t.state();
                if ts.alive {
                    ts.monitored_by.push(MonitoredBy {
                        reference: reference.clone(),
                        watcher: watcher.clone(),
                        who: who.clone(),
                    });
                    drop(ts);
                    w.state().monitoring.push(Monitoring {
                        reference: reference.clone(),
                        target: MonitorTarget::Pid(t.pid.clone()),
                        who,
                    });
                    return reference;
                }
            }
            let _ = w.mailbox.push(
                Envelope::down(reference.clone(), who, Term::atom("noproc")),
                true,
            );
            reference
        }
    }

    fn monitor_remote(
        &self,
        watcher: &Pid,
        reference: Reference,
        pid: Option<Pid>,
        who: Term,
        node: &Atom,
        sig: RemoteSignal,
    ) {
        let Some(w) = self.entry(watcher) else { return };
        let target = match &sig {
            RemoteSignal::Monitor { target, .. } => target.clone(),
            _ => match pid {
                Some(p) => MonitorTarget::Pid(p),
                None => return,
            },
        };
        if self.remote_signal(node, sig).is_ok() {
            w.state().monitoring.push(Monitoring {
                reference,
                target,
                who,
            });
        } else {
            let _ = w.mailbox.push(
                Envelope::down(reference, who, Term::atom("noconnection")),
                true,
            );
        }
    }

    testing_pub! {
        /// Removes a monitor held by `watcher` and flushes its DOWN message if already queued (like
        /// `erlang:demonitor(Ref, [flush])`). True if the monitor was active.
        fn demonitor(&self, watcher: &Pid, reference: &Reference) -> bool {
            let Some(w) = self.entry(watcher) else {
                return false;
            };
            let found = w.state().remove_monitoring(reference);
            let _ = w
                .mailbox
                .take_first(|e| e.down_reference() == Some(reference));
            let Some(m) = found else { return false };
            self.drop_monitor_at_target(watcher, m);
            true
        }
    }

    testing_pub! {
        /// Entry point for the distribution layer: delivers an incoming message to a local pid, name
        /// or alias. `{'$gen_call', {Pid, Tag}, Req}` and `{'$gen_cast', Req}` are recognised into
        /// call and cast envelopes, so gen_servers handle remote callers exactly like local ones.
        fn deliver(&self, to: &Dest, message: Term) -> Result<(), SendError> {
            let envelope = self.envelope_from_term(message);
            match to {
                Dest::Pid(p) if !self.is_local(p) => Ok(()),
                Dest::Remote { node, .. } | Dest::Alias(Reference { node, .. })
                    if !self.is_this_node(node) =>
                {
                    Err(SendError::NoRoute(node.to_string()))
                }
                _ => self.send_envelope(None, to, envelope),
            }
        }
    }

    fn envelope_from_term(&self, message: Term) -> Envelope {
        let shape = match &message {
            Term::Tuple(elems) => match elems.as_slice() {
                [tag, Term::Tuple(from), _]
                    if tag.is_atom("$gen_call") && matches!(from.as_slice(), [Term::Pid(_), _]) =>
                {
                    Some(true)
                }
                [tag, _] if tag.is_atom("$gen_cast") => Some(false),
                _ => None,
            },
            _ => None,
        };
        let (is_call, mut elems) = match (shape, message) {
            (Some(is_call), Term::Tuple(elems)) => (is_call, elems),
            (_, message) => return Envelope::Message(Payload::Term(message)),
        };
        let request = elems.pop().unwrap_or(Term::nil());
        if !is_call {
            return Envelope::Cast(Payload::Term(request));
        }
        match elems.pop() {
            Some(Term::Tuple(mut from)) => {
                let tag = from.pop().unwrap_or(Term::nil());
                match from.pop() {
                    Some(Term::Pid(pid)) => Envelope::Call {
                        from: ReplyTo::remote(self.reply_route(), pid, tag),
                        request: Payload::Term(request),
                    },
                    // Unreachable: the shape was checked above.
                    _ => Envelope::Message(Payload::Term(Term::nil())),
                }
            }
            _ => Envelope::Message(Payload::Term(Term::nil())),
        }
    }

    testing_pub! {
        /// Entry point for the distribution layer: applies an incoming signal to local processes.
        fn deliver_signal(&self, signal: RemoteSignal) {
            match signal {
                RemoteSignal::Link { from, to } => match self.entry(&to) {
                    Some(e) if e.state().alive => {
                        let mut st = e.state();
                        if !st.links.contains(&from) {
                            st.links.push(from);
                        }
                    }
                    _ => {
                        let _ = self.remote_signal(
                            &from.node.clone(),
                            RemoteSignal::Exit {
                                from: to,
                                to: from,
                                reason: Term::atom("noproc"),
                                via_link: true,
                            },
                        );
                    }
                },
                RemoteSignal::Unlink { from, to } => {
                    if let Some(e) = self.entry(&to) {
                        e.state().links.retain(|p| p != &from);
                    }
                }
                RemoteSignal::Exit {
                    from,
                    to,
                    reason,
                    via_link,
                } => {
                    if let Some(e) = self.entry(&to) {
                        let _ = e.mailbox.push(
                            Envelope::exit(from, reason, via_link),
                            true,
                        );
                    }
                }
                RemoteSignal::Monitor {
                    from,
                    target,
                    reference,
                } => {
                    let (pid, who) = match &target {
                        MonitorTarget::Pid(p) => (Some(p.clone()), Term::Pid(p.clone())),
                        MonitorTarget::Name { name, node } => (
                            self.whereis(name.as_str()),
                            Term::tuple(vec![Term::Atom(name.clone()), Term::Atom(node.clone())]),
                        ),
                    };
                    if let Some(t) = pid.as_ref().and_then(|p| self.entry(p)) {
                        let mut st = t.state();
                        if st.alive {
                            st.monitored_by.push(MonitoredBy {
                                reference,
                                watcher: from,
                                who,
                            });
                            return;
                        }
                    }
                    let node = from.node.clone();
                    let _ = self.remote_signal(
                        &node,
                        RemoteSignal::Down {
                            who,
                            to: from,
                            reference,
                            reason: Term::atom("noproc"),
                        },
                    );
                }
                RemoteSignal::Demonitor {
                    target, reference, ..
                } => {
                    let pid = match &target {
                        MonitorTarget::Pid(p) => Some(p.clone()),
                        MonitorTarget::Name { name, .. } => self.whereis(name.as_str()),
                    };
                    if let Some(t) = pid.and_then(|p| self.entry(&p)) {
                        t.state().remove_monitored_by(&reference);
                    }
                }
                RemoteSignal::Down {
                    who,
                    to,
                    reference,
                    reason,
                } => self.down(who, &to, reference, reason),
            }
        }
    }

    /// Removes a monitor held by `watcher` from its target's side (local table or remote node).
    pub(crate) fn drop_monitor_at_target(&self, watcher: &Pid, m: Monitoring) {
        let local = match &m.target {
            MonitorTarget::Pid(p) => self.entry(p),
            MonitorTarget::Name { name, node } if self.is_this_node(node) => {
                self.whereis(name.as_str()).and_then(|p| self.entry(&p))
            }
            MonitorTarget::Name { .. } => None,
        };
        if let Some(t) = local {
            t.state().remove_monitored_by(&m.reference);
        } else if !self.is_this_node(m.target_node()) {
            let node = m.target_node().clone();
            let _ = self.remote_signal(
                &node,
                RemoteSignal::Demonitor {
                    from: watcher.clone(),
                    target: m.target,
                    reference: m.reference,
                },
            );
        }
    }

    /// A remote call's monitor fired (its reference is the call's alias): the call fails with
    /// `reason`. False when `reference` is not a pending call.
    pub(crate) fn fail_remote_call(&self, reference: &Reference, reason: &Term) -> bool {
        let slot = {
            let mut aliases = lock(&self.inner.aliases);
            match aliases.get(reference) {
                Some(AliasTarget::Reply { .. }) => match aliases.remove(reference) {
                    Some(AliasTarget::Reply { slot, .. }) => slot,
                    _ => return false,
                },
                _ => return false,
            }
        };
        slot.fulfil(Err(CallFailure::Down(reason.clone())));
        true
    }

    testing_pub! {
        /// Entry point for the distribution layer: the connection to `remote` is gone. Every local
        /// link to a process there gets an exit signal `noconnection`, every monitor of a process
        /// (or name) there a DOWN with `noconnection`, monitors held from there are dropped, and
        /// calls waiting on a server there fail with `noconnection`.
        fn deliver_node_down(&self, remote: &Atom) {
            if self.is_this_node(remote) {
                return;
            }
            let calls: Vec<Reference> = lock(&self.inner.aliases)
                .iter()
                .filter(|(_, t)| matches!(t, AliasTarget::Reply { node: Some(n), .. } if n == remote))
                .map(|(r, _)| r.clone())
                .collect();
            let noconnection = Term::atom("noconnection");
            for reference in calls {
                self.fail_remote_call(&reference, &noconnection);
            }
            for entry in self.inner.table.all() {
                let (links, downs) = {
                    let mut st = entry.state();
                    if !st.alive {
                        continue;
                    }
                    st.monitored_by.retain(|m| &m.watcher.node != remote);
                    let links: Vec<Pid> = st
                        .links
                        .iter()
                        .filter(|p| &p.node == remote)
                        .cloned()
                        .collect();
                    let (downs, keep): (Vec<Monitoring>, Vec<Monitoring>) =
                        std::mem::take(&mut st.monitoring)
                            .into_iter()
                            .partition(|m| m.target_node() == remote);
                    st.monitoring = keep;
                    (links, downs)
                };
                for from in links {
                    let _ = entry.mailbox.push(
                        Envelope::exit(from, Term::atom("noconnection"), true),
                        true,
                    );
                }
                for m in downs {
                    let _ = entry.mailbox.push(
                        Envelope::down(m.reference, m.who, Term::atom("noconnection")),
                        true,
                    );
                }
            }
        }
    }

    pub(crate) fn entry_arc(&self, pid: &Pid) -> Option<Arc<ProcessEntry>> {
        self.entry(pid)
    }
}
