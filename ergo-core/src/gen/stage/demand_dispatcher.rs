//! GenStage's default dispatcher (`GenStage.DemandDispatcher`): each batch goes to the consumer
//! with the highest outstanding demand; the demand of a cancelled consumer that was passed
//! upstream but not filled becomes `pending`, and later asks are reduced by it so the producer
//! is not asked twice for the same events. The expected maximum demand is the `max_demand`
//! option or the first ask; a larger ask is logged. It only counts events, so a typed batch
//! goes out typed. Owns that bookkeeping; must not buffer.

use ergo_etf::Term;

use super::dispatcher::{Dispatcher, Outbox};
use super::event_batch::EventBatch;
use super::messages::StageFrom;

/// The demand dispatcher.
#[derive(Debug, Default)]
pub struct DemandDispatcher {
    /// Outstanding demand per subscription, highest first (ties keep arrival order).
    demands: Vec<(u64, StageFrom)>,
    pending: u64,
    max: Option<u64>,
    shuffle: bool,
}

impl DemandDispatcher {
    /// A demand dispatcher with GenStage's defaults.
    pub fn new() -> DemandDispatcher {
        DemandDispatcher::default()
    }

    /// The expected maximum demand (`max_demand:` of GenStage's options).
    pub fn max_demand(mut self, max: u64) -> DemandDispatcher {
        self.max = Some(max);
        self
    }

    /// Shuffles the demands before the first dispatch (`shuffle_demands_on_first_dispatch`).
    pub fn shuffle_demands_on_first_dispatch(mut self, on: bool) -> DemandDispatcher {
        self.shuffle = on;
        self
    }

    fn add_demand(&mut self, counter: u64, from: StageFrom) {
        let at = self
            .demands
            .iter()
            .position(|(current, _)| counter > *current)
            .unwrap_or(self.demands.len());
        self.demands.insert(at, (counter, from));
    }

    fn pop_demand(&mut self, from: &StageFrom) -> Option<u64> {
        let at = self.demands.iter().position(|(_, f)| f.tag == from.tag)?;
        Some(self.demands.remove(at).0)
    }

    fn shuffle_once(&mut self) {
        if !self.shuffle {
            return;
        }
        self.shuffle = false;
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64 | 1)
            .unwrap_or(0x9e37_79b9);
        for i in (1..self.demands.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let j = (seed % (i as u64 + 1)) as usize;
            self.demands.swap(i, j);
        }
    }
}

impl Dispatcher for DemandDispatcher {
    fn subscribe(
        &mut self,
        _options: &Term,
        from: &StageFrom,
        _out: &mut dyn Outbox,
    ) -> Result<u64, Term> {
        self.demands.push((0, from.clone()));
        Ok(0)
    }

    fn cancel(&mut self, from: &StageFrom, _out: &mut dyn Outbox) -> u64 {
        if let Some(current) = self.pop_demand(from) {
            self.pending += current;
        }
        0
    }

    fn ask(&mut self, counter: u64, from: &StageFrom, _out: &mut dyn Outbox) -> u64 {
        let max = *self.max.get_or_insert(counter);
        if counter > max {
            tracing::warn!(
                max,
                counter,
                consumer = %from.pid,
                "GenStage DemandDispatcher: a demand above the expected maximum overloads greedy consumers"
            );
        }
        let current = self.pop_demand(from).unwrap_or(0);
        self.add_demand(current + counter, from.clone());
        let already_sent = self.pending.min(counter);
        self.pending -= already_sent;
        counter - already_sent
    }

    fn dispatch(&mut self, events: Vec<Term>, out: &mut dyn Outbox) -> Vec<Term> {
        self.dispatch_batch(EventBatch::Terms(events), out)
            .into_terms()
    }

    fn dispatch_batch(&mut self, mut events: EventBatch, out: &mut dyn Outbox) -> EventBatch {
        self.shuffle_once();
        while !events.is_empty() {
            let Some((counter, _)) = self.demands.first() else {
                break;
            };
            if *counter == 0 {
                break;
            }
            let (counter, from) = self.demands.remove(0);
            let now = if (events.len() as u64) <= counter {
                std::mem::take(&mut events)
            } else {
                let later = events.split_off(counter as usize);
                std::mem::replace(&mut events, later)
            };
            let left = counter - now.len() as u64;
            out.send_batch(&from, now);
            self.add_demand(left, from);
        }
        let to_buffer = events.len() as u64;
        self.pending = self.pending.saturating_sub(to_buffer);
        events
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

    fn ints(r: std::ops::Range<i64>) -> Vec<Term> {
        r.map(Term::Int).collect()
    }

    #[test]
    fn the_highest_demand_is_filled_first() {
        let mut d = DemandDispatcher::new();
        let mut out = RecordingOutbox::default();
        d.subscribe(&Term::nil(), &from(1), &mut out).expect("ok");
        d.subscribe(&Term::nil(), &from(2), &mut out).expect("ok");
        assert_eq!(d.ask(3, &from(1), &mut out), 3);
        assert_eq!(d.ask(5, &from(2), &mut out), 5);
        let rest = d.dispatch(ints(0..10), &mut out);
        assert_eq!(rest, ints(8..10));
        assert_eq!(out.sent[0], (from(2), ints(0..5)));
        assert_eq!(out.sent[1], (from(1), ints(5..8)));
    }

    #[test]
    fn a_cancelled_demand_becomes_pending() {
        let mut d = DemandDispatcher::new();
        let mut out = RecordingOutbox::default();
        d.subscribe(&Term::nil(), &from(1), &mut out).expect("ok");
        d.subscribe(&Term::nil(), &from(2), &mut out).expect("ok");
        assert_eq!(d.ask(4, &from(1), &mut out), 4);
        assert_eq!(d.cancel(&from(1), &mut out), 0);
        // The 4 already asked upstream cover the next ask.
        assert_eq!(d.ask(4, &from(2), &mut out), 0);
        assert_eq!(d.ask(4, &from(2), &mut out), 4);
    }
}
