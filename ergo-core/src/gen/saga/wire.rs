//! The messages sagas exchange, with the seed's exact shapes (plain sends):
//!
//! - `{'$saga_next', Pid, {Tx, Origin, Value, Parents, Options}}`: a transaction reaching a
//!   next saga; `Pid` is the sending saga, `Origin` the hop's [`NextId`], `Parents` the
//!   sender's own path to the originator (the sender excluded, the originator last), `Options`
//!   the map of [`WireOptions`];
//! - `{'$saga_result' | '$saga_interim' | '$saga_commit' | '$saga_cancel', Pid, {Tx, Origin,
//!   Payload}}`: a next saga's result and interim results to its parent, a parent's commit
//!   (payload: the final value) and a cancel in either direction (payload: the reason); `Origin`
//!   is always the hop between the two sagas.
//!
//! Also the messages between a saga and its local workers, and the saga's own timers, which
//! never leave the node. Owns the shapes and recognising them; must not act on them.

use ergo_etf::{Pid, Term};

use super::ids::{JobId, NextId, TxId};
use super::options::WireOptions;
use crate::process::Payload;

/// The body of `'$saga_next'`: `{Tx, Origin, Value, Parents, Options}`.
pub(super) type NextBody = (TxId, NextId, Term, Vec<Pid>, WireOptions);

/// The body of the other saga messages: `{Tx, Origin, Payload}`.
pub(super) type HopBody = (TxId, NextId, Term);

/// A message between sagas.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(super) enum SagaMessage {
    /// `{'$saga_next', Pid, {Tx, Origin, Value, Parents, Options}}`.
    #[term(rename = "$saga_next")]
    Next(Pid, NextBody),
    /// `{'$saga_result', Pid, {Tx, Origin, Result}}`.
    #[term(rename = "$saga_result")]
    Result(Pid, HopBody),
    /// `{'$saga_interim', Pid, {Tx, Origin, Interim}}`.
    #[term(rename = "$saga_interim")]
    Interim(Pid, HopBody),
    /// `{'$saga_commit', Pid, {Tx, Origin, Final}}`.
    #[term(rename = "$saga_commit")]
    Commit(Pid, HopBody),
    /// `{'$saga_cancel', Pid, {Tx, Origin, Reason}}`.
    #[term(rename = "$saga_cancel")]
    Cancel(Pid, HopBody),
}

/// The body of the messages between a saga and a worker: `{Tx, Job, Payload}`.
pub(super) type JobBody = (TxId, JobId, Term);

/// A message between a saga and one of its workers (local only).
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(super) enum JobMessage {
    /// Worker to saga: `{'$saga_job_result', Worker, {Tx, Job, Result}}`.
    #[term(rename = "$saga_job_result")]
    Result(Pid, JobBody),
    /// Worker to saga: `{'$saga_job_interim', Worker, {Tx, Job, Interim}}`.
    #[term(rename = "$saga_job_interim")]
    Interim(Pid, JobBody),
    /// Saga to worker: `{'$saga_job_cancel', Saga, {Tx, Job, Reason}}`.
    #[term(rename = "$saga_job_cancel")]
    Cancel(Pid, JobBody),
    /// Saga to worker: `{'$saga_job_commit', Saga, {Tx, Job, Final}}`.
    #[term(rename = "$saga_job_commit")]
    Commit(Pid, JobBody),
}

/// A saga's timer for one of its transactions (sent to itself).
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub(super) enum SagaTimer {
    /// The transaction's lifespan is over.
    #[term(rename = "$saga_lifespan")]
    Lifespan(TxId),
    /// A next saga's timeout.
    #[term(rename = "$saga_next_timeout")]
    NextTimeout(TxId, NextId),
    /// A job's timeout.
    #[term(rename = "$saga_job_timeout")]
    JobTimeout(TxId, JobId),
}

/// A trapped cancel of a next saga (see `NextOptions::trap_cancel`), delivered to the saga's
/// `handle_info`: `{next_cancelled, Tx, Next, Reason}`. The transaction goes on without that
/// next saga; take it with `message.take::<NextCancelled>()`.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
pub struct NextCancelled {
    /// The transaction.
    pub tx: TxId,
    /// The next saga that cancelled (its hop).
    pub next: NextId,
    /// Why: its cancel's reason, its exit reason (`noconnection` when its node is lost), or
    /// `{error, next_timeout}`.
    pub reason: Term,
}

