//! GenStage's `BroadcastDispatcher`: every consumer gets every event, so the demand passed
//! upstream is the minimum over the consumers (never asked twice: `requested` counts what was
//! already asked). One subscription per pid (a second is cancelled `already_subscribed`). A
//! per-consumer `selector` filters; the events it discards are credited back by an
//! `{ask, Discarded}` the producer sends itself. A Rust producer cannot run an Erlang fun: a
//! selector is a term that the dispatcher's resolver (given by the user) maps to a Rust
//! predicate, and a selector it cannot resolve cancels the subscription. Owns that bookkeeping.

use std::collections::HashSet;
use std::sync::Arc;

use ergo_etf::Term;

use super::dispatcher::{Dispatcher, Outbox};
use super::messages::{ProducerRequest, StageFrom, ToProducer};
use ergo_etf::IntoTerm;

/// A Rust predicate over events: true keeps the event.
pub type Selector = Arc<dyn Fn(&Term) -> bool + Send + Sync>;

/// Maps a `selector:` option's term to a predicate, or `None` when it names none.
pub type SelectorResolver = Arc<dyn Fn(&Term) -> Option<Selector> + Send + Sync>;

struct Demand {
    counter: i64,
    from: StageFrom,
    selector: Option<Selector>,
}

/// The broadcast dispatcher.
#[derive(Default)]
pub struct BroadcastDispatcher {
    demands: Vec<Demand>,
    waiting: i64,
    requested: i64,
    subscribed: HashSet<Term>,
    resolver: Option<SelectorResolver>,
}

impl std::fmt::Debug for BroadcastDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastDispatcher")
            .field("consumers", &self.demands.len())
            .field("waiting", &self.waiting)
            .field("requested", &self.requested)
            .finish()
    }
}

impl BroadcastDispatcher {
    /// A broadcast dispatcher that refuses selectors.
    pub fn new() -> BroadcastDispatcher {
        BroadcastDispatcher::default()
    }

    /// Accepts the selectors `resolver` maps to predicates.
    pub fn with_selectors(mut self, resolver: SelectorResolver) -> BroadcastDispatcher {
        self.resolver = Some(resolver);
        self
    }

    fn min(&self) -> i64 {
        self.demands
            .iter()
            .map(|d| d.counter)
            .min()
            .unwrap_or(0)
            .max(0)
    }

    fn adjust(&mut self, by: i64) {
        if by != 0 {
            for d in &mut self.demands {
                d.counter -= by;
            }
        }
    }

