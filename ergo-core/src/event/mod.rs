//! Events: local pub/sub owned by a producer process. A producer registers a named event and
//! publishes to it; subscribers get `{event, Name, Message}` and, when the producer exits or
//! unregisters the event, `{'DOWN', Ref, event, Name, Reason}` (like a monitor). Owns the event
//! registry; must not touch the process table except through `Node`'s methods.

use ergo_etf::{Atom, IntoTerm, Pid, Reference, Term};

use crate::node::{ExitHook, Node, ProcessEntry};
use crate::process::{Envelope, Payload};

/// Why an event operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// An event with that name exists already.
    #[error("event {0} is already registered")]
    Taken(String),
    /// No event has that name.
    #[error("no such event {0}")]
    Unknown(String),
    /// The caller does not own the event (or is not a live local process).
    #[error("not the owner of event {0}")]
    NotOwner(String),
}

/// The node's event registry (an extension of the node, made on first use).
#[derive(Default)]
struct Events {
    entries: std::sync::Mutex<std::collections::HashMap<Atom, EventEntry>>,
}

/// A registered event.
struct EventEntry {
    owner: Pid,
    subscribers: Vec<(Reference, Pid)>,
}

/// Proof of owning an event: needed to publish and unregister.
#[derive(Clone, Debug, PartialEq)]
pub struct EventToken {
    /// The event name.
    pub name: Atom,
    /// The producer.
    pub owner: Pid,
}

/// What subscribers receive: `{event, Name, Message}`.
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf", tag = "event")]
pub struct EventMessage<T> {
    /// The event name.
    pub name: Atom,
    /// The published value.
    pub message: T,
}

/// What subscribers receive when the event goes: `{'DOWN', Ref, event, Name, Reason}`, the shape
/// of a monitor's DOWN with `event` where a monitor has `process`.
#[derive(ergo_macros::Term, Clone, Debug, PartialEq)]
#[term(crate = "::ergo_etf", tag = "DOWN")]
struct EventDown {
    /// The reference `subscribe_event` returned.
    reference: Reference,
    /// The atom `event`.
    kind: EventKind,
    /// The event name.
    name: Atom,
    /// Why it went: the producer's exit reason, or `unregistered`.
    reason: Term,
}

/// The atom `event`, in place of a monitor's `process`.
#[derive(ergo_macros::Term, Clone, Copy, Debug, PartialEq)]
#[term(crate = "::ergo_etf", tag = "event")]
struct EventKind;

fn event_down(reference: Reference, name: &Atom, reason: Term) -> Envelope {
    let down = EventDown {
        reference,
        kind: EventKind,
        name: name.clone(),
        reason,
    };
    Envelope::Message(Payload::Term(down.into_term()))
}

impl Node {
    fn events(&self) -> std::sync::Arc<Events> {
        self.extensions().get_or_insert_with(Events::default)
    }

    fn live_entry(&self, pid: &Pid) -> Option<std::sync::Arc<ProcessEntry>> {
        self.entry_arc(pid).filter(|e| e.state().alive)
    }

    /// The registered events: name, owner and how many subscribe (for the inspect API).
    pub fn event_list(&self) -> Vec<(Atom, Pid, usize)> {
        let table = self.events();
        let events = crate::node::lock(&table.entries);
        events
            .iter()
            .map(|(name, e)| (name.clone(), e.owner.clone(), e.subscribers.len()))
            .collect()
    }

    /// Registers event `name`, owned by the live local process `owner`.
    pub fn register_event(&self, owner: &Pid, name: &str) -> Result<EventToken, EventError> {
        let entry = self
            .live_entry(owner)
            .ok_or_else(|| EventError::NotOwner(name.to_string()))?;
        let name = Atom::new(name);
        let table = self.events();
        let mut events = crate::node::lock(&table.entries);
        if events.contains_key(&name) {
            return Err(EventError::Taken(name.to_string()));
        }
        events.insert(
            name.clone(),
            EventEntry {
                owner: owner.clone(),
                subscribers: Vec::new(),
            },
        );
        drop(events);
        let hook = ExitHook {
            key: "event",
            run: |node, pid, reason| node.producer_down(pid, reason),
        };
        if !self.add_exit_hook(&entry, hook) && !entry.state().alive {
            // The owner ended meanwhile: its exit hooks have run (or never will for this event).
            let table = self.events();
            crate::node::lock(&table.entries).remove(&name);
            return Err(EventError::NotOwner(name.to_string()));
        }
        Ok(EventToken {
            name,
            owner: owner.clone(),
        })
    }

