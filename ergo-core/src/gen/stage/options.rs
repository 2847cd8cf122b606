//! Subscription options as GenStage reads them: `max_demand` (default 1000), `min_demand`
//! (default half of max), `cancel` (`permanent`, `transient`, `temporary`), and whatever else
//! the producer's dispatcher reads (`partition`, `selector`), kept as the keyword list that
//! travels to the producer. Owns the validation (the consumer's, with GenStage's bounds) and
//! the cancel modes' stop rule; must not send anything.

use ergo_etf::{Atom, Term};

/// What a consumer does when a subscription is cancelled (by either side, or by a DOWN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CancelMode {
    /// Stop the consumer with the reason (the default).
    #[default]
    Permanent,
    /// Stop unless the reason is `normal`, `shutdown` or `{shutdown, _}`.
    Transient,
    /// Never stop.
    Temporary,
}

impl CancelMode {
    /// The atom GenStage names it with.
    pub fn as_atom(self) -> &'static str {
        match self {
            CancelMode::Permanent => "permanent",
            CancelMode::Transient => "transient",
            CancelMode::Temporary => "temporary",
        }
    }

    /// Whether a cancel with `reason` stops the consumer, by GenStage's rules
    /// (`already_subscribed` never does).
    pub fn stops_on(self, reason: &Term) -> bool {
        if reason.is_atom("already_subscribed") {
            return false;
        }
        match self {
            CancelMode::Permanent => true,
            CancelMode::Transient => !is_transient_shutdown(reason),
            CancelMode::Temporary => false,
        }
    }
}

/// `normal`, `shutdown` or `{shutdown, _}`.
pub fn is_transient_shutdown(reason: &Term) -> bool {
    reason.is_atom("normal")
        || reason.is_atom("shutdown")
        || matches!(reason.as_tuple(), Some([tag, _]) if tag.is_atom("shutdown"))
}

/// An option that GenStage would refuse; its text is what Elixir's `{bad_opts, Message}` says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadOptions(pub String);

impl BadOptions {
    /// `{bad_opts, <<Message>>}`.
    pub fn to_term(&self) -> Term {
        Term::tuple(vec![
            Term::atom("bad_opts"),
            Term::binary(self.0.clone().into_bytes()),
        ])
    }
}

/// A subscription's options: the validated demand bounds and cancel mode, and the keyword list
/// sent to the producer.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscribeOptions {
    /// The most events asked at once.
    pub max_demand: u64,
    /// Ask again when outstanding demand falls to this.
    pub min_demand: u64,
    /// What a cancel does to the consumer.
    pub cancel: CancelMode,
    /// The other options, as `{Key, Value}` pairs (`partition`, `selector`...).
    pub extra: Vec<(Atom, Term)>,
    /// Whether max/min were given (they are sent to the producer only then, as Elixir does).
    explicit: (bool, bool),
}

impl Default for SubscribeOptions {
    fn default() -> SubscribeOptions {
        SubscribeOptions {
            max_demand: 1000,
            min_demand: 500,
            cancel: CancelMode::Permanent,
            extra: Vec::new(),
            explicit: (false, false),
        }
    }
}

impl SubscribeOptions {
    /// GenStage's defaults: max 1000, min 500, permanent.
    pub fn new() -> SubscribeOptions {
        SubscribeOptions::default()
    }

    /// Sets `max_demand` (and `min_demand` to half of it unless set).
    pub fn max_demand(mut self, max: u64) -> SubscribeOptions {
        self.max_demand = max;
        self.explicit.0 = true;
        if !self.explicit.1 {
            self.min_demand = max / 2;
        }
        self
    }

    /// Sets `min_demand`.
    pub fn min_demand(mut self, min: u64) -> SubscribeOptions {
        self.min_demand = min;
        self.explicit.1 = true;
        self
    }

    /// Sets the cancel mode.
    pub fn cancel(mut self, mode: CancelMode) -> SubscribeOptions {
        self.cancel = mode;
        self
    }

    /// Subscribes to this partition of a partition dispatcher.
    pub fn partition(self, partition: impl Into<Term>) -> SubscribeOptions {
        self.with("partition", partition.into())
    }

    /// Adds any other option.
    pub fn with(mut self, key: &str, value: Term) -> SubscribeOptions {
        self.extra.retain(|(k, _)| k.as_str() != key);
        self.extra.push((Atom::new(key), value));
        self
    }

    /// The value of an extra option.
    pub fn get(&self, key: &str) -> Option<&Term> {
        self.extra
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    }

