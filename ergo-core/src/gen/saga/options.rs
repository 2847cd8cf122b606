//! The options of a transaction (as the user gives them, and as the `Options` map of
//! `'$saga_next'` carries them), of one hop to a next saga, of a job, and of a saga. Owns the
//! map's encoding: string keys (charlists, as the Go version sends them) `"HopLimit"`,
//! `"Lifespan"` (whole seconds left, rounded up, for sagas that read only it) and
//! `"TwoPhaseCommit"`, plus `"LifespanMs"` (the milliseconds left, which ergo-rs sagas read
//! first, so the deadline holds to the millisecond across hops; other sagas ignore the key).
//! Must not act on a transaction.

use std::time::Duration;

use ergo_etf::{Charlist, ConvertError, FromTerm, IntoTerm, Map, Term};

/// The hop limit a transaction gets when none is set (the seed's default, `math.MaxUint16`).
pub const DEFAULT_HOP_LIMIT: u32 = u16::MAX as u32;

/// The lifespan a transaction gets when none is set.
pub const DEFAULT_LIFESPAN: Duration = Duration::from_secs(60);

/// How a transaction runs, given to `start_transaction`.
#[derive(Debug, Clone, PartialEq)]
pub struct TxOptions {
    /// The longest path from the originator a transaction may take (the originator is at 0, its
    /// next sagas at 1, ...); 0 means [`DEFAULT_HOP_LIMIT`].
    pub hop_limit: u32,
    /// How long the transaction may run, everywhere (each next saga gets the time left);
    /// zero means [`DEFAULT_LIFESPAN`].
    pub lifespan: Duration,
    /// Two-phase commit: nothing commits until the originator is done, then every saga and
    /// worker that took part gets `handle_tx_commit` / `handle_job_commit`.
    pub two_phase_commit: bool,
}

impl Default for TxOptions {
    fn default() -> TxOptions {
        TxOptions {
            hop_limit: DEFAULT_HOP_LIMIT,
            lifespan: DEFAULT_LIFESPAN,
            two_phase_commit: false,
        }
    }
}

impl TxOptions {
    /// The options with their zero values replaced by the defaults.
    pub(super) fn normalised(mut self) -> TxOptions {
        if self.hop_limit == 0 {
            self.hop_limit = DEFAULT_HOP_LIMIT;
        }
        if self.lifespan.is_zero() {
            self.lifespan = DEFAULT_LIFESPAN;
        }
        self
    }
}

/// How one hop to a next saga runs, given to `next`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NextOptions {
    /// How long to wait for the next saga's result; `None`: as long as the transaction lives.
    /// When it passes, the transaction is cancelled (or, with `trap_cancel`, the next saga is
    /// cancelled and reported as a `NextCancelled` message).
    pub timeout: Option<Duration>,
    /// A cancel coming from this next saga (its own, its death, its timeout) does not cancel the
    /// transaction: it arrives as a [`super::NextCancelled`] message at `handle_info`, so the
    /// saga can try elsewhere.
    pub trap_cancel: bool,
}

/// How a job runs, given to `start_job`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobOptions {
    /// How long the job may take to send its result; `None`: as long as the transaction lives.
    /// When it passes, the worker gets `handle_job_cancel` and the saga `handle_job_failed`
    /// with `{error, job_timeout}`.
    pub timeout: Option<Duration>,
}

/// Limits of one saga.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SagaOptions {
    /// The most transactions this saga runs at once; 0 means no limit. A transaction beyond it
    /// is refused: `start_transaction` returns `SagaError::ExceedTxLimit`, and a `'$saga_next'`
    /// is answered with a cancel whose reason is `{error, exceed_tx_limit}`.
    pub max_transactions: usize,
}

/// The `Options` map of `'$saga_next'`: what a next saga learns of the transaction.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct WireOptions {
    pub(super) hop_limit: u32,
    /// The time left of the transaction's lifespan.
    pub(super) lifespan: Duration,
    pub(super) two_phase_commit: bool,
}

const HOP_LIMIT: &str = "HopLimit";
const LIFESPAN: &str = "Lifespan";
const LIFESPAN_MS: &str = "LifespanMs";
const TWO_PHASE_COMMIT: &str = "TwoPhaseCommit";