    /// Removes an event; its subscribers get a DOWN with reason `unregistered`.
    pub fn unregister_event(&self, token: &EventToken) -> Result<(), EventError> {
        let removed = {
            let table = self.events();
            let mut events = crate::node::lock(&table.entries);
            match events.get(&token.name) {
                Some(e) if e.owner == token.owner => events.remove(&token.name),
                Some(_) => return Err(EventError::NotOwner(token.name.to_string())),
                None => return Err(EventError::Unknown(token.name.to_string())),
            }
        };
        if let Some(e) = removed {
            self.notify_down(&token.name, e.subscribers, Term::atom("unregistered"));
        }
        Ok(())
    }

    /// Subscribes `subscriber` to event `name`; returns the reference its DOWN will carry.
    pub fn subscribe_event(&self, subscriber: &Pid, name: &str) -> Result<Reference, EventError> {
        let reference = self.make_ref();
        let table = self.events();
        let mut events = crate::node::lock(&table.entries);
        let e = events
            .get_mut(name)
            .ok_or_else(|| EventError::Unknown(name.to_string()))?;
        e.subscribers.push((reference.clone(), subscriber.clone()));
        Ok(reference)
    }

    /// Unsubscribes; true if `subscriber` was subscribed.
    pub fn unsubscribe_event(&self, subscriber: &Pid, name: &str) -> bool {
        let table = self.events();
        let mut events = crate::node::lock(&table.entries);
        match events.get_mut(name) {
            Some(e) => {
                let before = e.subscribers.len();
                e.subscribers.retain(|(_, p)| p != subscriber);
                before != e.subscribers.len()
            }
            None => false,
        }
    }

    /// Publishes `message` to every subscriber as `EventMessage`; returns how many got it.
    pub fn publish_event<T: IntoTerm + Clone + Send + 'static>(
        &self,
        token: &EventToken,
        message: T,
    ) -> Result<usize, EventError> {
        let subscribers: Vec<Pid> = {
            let table = self.events();
            let events = crate::node::lock(&table.entries);
            let e = events
                .get(&token.name)
                .ok_or_else(|| EventError::Unknown(token.name.to_string()))?;
            if e.owner != token.owner {
                return Err(EventError::NotOwner(token.name.to_string()));
            }
            e.subscribers.iter().map(|(_, p)| p.clone()).collect()
        };
        let mut delivered = 0;
        for pid in subscribers {
            let msg = EventMessage {
                name: token.name.clone(),
                message: message.clone(),
            };
            if let Some(e) = self.entry_arc(&pid) {
                if e.mailbox
                    .push(Envelope::Message(Payload::new(msg)), false)
                    .is_ok()
                {
                    delivered += 1;
                }
            }
        }
        Ok(delivered)
    }

    fn notify_down(&self, name: &Atom, subscribers: Vec<(Reference, Pid)>, reason: Term) {
        for (reference, pid) in subscribers {
            if let Some(e) = self.entry_arc(&pid) {
                let _ = e
                    .mailbox
                    .push(event_down(reference, name, reason.clone()), true);
            }
        }
    }

    /// The producer `owner` exited: drop its events and tell their subscribers.
    fn producer_down(&self, owner: &Pid, reason: &Term) {
        let gone: Vec<(Atom, EventEntry)> = {
            let table = self.events();
            let mut events = crate::node::lock(&table.entries);
            let names: Vec<Atom> = events
                .iter()
                .filter(|(_, e)| &e.owner == owner)
                .map(|(n, _)| n.clone())
                .collect();
            names
                .into_iter()
                .filter_map(|n| events.remove(&n).map(|e| (n, e)))
                .collect()
        };
        for (name, e) in gone {
            self.notify_down(&name, e.subscribers, reason.clone());
        }
    }
}