/// What a message that reached a saga is, as far as the saga's machinery is concerned.
pub(super) enum Incoming {
    /// A message between sagas, decoded.
    Saga(SagaMessage),
    /// A message from a worker, decoded.
    Job(JobMessage),
    /// One of the saga's timers.
    Timer(SagaTimer),
    /// Tagged as a saga message but not of its shape: to log and drop.
    Malformed(Term),
    /// Not the machinery's: the user's `handle_info` gets it.
    Other(Payload),
}

const SAGA_TAGS: [&str; 5] = [
    "$saga_next",
    "$saga_result",
    "$saga_interim",
    "$saga_commit",
    "$saga_cancel",
];
const JOB_TAGS: [&str; 4] = [
    "$saga_job_result",
    "$saga_job_interim",
    "$saga_job_cancel",
    "$saga_job_commit",
];
const TIMER_TAGS: [&str; 3] = ["$saga_lifespan", "$saga_next_timeout", "$saga_job_timeout"];

/// Which family a term's tag (the first element of a tuple) belongs to.
fn family(term: &Term) -> Option<u8> {
    let tag = term.as_tuple()?.first()?.as_atom()?;
    let tag = tag.as_str();
    if SAGA_TAGS.contains(&tag) {
        Some(0)
    } else if JOB_TAGS.contains(&tag) {
        Some(1)
    } else if TIMER_TAGS.contains(&tag) {
        Some(2)
    } else {
        None
    }
}

/// Sorts a message: typed local values by their type, terms by their tag.
pub(super) fn recognise(payload: Payload) -> Incoming {
    let family = match &payload {
        Payload::Local(value) => {
            let any = value.as_any();
            if any.is::<SagaMessage>() {
                Some(0)
            } else if any.is::<JobMessage>() {
                Some(1)
            } else if any.is::<SagaTimer>() {
                Some(2)
            } else {
                None
            }
        }
        Payload::Term(term) => family(term),
    };
    let decoded = match family {
        None => return Incoming::Other(payload),
        Some(0) => payload.take::<SagaMessage>().map(Incoming::Saga),
        Some(1) => payload.take::<JobMessage>().map(Incoming::Job),
        Some(_) => payload.take::<SagaTimer>().map(Incoming::Timer),
    };
    decoded.unwrap_or_else(|undecodable| Incoming::Malformed(undecodable.term))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ergo_etf::{Atom, IntoTerm, Reference};
    use std::time::Duration;

    fn reference(n: u32) -> Reference {
        Reference {
            node: Atom::new("a@h"),
            creation: 1,
            ids: [n, 0, 0].into(),
        }
    }

    fn pid() -> Pid {
        Pid {
            node: Atom::new("a@h"),
            id: 7,
            serial: 0,
            creation: 1,
        }
    }

    #[test]
    fn next_has_the_seed_shape() {
        let options = WireOptions {
            hop_limit: 2,
            lifespan: Duration::from_secs(5),
            two_phase_commit: false,
        };
        let message = SagaMessage::Next(
            pid(),
            (
                TxId(reference(1)),
                NextId(reference(2)),
                Term::Int(3),
                vec![pid()],
                options.clone(),
            ),
        );
        let expected = Term::tuple(vec![
            Term::atom("$saga_next"),
            Term::Pid(pid()),
            Term::tuple(vec![
                Term::Reference(reference(1)),
                Term::Reference(reference(2)),
                Term::Int(3),
                Term::list(vec![Term::Pid(pid())]),
                options.into_term(),
            ]),
        ]);
        assert_eq!(message.clone().into_term(), expected);
        match recognise(Payload::Term(expected)) {
            Incoming::Saga(decoded) => assert_eq!(decoded, message),
            _ => panic!("not recognised"),
        }
    }

    #[test]
    fn cancel_has_the_seed_shape_and_a_bad_one_is_malformed() {
        let message = SagaMessage::Cancel(
            pid(),
            (TxId(reference(1)), NextId(reference(2)), Term::atom("why")),
        );
        let expected = Term::tuple(vec![
            Term::atom("$saga_cancel"),
            Term::Pid(pid()),
            Term::tuple(vec![
                Term::Reference(reference(1)),
                Term::Reference(reference(2)),
                Term::atom("why"),
            ]),
        ]);
        assert_eq!(message.into_term(), expected);
        let bad = Term::tuple(vec![Term::atom("$saga_cancel"), Term::Int(1)]);
        assert!(matches!(
            recognise(Payload::Term(bad)),
            Incoming::Malformed(_)
        ));
        assert!(matches!(
            recognise(Payload::Term(Term::atom("hello"))),
            Incoming::Other(_)
        ));
    }
}