impl IntoTerm for WireOptions {
    fn into_term(self) -> Term {
        let millis = u64::try_from(self.lifespan.as_millis()).unwrap_or(u64::MAX);
        let seconds = millis.div_ceil(1000);
        let int = |v: u64| Term::Int(i64::try_from(v).unwrap_or(i64::MAX));
        Term::Map(Map::from_pairs([
            (Charlist::encode(HOP_LIMIT), int(u64::from(self.hop_limit))),
            (Charlist::encode(LIFESPAN), int(seconds)),
            (Charlist::encode(LIFESPAN_MS), int(millis)),
            (
                Charlist::encode(TWO_PHASE_COMMIT),
                Term::atom(if self.two_phase_commit {
                    "true"
                } else {
                    "false"
                }),
            ),
        ]))
    }
}

/// A key of the options map as text: a charlist (as the seed sends it), a binary or an atom.
fn key_text(key: &Term) -> Option<String> {
    match key {
        Term::List(_) => Charlist::decode("saga option key", key.clone()).ok(),
        Term::Binary(bytes) => std::str::from_utf8(bytes).ok().map(str::to_string),
        Term::Atom(atom) => Some(atom.as_str().to_string()),
        _ => None,
    }
}

fn non_negative(value: &Term) -> Option<u64> {
    match value {
        Term::Int(v) => u64::try_from(*v).ok(),
        _ => None,
    }
}

impl FromTerm for WireOptions {
    /// Reads the map leniently, as the seed does: a missing or ill-typed entry takes its
    /// default (the lifespan from `"LifespanMs"`, else `"Lifespan"` in seconds).
    fn from_term(term: Term) -> Result<WireOptions, ConvertError> {
        let Term::Map(map) = term else {
            return Err(ConvertError::new(
                "saga options",
                "a map with string keys",
                &term,
            ));
        };
        let mut options = WireOptions {
            hop_limit: DEFAULT_HOP_LIMIT,
            lifespan: DEFAULT_LIFESPAN,
            two_phase_commit: false,
        };
        let mut millis = None;
        let mut seconds = None;
        for (key, value) in map.iter() {
            match key_text(key).as_deref() {
                Some(HOP_LIMIT) => {
                    if let Some(v) = non_negative(value) {
                        options.hop_limit = u32::try_from(v).unwrap_or(u32::MAX);
                    }
                }
                Some(LIFESPAN) => seconds = non_negative(value),
                Some(LIFESPAN_MS) => millis = non_negative(value),
                Some(TWO_PHASE_COMMIT) => options.two_phase_commit = value.is_atom("true"),
                _ => {}
            }
        }
        if let Some(ms) = millis {
            options.lifespan = Duration::from_millis(ms);
        } else if let Some(s) = seconds {
            options.lifespan = Duration::from_secs(s);
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_has_string_keys_and_round_trips() {
        let options = WireOptions {
            hop_limit: 3,
            lifespan: Duration::from_millis(1500),
            two_phase_commit: true,
        };
        let term = options.clone().into_term();
        let Term::Map(map) = &term else {
            panic!("not a map: {term}");
        };
        assert_eq!(map.get(&Charlist::encode("HopLimit")), Some(&Term::Int(3)));
        // Seconds rounded up for readers of "Lifespan" only.
        assert_eq!(map.get(&Charlist::encode("Lifespan")), Some(&Term::Int(2)));
        assert_eq!(
            map.get(&Charlist::encode("TwoPhaseCommit")),
            Some(&Term::atom("true"))
        );
        assert_eq!(WireOptions::from_term(term).ok(), Some(options));
    }

    #[test]
    fn a_map_of_the_seed_without_millis_reads_seconds_and_defaults() {
        let term = Term::Map(Map::from_pairs([(
            Charlist::encode("Lifespan"),
            Term::Int(7),
        )]));
        let options = WireOptions::from_term(term).expect("options");
        assert_eq!(options.lifespan, Duration::from_secs(7));
        assert_eq!(options.hop_limit, DEFAULT_HOP_LIMIT);
        assert!(!options.two_phase_commit);
    }
}