    fn sync_demands(&mut self) -> u64 {
        let new_min = self.min();
        self.adjust(new_min);
        self.waiting += new_min;
        let request = (self.waiting - self.requested).max(0);
        self.requested += request;
        request as u64
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

impl Dispatcher for BroadcastDispatcher {
    fn subscribe(
        &mut self,
        options: &Term,
        from: &StageFrom,
        _out: &mut dyn Outbox,
    ) -> Result<u64, Term> {
        let selector = match option(options, "selector") {
            None => None,
            Some(s) if s.is_atom("nil") => None,
            Some(s) => match self.resolver.as_ref().and_then(|r| r(s)) {
                Some(p) => Some(p),
                None => {
                    tracing::error!(
                        consumer = %from.pid,
                        selector = %s,
                        "GenStage BroadcastDispatcher: a selector this producer cannot run; subscription cancelled"
                    );
                    return Err(Term::tuple(vec![
                        Term::atom("bad_opts"),
                        Term::binary(
                            format!("the :selector {s} cannot run in this producer").into_bytes(),
                        ),
                    ]));
                }
            },
        };
        if self.subscribed.contains(&from.pid) {
            tracing::error!(
                consumer = %from.pid,
                "GenStage BroadcastDispatcher: pid already subscribed; this subscription is discarded"
            );
            return Err(Term::atom("already_subscribed"));
        }
        self.subscribed.insert(from.pid.clone());
        let waiting = self.waiting;
        self.adjust(-waiting);
        self.waiting = 0;
        self.demands.insert(
            0,
            Demand {
                counter: 0,
                from: from.clone(),
                selector,
            },
        );
        Ok(0)
    }

    fn cancel(&mut self, from: &StageFrom, _out: &mut dyn Outbox) -> u64 {
        self.subscribed.remove(&from.pid);
        self.demands.retain(|d| d.from.tag != from.tag);
        if self.demands.is_empty() {
            self.waiting = 0;
            return 0;
        }
        self.sync_demands()
    }

    fn ask(&mut self, counter: u64, from: &StageFrom, _out: &mut dyn Outbox) -> u64 {
        let (current, selector) = match self.demands.iter().position(|d| d.from.tag == from.tag) {
            Some(at) => {
                let d = self.demands.remove(at);
                (d.counter, d.selector)
            }
            None => (0, None),
        };
        self.demands.insert(
            0,
            Demand {
                counter: current + counter as i64,
                from: from.clone(),
                selector,
            },
        );
        self.sync_demands()
    }

    fn dispatch(&mut self, mut events: Vec<Term>, out: &mut dyn Outbox) -> Vec<Term> {
        if self.waiting == 0 {
            return events;
        }
        let (now, later) = if (events.len() as i64) <= self.waiting {
            (std::mem::take(&mut events), Vec::new())
        } else {
            let later = events.split_off(self.waiting as usize);
            (events, later)
        };
        let count = now.len() as i64;
        self.waiting -= count;
        for d in &self.demands {
            let selected: Vec<Term> = match &d.selector {
                None => now.clone(),
                Some(keep) => {
                    let selected: Vec<Term> = now.iter().filter(|e| keep(e)).cloned().collect();
                    let discarded = now.len() - selected.len();
                    if discarded > 0 {
                        let ask = ToProducer {
                            from: d.from.clone(),
                            request: ProducerRequest::Ask(discarded as u64),
                        };
                        out.send_self(ask.into_term());
                    }
                    selected
                }
            };
            if !selected.is_empty() {
                out.send_events(&d.from, selected);
            }
        }
        self.requested -= count;
        later
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

    #[test]
    fn demand_is_the_minimum_and_everyone_gets_everything() {
        let mut d = BroadcastDispatcher::new();
        let mut out = RecordingOutbox::default();
        d.subscribe(&Term::nil(), &from(1), &mut out).expect("ok");
        d.subscribe(&Term::nil(), &from(2), &mut out).expect("ok");
        assert_eq!(d.ask(10, &from(1), &mut out), 0);
        assert_eq!(d.ask(4, &from(2), &mut out), 4);
        let events: Vec<Term> = (0..6).map(Term::Int).collect();
        let rest = d.dispatch(events.clone(), &mut out);
        assert_eq!(rest, events[4..].to_vec());
        assert_eq!(out.sent.len(), 2);
        assert!(out.sent.iter().all(|(_, e)| e == &events[..4]));
        // Consumer 1 still has 6 outstanding, consumer 2 none: asking 6 more from 2 gives 6.
        assert_eq!(d.ask(6, &from(2), &mut out), 6);
    }

    #[test]
    fn one_subscription_per_pid() {
        let mut d = BroadcastDispatcher::new();
        let mut out = RecordingOutbox::default();
        d.subscribe(&Term::nil(), &from(1), &mut out).expect("ok");
        let again = StageFrom {
            tag: Term::Int(99),
            ..from(1)
        };
        assert_eq!(
            d.subscribe(&Term::nil(), &again, &mut out),
            Err(Term::atom("already_subscribed"))
        );
    }

    #[test]
    fn an_unresolved_selector_is_refused() {
        let mut d = BroadcastDispatcher::new();
        let mut out = RecordingOutbox::default();
        let opts = Term::list(vec![Term::tuple(vec![
            Term::atom("selector"),
            Term::atom("even"),
        ])]);
        assert!(d.subscribe(&opts, &from(1), &mut out).is_err());
        let even: SelectorResolver = Arc::new(|t: &Term| {
            t.is_atom("even")
                .then(|| Arc::new(|e: &Term| matches!(e, Term::Int(n) if n % 2 == 0)) as Selector)
        });
        let mut d = BroadcastDispatcher::new().with_selectors(even);
        d.subscribe(&opts, &from(1), &mut out).expect("ok");
        assert_eq!(d.ask(4, &from(1), &mut out), 4);
        d.dispatch((0..4).map(Term::Int).collect(), &mut out);
        assert_eq!(out.sent[0].1, vec![Term::Int(0), Term::Int(2)]);
        assert_eq!(out.to_self.len(), 1);
    }
}
