//! GenStage's `PartitionDispatcher`: N partitions (0..N) or named ones, one consumer each; a
//! hash maps each event to its partition (the default is `{Event, erlang:phash2(Event, N)}`,
//! bit for bit, so Rust and Elixir producers split the same events the same way). A partition
//! without demand queues its events without limit; an info waits behind the queued events of
//! every partition. Where Elixir's producer raises (a missing, taken or unknown `partition`,
//! a hash naming an unknown partition) this one refuses the subscription with a reason, or logs
//! and drops the event: it never crashes. Owns that bookkeeping.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use ergo_etf::Term;

use super::dispatcher::{Dispatcher, Outbox};
use super::messages::StageFrom;
use super::phash2::phash2_range;

/// Maps an event to `Some((Event, Partition))`, or `None` to discard it.
pub type PartitionHash = Arc<dyn Fn(Term) -> Option<(Term, Term)> + Send + Sync>;

enum Slot {
    Queued(Term),
    Info(u64),
}

enum DemandOrQueue {
    Demand(u64),
    Queue(VecDeque<Slot>),
}

struct Partition {
    consumer: Option<StageFrom>,
    state: DemandOrQueue,
}

/// The partition dispatcher.
pub struct PartitionDispatcher {
    order: Vec<Term>,
    partitions: HashMap<Term, Partition>,
    references: HashMap<Term, Term>,
    hash: PartitionHash,
    waiting: u64,
    pending: u64,
    infos: HashMap<u64, (Term, Vec<Term>)>,
    next_info: u64,
    dropped: u64,
}

impl std::fmt::Debug for PartitionDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionDispatcher")
            .field("partitions", &self.order)
            .field("waiting", &self.waiting)
            .field("pending", &self.pending)
            .finish()
    }
}

/// The default hash over `n` partitions: `{Event, erlang:phash2(Event, N)}`.
pub fn phash2_partition(n: u64) -> PartitionHash {
    Arc::new(move |event: Term| {
        let p = phash2_range(&event, n);
        Some((event, Term::from(p)))
    })
}

impl PartitionDispatcher {
    /// Partitions `0..n` with the default hash.
    pub fn new(n: u64) -> PartitionDispatcher {
        let names = (0..n).map(Term::from).collect();
        PartitionDispatcher::with_partitions(names, phash2_partition(n))
    }

    /// Named partitions with their hash.
    pub fn with_partitions(names: Vec<Term>, hash: PartitionHash) -> PartitionDispatcher {
        let partitions = names
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    Partition {
                        consumer: None,
                        state: DemandOrQueue::Demand(0),
                    },
                )
            })
            .collect();
        PartitionDispatcher {
            order: names,
            partitions,
            references: HashMap::new(),
            hash,
            waiting: 0,
            pending: 0,
            infos: HashMap::new(),
            next_info: 0,
            dropped: 0,
        }
    }

    /// Replaces the hash (partitions stay).
    pub fn hash(mut self, hash: PartitionHash) -> PartitionDispatcher {
        self.hash = hash;
        self
    }

    /// Events the hash sent to no known partition (logged and dropped).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// An info reached in `partition`'s queue: deliver it once every partition reached it.
    fn info_reached(&mut self, id: u64, partition: &Term, out: &mut dyn Outbox) {
        let done = match self.infos.get_mut(&id) {
            Some((_, waiting)) => {
                waiting.retain(|p| p != partition);
                waiting.is_empty()
            }
            None => false,
        };
        if done {
            if let Some((message, _)) = self.infos.remove(&id) {
                out.send_self(message);
            }
        }
    }
}

fn option<'a>(options: &'a Term, key: &str) -> Option<&'a Term> {
    match options {
        Term::List(items) => items.iter().find_map(|i| match i.as_tuple() {
            Some([k, v]) if k.is_atom(key) => Some(v),
            _ => None,
        }),
        _ => None,
    }
}

fn refuse(from: &StageFrom, message: String) -> Result<u64, Term> {
    tracing::error!(
        consumer = %from.pid,
        %message,
        "GenStage PartitionDispatcher: subscription refused"
    );
    Err(Term::tuple(vec![
        Term::atom("bad_opts"),
        Term::binary(message.into_bytes()),
    ]))
}

