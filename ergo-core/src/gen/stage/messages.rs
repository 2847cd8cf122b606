//! GenStage's protocol messages as types: what a consumer sends its producer
//! (`{'$gen_producer', {ConsumerPid, Ref}, Request}`) and what a producer sends its consumer
//! (`{'$gen_consumer', {ProducerPid, Ref}, Events | {cancel, Reason}}`), with their exact term
//! shapes. Locally they travel as these Rust values (no term is built); they become terms only
//! for the wire. Owns the recognition of an incoming message, including a malformed one (told
//! apart so the stage can cancel the subscription it names); must not act on any message.

use ergo_etf::{Atom, IntoTerm, Pid, Term};

use super::event_batch::EventBatch;
use crate::node::Dest;
use crate::process::Payload;

/// A subscription as either side names it: the other side's process and the subscription's
/// tag (`{Pid, Ref}` in GenStage; the tag is the consumer's monitor reference, any term on the
/// wire). The process is a pid, except on a consumer that subscribed to `{Name, Node}` and has
/// not heard from the producer yet (then it is that tuple, as in GenStage).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StageFrom {
    /// The process at the other end (the consumer for a producer, the producer for a consumer).
    pub pid: Term,
    /// The subscription tag.
    pub tag: Term,
}

impl StageFrom {
    /// A subscription of `pid` tagged `tag`.
    pub fn new(pid: Pid, tag: Term) -> StageFrom {
        StageFrom {
            pid: Term::Pid(pid),
            tag,
        }
    }

    /// `{Pid, Ref}`.
    pub fn to_term(&self) -> Term {
        Term::tuple(vec![self.pid.clone(), self.tag.clone()])
    }

    /// Where to send to the other side.
    pub fn dest(&self) -> Dest {
        match &self.pid {
            Term::Pid(p) => Dest::Pid(p.clone()),
            Term::Tuple(t) => match t.as_slice() {
                [Term::Atom(name), Term::Atom(node)] => Dest::Remote {
                    name: name.clone(),
                    node: node.clone(),
                },
                _ => Dest::Name(Atom::new("undefined")),
            },
            Term::Atom(name) => Dest::Name(name.clone()),
            _ => Dest::Name(Atom::new("undefined")),
        }
    }

    fn from_term(term: &Term) -> Option<StageFrom> {
        match term.as_tuple() {
            Some([pid @ Term::Pid(_), tag]) => Some(StageFrom {
                pid: pid.clone(),
                tag: tag.clone(),
            }),
            _ => None,
        }
    }
}

/// What a consumer asks of its producer.
#[derive(Debug, Clone, PartialEq)]
pub enum ProducerRequest {
    /// `{subscribe, Current, Opts}`: `Current` is `nil` or `{OldRef, Reason}` (a resubscription
    /// that cancels the old one first); `Opts` the subscription's keyword list.
    Subscribe {
        /// The subscription to cancel first, with its reason.
        current: Option<(Term, Term)>,
        /// The keyword list of options (`max_demand`, `partition`...).
        options: Term,
    },
    /// `{ask, N}`: N more events.
    Ask(u64),
    /// `{cancel, Reason}`.
    Cancel(Term),
}

/// `{'$gen_producer', {ConsumerPid, Ref}, Request}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToProducer {
    /// The consumer and the subscription tag.
    pub from: StageFrom,
    /// The request.
    pub request: ProducerRequest,
}

/// What a producer sends its consumer.
#[derive(Debug)]
pub enum ConsumerPayload {
    /// A batch of events (never empty, never above the demand); a typed batch stays typed
    /// between stages of this node and becomes a list of terms on the wire.
    Events(EventBatch),
    /// `{cancel, Reason}`.
    Cancel(Term),
}

/// `{'$gen_consumer', {ProducerPid, Ref}, Events | {cancel, Reason}}`.
#[derive(Debug)]
pub struct ToConsumer {
    /// The producer and the subscription tag.
    pub from: StageFrom,
    /// The events or the cancel.
    pub payload: ConsumerPayload,
}

fn atom(text: &str) -> Term {
    Term::Atom(Atom::new(text))
}

