//! A producer's buffer: events produced beyond the demand wait here, in order, with the info
//! messages sent after them (an info is delivered once the events before it are). Bounded
//! (`buffer_size`, 10,000 for a producer) or not (a producer_consumer's default); on overflow
//! `buffer_keep` says which side survives: `last` drops the oldest, `first` the newest. Owns the
//! queue and the count of what it dropped; must not send or log (the engine logs the drops).

use std::collections::VecDeque;

use ergo_etf::Term;

/// Which events survive an overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BufferKeep {
    /// Keep the first events, drop the new ones.
    First,
    /// Keep the last events, drop the oldest (the default).
    #[default]
    Last,
}

/// One entry: an event, or an info message waiting for the events before it.
#[derive(Debug, Clone, PartialEq)]
pub enum Buffered {
    /// An event.
    Event(Term),
    /// An info message (`sync_info`/`async_info`).
    Info(Term),
}

/// What came out of the buffer: events to dispatch, then infos to deliver.
#[derive(Debug, Default, PartialEq)]
pub struct Taken {
    /// Events, in order.
    pub events: Vec<Term>,
    /// Infos reached after those events.
    pub infos: Vec<Term>,
}

/// The buffer.
#[derive(Debug)]
pub struct Buffer {
    queue: VecDeque<Buffered>,
    events: usize,
    capacity: Option<usize>,
    keep: BufferKeep,
}

impl Buffer {
    /// A buffer of at most `capacity` events (`None`: unbounded).
    pub fn new(capacity: Option<usize>, keep: BufferKeep) -> Buffer {
        Buffer {
            queue: VecDeque::new(),
            events: 0,
            capacity,
            keep,
        }
    }

    /// How many events it holds (GenStage's `estimate_buffered_count`).
    pub fn len(&self) -> usize {
        self.events
    }

    /// True when it holds no event.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// Stores events; returns how many were dropped and the infos freed by dropping the events
    /// before them.
    pub fn store(&mut self, events: Vec<Term>) -> (usize, Vec<Term>) {
        let mut dropped = 0;
        let mut freed = Vec::new();
        for event in events {
            match self.capacity {
                Some(cap) if self.events >= cap => {
                    dropped += 1;
                    if self.keep == BufferKeep::First || cap == 0 {
                        continue;
                    }
                    // Drop the oldest event, delivering the infos that were waiting for it.
                    while let Some(front) = self.queue.pop_front() {
                        match front {
                            Buffered::Info(i) => freed.push(i),
                            Buffered::Event(_) => break,
                        }
                    }
                    while let Some(Buffered::Info(_)) = self.queue.front() {
                        if let Some(Buffered::Info(i)) = self.queue.pop_front() {
                            freed.push(i);
                        }
                    }
                    self.queue.push_back(Buffered::Event(event));
                }
                _ => {
                    self.events += 1;
                    self.queue.push_back(Buffered::Event(event));
                }
            }
        }
        (dropped, freed)
    }

    /// Queues an info behind the buffered events; gives it back when there are none (then it is
    /// delivered at once).
    pub fn store_info(&mut self, info: Term) -> Option<Term> {
        if self.events == 0 {
            return Some(info);
        }
        self.queue.push_back(Buffered::Info(info));
        None
    }

    /// Takes up to `count` events, stopping at the first info reached (as GenStage does, so the
    /// info goes out right after the events before it). Returns what it took; `None` when the
    /// buffer had no event or `count` was 0.
    pub fn take(&mut self, count: u64) -> Option<Taken> {
        if self.events == 0 || count == 0 {
            return None;
        }
        let mut taken = Taken::default();
        while (taken.events.len() as u64) < count {
            let Some(Buffered::Event(e)) = self.queue.pop_front() else {
                break;
            };
            self.events -= 1;
            taken.events.push(e);
            // The infos sent after this event go out with it, and end this take.
            while let Some(Buffered::Info(_)) = self.queue.front() {
                if let Some(Buffered::Info(i)) = self.queue.pop_front() {
                    taken.infos.push(i);
                }
            }
            if !taken.infos.is_empty() || self.events == 0 {
                break;
            }
        }
        Some(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(r: std::ops::Range<i64>) -> Vec<Term> {
        r.map(Term::Int).collect()
    }

    #[test]
    fn keep_last_drops_the_oldest() {
        let mut b = Buffer::new(Some(3), BufferKeep::Last);
        assert_eq!(b.store(ints(0..5)).0, 2);
        assert_eq!(b.take(10).map(|t| t.events), Some(ints(2..5)));
        assert!(b.is_empty());
    }

    #[test]
    fn keep_first_drops_the_newest() {
        let mut b = Buffer::new(Some(3), BufferKeep::First);
        assert_eq!(b.store(ints(0..5)).0, 2);
        assert_eq!(b.take(10).map(|t| t.events), Some(ints(0..3)));
    }

    #[test]
    fn infos_wait_for_the_events_before_them() {
        let mut b = Buffer::new(None, BufferKeep::Last);
        assert_eq!(b.store_info(Term::atom("now")), Some(Term::atom("now")));
        b.store(ints(0..3));
        assert_eq!(b.store_info(Term::atom("later")), None);
        b.store(ints(3..5));
        let t = b.take(2).expect("some");
        assert_eq!((t.events, t.infos), (ints(0..2), vec![]));
        let t = b.take(5).expect("some");
        assert_eq!((t.events, t.infos), (ints(2..3), vec![Term::atom("later")]));
        assert_eq!(b.take(5).map(|t| t.events), Some(ints(3..5)));
    }

    #[test]
    fn dropping_frees_the_infos_behind_dropped_events() {
        let mut b = Buffer::new(Some(2), BufferKeep::Last);
        b.store(ints(0..1));
        b.store_info(Term::atom("i"));
        b.store(ints(1..2));
        let (dropped, freed) = b.store(ints(2..3));
        assert_eq!((dropped, freed), (1, vec![Term::atom("i")]));
        assert_eq!(b.take(5).map(|t| t.events), Some(ints(1..3)));
    }
}