impl Dispatcher for PartitionDispatcher {
    fn subscribe(
        &mut self,
        options: &Term,
        from: &StageFrom,
        _out: &mut dyn Outbox,
    ) -> Result<u64, Term> {
        let Some(partition) = option(options, "partition") else {
            return refuse(
                from,
                "the :partition option is required when subscribing to a producer with partition dispatcher".into(),
            );
        };
        let known: Vec<String> = self.order.iter().map(|p| p.to_string()).collect();
        match self.partitions.get_mut(partition) {
            Some(slot) if slot.consumer.is_none() => {
                slot.consumer = Some(from.clone());
                self.references.insert(from.tag.clone(), partition.clone());
                Ok(0)
            }
            Some(slot) => {
                let taken = slot
                    .consumer
                    .as_ref()
                    .map(|c| c.pid.to_string())
                    .unwrap_or_default();
                refuse(
                    from,
                    format!("the partition {partition} is already taken by {taken}"),
                )
            }
            None => refuse(
                from,
                format!(
                    ":partition must be one of [{}], got: {partition}",
                    known.join(", ")
                ),
            ),
        }
    }

    fn cancel(&mut self, from: &StageFrom, out: &mut dyn Outbox) -> u64 {
        let Some(partition) = self.references.remove(&from.tag) else {
            return 0;
        };
        let Some(slot) = self.partitions.get_mut(&partition) else {
            return 0;
        };
        slot.consumer = None;
        match std::mem::replace(&mut slot.state, DemandOrQueue::Demand(0)) {
            DemandOrQueue::Demand(d) => {
                self.pending += d;
                0
            }
            DemandOrQueue::Queue(queue) => {
                let mut length = 0;
                for item in queue {
                    match item {
                        Slot::Queued(_) => length += 1,
                        Slot::Info(id) => self.info_reached(id, &partition, out),
                    }
                }
                self.waiting += length;
                length
            }
        }
    }

    fn ask(&mut self, counter: u64, from: &StageFrom, out: &mut dyn Outbox) -> u64 {
        let Some(partition) = self.references.get(&from.tag).cloned() else {
            return 0;
        };
        let Some(slot) = self.partitions.get_mut(&partition) else {
            return 0;
        };
        let consumer = slot.consumer.clone();
        let mut reached = Vec::new();
        let state = match std::mem::replace(&mut slot.state, DemandOrQueue::Demand(0)) {
            DemandOrQueue::Demand(d) => DemandOrQueue::Demand(d + counter),
            DemandOrQueue::Queue(mut queue) => {
                let mut counter = counter;
                let mut batch = Vec::new();
                let emptied = loop {
                    if counter == 0 {
                        break false;
                    }
                    match queue.pop_front() {
                        Some(Slot::Queued(e)) => {
                            batch.push(e);
                            counter -= 1;
                        }
                        Some(Slot::Info(id)) => {
                            if let Some(c) = &consumer {
                                if !batch.is_empty() {
                                    out.send_events(c, std::mem::take(&mut batch));
                                }
                            }
                            reached.push(id);
                        }
                        None => break true,
                    }
                };
                if let (Some(c), false) = (&consumer, batch.is_empty()) {
                    out.send_events(c, batch);
                }
                if emptied {
                    DemandOrQueue::Demand(counter)
                } else {
                    DemandOrQueue::Queue(queue)
                }
            }
        };
        slot.state = state;
        for id in reached {
            self.info_reached(id, &partition, out);
        }
        let already_sent = self.pending.min(counter);
        let demand = counter - already_sent;
        self.pending -= already_sent;
        self.waiting += demand;
        demand
    }

    fn dispatch(&mut self, mut events: Vec<Term>, out: &mut dyn Outbox) -> Vec<Term> {
        let take = (self.waiting as usize).min(events.len());
        let later = events.split_off(take);
        let mut per: HashMap<Term, Vec<Term>> = HashMap::new();
        for event in events {
            self.waiting -= 1;
            // `None`: the hash discards the event.
            if let Some((event, partition)) = (self.hash)(event) {
                if self.partitions.contains_key(&partition) {
                    per.entry(partition).or_default().push(event);
                } else {
                    self.dropped += 1;
                    tracing::error!(
                        %partition,
                        %event,
                        "GenStage PartitionDispatcher: the hash named an unknown partition; event discarded"
                    );
                }
            }
        }
        for name in &self.order {
            let Some(mut events) = per.remove(name) else {
                continue;
            };
            let Some(slot) = self.partitions.get_mut(name) else {
                continue;
            };
            match &mut slot.state {
                DemandOrQueue::Demand(d) => {
                    let now_n = (*d as usize).min(events.len());
                    let rest = events.split_off(now_n);
                    *d -= now_n as u64;
                    if let (Some(c), false) = (&slot.consumer, events.is_empty()) {
                        out.send_events(c, events);
                    }
                    if !rest.is_empty() {
                        slot.state =
                            DemandOrQueue::Queue(rest.into_iter().map(Slot::Queued).collect());
                    }
                }
                DemandOrQueue::Queue(q) => q.extend(events.into_iter().map(Slot::Queued)),
            }
        }
        later
    }