impl IntoTerm for ToProducer {
    fn into_term(self) -> Term {
        let request = match self.request {
            ProducerRequest::Subscribe { current, options } => {
                let current = match current {
                    None => atom("nil"),
                    Some((old, reason)) => Term::tuple(vec![old, reason]),
                };
                Term::tuple(vec![atom("subscribe"), current, options])
            }
            ProducerRequest::Ask(n) => Term::tuple(vec![atom("ask"), Term::from(n)]),
            ProducerRequest::Cancel(reason) => Term::tuple(vec![atom("cancel"), reason]),
        };
        Term::tuple(vec![atom("$gen_producer"), self.from.to_term(), request])
    }
}

impl IntoTerm for ToConsumer {
    fn into_term(self) -> Term {
        let payload = match self.payload {
            ConsumerPayload::Events(events) => Term::List(events.into_terms()),
            ConsumerPayload::Cancel(reason) => Term::tuple(vec![atom("cancel"), reason]),
        };
        Term::tuple(vec![atom("$gen_consumer"), self.from.to_term(), payload])
    }
}

/// A message tagged as GenStage's that does not have a shape the protocol allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// `$gen_producer` or `$gen_consumer`.
    pub kind: &'static str,
    /// The subscription it names, when its `{Pid, Ref}` could be read (then the stage cancels
    /// that subscription).
    pub from: Option<StageFrom>,
    /// Why it is refused: the reason the cancel carries.
    pub reason: Term,
    /// The whole message, for the log.
    pub message: Term,
}

/// A GenStage protocol message received by a stage.
#[derive(Debug)]
pub enum StageMessage {
    /// From a consumer.
    ToProducer(ToProducer),
    /// From a producer.
    ToConsumer(ToConsumer),
    /// Tagged as the protocol's but malformed.
    Malformed(Malformed),
}

/// Reads a payload as a protocol message, or hands it back untouched when it is not one.
pub fn recognise(payload: Payload) -> Result<StageMessage, Payload> {
    let term = match payload {
        Payload::Local(b) if b.as_any().is::<ToConsumer>() => {
            return match b.into_any().downcast::<ToConsumer>() {
                Ok(m) => Ok(StageMessage::ToConsumer(*m)),
                Err(_) => Err(Payload::Term(Term::nil())),
            }
        }
        Payload::Local(b) if b.as_any().is::<ToProducer>() => {
            return match b.into_any().downcast::<ToProducer>() {
                Ok(m) => Ok(StageMessage::ToProducer(*m)),
                Err(_) => Err(Payload::Term(Term::nil())),
            }
        }
        Payload::Term(t) => t,
        other => return Err(other),
    };
    let tag = match term.as_tuple() {
        Some([Term::Atom(tag), _, _]) => tag.as_str().to_string(),
        _ => return Err(Payload::Term(term)),
    };
    match tag.as_str() {
        "$gen_producer" => Ok(read_to_producer(term)),
        "$gen_consumer" => Ok(read_to_consumer(term)),
        _ => Err(Payload::Term(term)),
    }
}

fn malformed(
    kind: &'static str,
    from: Option<StageFrom>,
    reason: Term,
    message: Term,
) -> StageMessage {
    StageMessage::Malformed(Malformed {
        kind,
        from,
        reason,
        message,
    })
}

fn split(term: Term) -> (Term, Term, Term) {
    match term {
        Term::Tuple(mut v) if v.len() == 3 => {
            let body = v.pop().unwrap_or_else(Term::nil);
            let from = v.pop().unwrap_or_else(Term::nil);
            let tag = v.pop().unwrap_or_else(Term::nil);
            (tag, from, body)
        }
        other => (other, Term::nil(), Term::nil()),
    }
}