    /// Checks GenStage's bounds: max at least 1, min from 0 to max - 1.
    pub fn validate(&self) -> Result<(), BadOptions> {
        if self.max_demand < 1 {
            return Err(BadOptions(format!(
                "expected :max_demand to be equal to or greater than 1, got: {}",
                self.max_demand
            )));
        }
        if self.min_demand > self.max_demand - 1 {
            return Err(BadOptions(format!(
                "expected :min_demand to be equal to or less than {}, got: {}",
                self.max_demand - 1,
                self.min_demand
            )));
        }
        Ok(())
    }

    /// The keyword list sent to the producer in `{subscribe, Current, Opts}`.
    pub fn to_keyword(&self) -> Term {
        let mut list = Vec::new();
        let pair = |k: &str, v: Term| Term::tuple(vec![Term::atom(k), v]);
        if self.explicit.0 {
            list.push(pair("max_demand", Term::from(self.max_demand)));
        }
        if self.explicit.1 {
            list.push(pair("min_demand", Term::from(self.min_demand)));
        }
        if self.cancel != CancelMode::Permanent {
            list.push(pair("cancel", Term::atom(self.cancel.as_atom())));
        }
        for (k, v) in &self.extra {
            list.push(Term::tuple(vec![Term::Atom(k.clone()), v.clone()]));
        }
        Term::List(list)
    }

    /// Reads a keyword list (as Elixir's `$subscribe` carries, minus `:to`) and validates it.
    pub fn from_keyword(term: &Term) -> Result<SubscribeOptions, BadOptions> {
        let Term::List(items) = term else {
            if term.is_nil() {
                return Ok(SubscribeOptions::new());
            }
            return Err(BadOptions(format!("expected a keyword list, got: {term}")));
        };
        let mut options = SubscribeOptions::new();
        let mut max = None;
        let mut min = None;
        for item in items {
            let Some([Term::Atom(key), value]) = item.as_tuple() else {
                return Err(BadOptions(format!("expected a keyword list, got: {term}")));
            };
            match key.as_str() {
                "max_demand" => match value {
                    Term::Int(n) if *n >= 1 => max = Some(*n as u64),
                    other => {
                        return Err(BadOptions(format!(
                            "expected :max_demand to be equal to or greater than 1, got: {other}"
                        )))
                    }
                },
                "min_demand" => match value {
                    Term::Int(n) if *n >= 0 => min = Some(*n as u64),
                    other => {
                        return Err(BadOptions(format!(
                            "expected :min_demand to be equal to or greater than 0, got: {other}"
                        )))
                    }
                },
                "cancel" => {
                    options.cancel = match value.as_atom().map(|a| a.as_str()) {
                        Some("permanent") => CancelMode::Permanent,
                        Some("transient") => CancelMode::Transient,
                        Some("temporary") => CancelMode::Temporary,
                        _ => {
                            return Err(BadOptions(format!(
                                "expected :cancel to be one of [:temporary, :transient, :permanent], got: {value}"
                            )))
                        }
                    }
                }
                "to" => {}
                _ => options.extra.push((key.clone(), value.clone())),
            }
        }
        if let Some(max) = max {
            options = options.max_demand(max);
        }
        if let Some(min) = min {
            options = options.min_demand(min);
        }
        options.validate()?;
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_genstage_defaults() {
        let o = SubscribeOptions::from_keyword(&Term::nil()).expect("ok");
        assert_eq!(
            (o.max_demand, o.min_demand, o.cancel),
            (1000, 500, CancelMode::Permanent)
        );
        let o = SubscribeOptions::new().max_demand(10);
        assert_eq!(o.min_demand, 5);
    }

    #[test]
    fn bounds_are_validated() {
        assert!(SubscribeOptions::new()
            .max_demand(10)
            .min_demand(10)
            .validate()
            .is_err());
        assert!(SubscribeOptions::new()
            .max_demand(10)
            .min_demand(9)
            .validate()
            .is_ok());
        assert!(SubscribeOptions::new().max_demand(0).validate().is_err());
        let bad = Term::list(vec![Term::tuple(vec![
            Term::atom("cancel"),
            Term::atom("x"),
        ])]);
        assert!(SubscribeOptions::from_keyword(&bad).is_err());
    }

    #[test]
    fn stop_rules() {
        let normal = Term::atom("normal");
        let shutdown = Term::tuple(vec![Term::atom("shutdown"), Term::atom("x")]);
        let boom = Term::atom("boom");
        assert!(CancelMode::Permanent.stops_on(&normal));
        assert!(!CancelMode::Transient.stops_on(&normal));
        assert!(!CancelMode::Transient.stops_on(&shutdown));
        assert!(CancelMode::Transient.stops_on(&boom));
        assert!(!CancelMode::Temporary.stops_on(&boom));
        assert!(!CancelMode::Permanent.stops_on(&Term::atom("already_subscribed")));
    }
}
