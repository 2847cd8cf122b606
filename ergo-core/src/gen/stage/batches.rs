//! Automatic demand on the consumer side (GenStage's `Utils.split_batches`): incoming events are
//! cut into batches of at most `max - min`, one `handle_events` each, and after a batch the
//! consumer asks `max - remaining` again when its outstanding demand fell to `min` or below.
//! Events beyond the outstanding demand are counted (the engine logs them). Owns that
//! arithmetic; must not send.

use super::event_batch::EventBatch;

/// A subscription's automatic demand: outstanding, min, max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoDemand {
    /// Events asked and not yet received.
    pub outstanding: u64,
    /// Re-ask threshold.
    pub min: u64,
    /// Most events outstanding.
    pub max: u64,
}

/// One batch and what to ask after handling it (0: nothing).
#[derive(Debug)]
pub struct Batch {
    /// The events (typed or terms, as they came).
    pub events: EventBatch,
    /// The ask to send after `handle_events` returns.
    pub ask: u64,
}

/// Splits `events` into batches; returns them, the new demand state and the count of events
/// received beyond the demand.
pub fn split_batches(
    events: impl Into<EventBatch>,
    demand: AutoDemand,
) -> (Vec<Batch>, AutoDemand, u64) {
    let events = events.into();
    let AutoDemand {
        outstanding,
        min,
        max,
    } = demand;
    let size = (max - min).max(1) as usize;
    let mut old_demand = outstanding;
    let mut new_demand = outstanding;
    let mut excess = 0;
    let mut batches = Vec::with_capacity(events.len() / size + 1);
    let mut rest = events;
    while !rest.is_empty() {
        let tail = if rest.len() > size {
            rest.split_off(size)
        } else {
            EventBatch::default()
        };
        let batch = std::mem::replace(&mut rest, tail);
        let mut batch_size = batch.len() as u64;
        if batch_size > old_demand {
            excess += batch_size - old_demand;
            batch_size = old_demand;
            old_demand = 0;
        } else {
            old_demand -= batch_size;
        }
        let diff = new_demand.saturating_sub(batch_size);
        let ask = if diff <= min {
            new_demand = max;
            max - diff
        } else {
            new_demand = diff;
            0
        };
        batches.push(Batch { events: batch, ask });
    }
    (
        batches,
        AutoDemand {
            outstanding: new_demand,
            min,
            max,
        },
        excess,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ergo_etf::Term;

    fn ints(n: i64) -> Vec<Term> {
        (0..n).map(Term::Int).collect()
    }

    #[test]
    fn batches_of_max_minus_min_and_reasks_at_min() {
        let d = AutoDemand {
            outstanding: 10,
            min: 5,
            max: 10,
        };
        let (batches, d, excess) = split_batches(ints(10), d);
        assert_eq!(excess, 0);
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].events.len(), 5);
        // 10 - 5 = 5 <= min: ask max - 5 = 5 and count max outstanding again.
        assert_eq!(batches[0].ask, 5);
        assert_eq!(batches[1].ask, 5);
        assert_eq!(d.outstanding, 10);
    }

    #[test]
    fn above_min_no_ask() {
        let d = AutoDemand {
            outstanding: 1000,
            min: 500,
            max: 1000,
        };
        let (batches, d, _) = split_batches(ints(100), d);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].ask, 0);
        assert_eq!(d.outstanding, 900);
    }

    #[test]
    fn excess_is_counted() {
        let d = AutoDemand {
            outstanding: 3,
            min: 0,
            max: 10,
        };
        let (_, _, excess) = split_batches(ints(5), d);
        assert_eq!(excess, 2);
    }
}