fn read_to_producer(term: Term) -> StageMessage {
    const KIND: &str = "$gen_producer";
    let Some(from) = term.as_tuple().and_then(|t| StageFrom::from_term(&t[1])) else {
        return malformed(KIND, None, atom("bad_from"), term);
    };
    let request = match term.as_tuple().map(|t| &t[2]) {
        Some(Term::Tuple(r)) => r.as_slice(),
        _ => &[],
    };
    let parsed = match request {
        [a, n] if a.is_atom("ask") => match n {
            Term::Int(n) if *n >= 0 => Ok(ProducerRequest::Ask(*n as u64)),
            other => Err(Term::tuple(vec![atom("bad_ask"), other.clone()])),
        },
        [a, reason] if a.is_atom("cancel") => Ok(ProducerRequest::Cancel(reason.clone())),
        [a, current, options] if a.is_atom("subscribe") => {
            let current = match current {
                c if c.is_atom("nil") => Ok(None),
                Term::Tuple(pair) if pair.len() == 2 => {
                    Ok(Some((pair[0].clone(), pair[1].clone())))
                }
                other => Err(Term::tuple(vec![atom("bad_current"), other.clone()])),
            };
            current.map(|current| ProducerRequest::Subscribe {
                current,
                options: options.clone(),
            })
        }
        _ => Err(atom("bad_request")),
    };
    match parsed {
        Ok(request) => StageMessage::ToProducer(ToProducer { from, request }),
        Err(reason) => malformed(KIND, Some(from), reason, term),
    }
}

fn read_to_consumer(term: Term) -> StageMessage {
    const KIND: &str = "$gen_consumer";
    let Some(from) = term.as_tuple().and_then(|t| StageFrom::from_term(&t[1])) else {
        return malformed(KIND, None, atom("bad_from"), term);
    };
    let (_, _, body) = split(term);
    match body {
        Term::List(events) => StageMessage::ToConsumer(ToConsumer {
            from,
            payload: ConsumerPayload::Events(EventBatch::Terms(events)),
        }),
        Term::Tuple(mut v) if v.len() == 2 && v[0].is_atom("cancel") => {
            let reason = v.pop().unwrap_or_else(Term::nil);
            StageMessage::ToConsumer(ToConsumer {
                from,
                payload: ConsumerPayload::Cancel(reason),
            })
        }
        other => {
            let message = Term::tuple(vec![atom(KIND), from.to_term(), other]);
            malformed(KIND, Some(from), atom("bad_events"), message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ergo_etf::Reference;

    fn pid() -> Pid {
        Pid {
            node: Atom::new("a@h"),
            id: 1,
            serial: 0,
            creation: 1,
        }
    }

    fn from() -> StageFrom {
        StageFrom {
            pid: Term::Pid(pid()),
            tag: Term::Reference(Reference {
                node: Atom::new("a@h"),
                creation: 1,
                ids: ergo_etf::RefIds::new(&[1, 2, 3]).expect("ids"),
            }),
        }
    }

    #[test]
    fn messages_round_trip_through_terms() {
        let subscribe = ToProducer {
            from: from(),
            request: ProducerRequest::Subscribe {
                current: None,
                options: Term::nil(),
            },
        };
        let term = subscribe.clone().into_term();
        assert_eq!(
            term.as_tuple().map(|t| t[2].clone()),
            Some(Term::tuple(vec![
                atom("subscribe"),
                atom("nil"),
                Term::nil()
            ]))
        );
        assert!(matches!(
            recognise(Payload::Term(term)),
            Ok(StageMessage::ToProducer(m)) if m == subscribe
        ));
        let events = ToConsumer {
            from: from(),
            payload: ConsumerPayload::Events(EventBatch::typed(vec![1i64])),
        };
        match recognise(Payload::Term(events.into_term())) {
            Ok(StageMessage::ToConsumer(ToConsumer {
                from: f,
                payload: ConsumerPayload::Events(EventBatch::Terms(events)),
            })) => {
                assert_eq!(f, from());
                assert_eq!(events, vec![Term::Int(1)]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_negative_ask_is_malformed_and_names_its_subscription() {
        let term = Term::tuple(vec![
            atom("$gen_producer"),
            from().to_term(),
            Term::tuple(vec![atom("ask"), Term::Int(-3)]),
        ]);
        match recognise(Payload::Term(term)) {
            Ok(StageMessage::Malformed(m)) => {
                assert_eq!(m.from, Some(from()));
                assert_eq!(m.reason, Term::tuple(vec![atom("bad_ask"), Term::Int(-3)]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_messages_are_handed_back() {
        let t = Term::tuple(vec![atom("hello"), Term::Int(1), Term::Int(2)]);
        assert!(matches!(recognise(Payload::Term(t.clone())), Err(Payload::Term(x)) if x == t));
    }
}