    fn info(&mut self, message: Term, out: &mut dyn Outbox) {
        let id = self.next_info;
        self.next_info += 1;
        let mut queued = Vec::new();
        for name in &self.order {
            if let Some(Partition {
                state: DemandOrQueue::Queue(q),
                ..
            }) = self.partitions.get_mut(name)
            {
                q.push_back(Slot::Info(id));
                queued.push(name.clone());
            }
        }
        if queued.is_empty() {
            out.send_self(message);
        } else {
            self.infos.insert(id, (message, queued));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dispatcher::RecordingOutbox;
    use super::*;
    use ergo_etf::{Atom, Pid};

    fn from(n: u32) -> StageFrom {
        StageFrom::new(
            Pid {
                node: Atom::new("a@h"),
                id: n,
                serial: 0,
                creation: 1,
            },
            Term::Int(n as i64),
        )
    }

    fn part(p: i64) -> Term {
        Term::list(vec![Term::tuple(vec![
            Term::atom("partition"),
            Term::Int(p),
        ])])
    }

    #[test]
    fn events_go_to_their_partition_and_queue_without_demand() {
        let mut d = PartitionDispatcher::new(2);
        let mut out = RecordingOutbox::default();
        d.subscribe(&part(0), &from(1), &mut out).expect("ok");
        d.subscribe(&part(1), &from(2), &mut out).expect("ok");
        assert_eq!(d.ask(100, &from(1), &mut out), 100);
        let events: Vec<Term> = (0..50).map(Term::Int).collect();
        let rest = d.dispatch(events.clone(), &mut out);
        assert!(rest.is_empty());
        let zero: Vec<Term> = events
            .iter()
            .filter(|e| phash2_range(e, 2) == 0)
            .cloned()
            .collect();
        assert_eq!(out.sent, vec![(from(1), zero)]);
        // Partition 1 had no demand: its events wait until it asks.
        assert_eq!(d.ask(1000, &from(2), &mut out), 1000);
        assert_eq!(out.sent.len(), 2);
        assert!(out.sent[1].1.iter().all(|e| phash2_range(e, 2) == 1));
    }

    #[test]
    fn bad_partitions_are_refused_not_raised() {
        let mut d = PartitionDispatcher::new(2);
        let mut out = RecordingOutbox::default();
        assert!(d.subscribe(&Term::nil(), &from(1), &mut out).is_err());
        assert!(d.subscribe(&part(7), &from(1), &mut out).is_err());
        d.subscribe(&part(0), &from(1), &mut out).expect("ok");
        assert!(d.subscribe(&part(0), &from(2), &mut out).is_err());
    }

    #[test]
    fn named_partitions_with_a_user_hash_and_infos_behind_queues() {
        let hash: PartitionHash = Arc::new(|e: Term| match e {
            Term::Int(n) if n < 0 => None,
            Term::Int(n) => Some((e, Term::atom(if n % 2 == 0 { "even" } else { "odd" }))),
            other => Some((other, Term::atom("nowhere"))),
        });
        let mut d =
            PartitionDispatcher::with_partitions(vec![Term::atom("even"), Term::atom("odd")], hash);
        let mut out = RecordingOutbox::default();
        let even = Term::list(vec![Term::tuple(vec![
            Term::atom("partition"),
            Term::atom("even"),
        ])]);
        let odd = Term::list(vec![Term::tuple(vec![
            Term::atom("partition"),
            Term::atom("odd"),
        ])]);
        d.subscribe(&even, &from(1), &mut out).expect("ok");
        d.subscribe(&odd, &from(2), &mut out).expect("ok");
        assert_eq!(d.ask(10, &from(1), &mut out), 10);
        // -1 is discarded by the hash; `x` names no partition: logged, dropped, counted.
        let events = vec![
            Term::Int(-1),
            Term::Int(2),
            Term::Int(3),
            Term::atom("x"),
            Term::Int(4),
        ];
        assert!(d.dispatch(events, &mut out).is_empty());
        assert_eq!(out.sent, vec![(from(1), vec![Term::Int(2), Term::Int(4)])]);
        assert_eq!(d.dropped(), 1);
        // `odd` has no demand: 3 waits in its queue, and an info waits behind it.
        d.info(Term::atom("marker"), &mut out);
        assert!(out.to_self.is_empty());
        assert_eq!(d.ask(5, &from(2), &mut out), 5);
        assert_eq!(out.sent[1], (from(2), vec![Term::Int(3)]));
        assert_eq!(out.to_self, vec![Term::atom("marker")]);
    }
}
