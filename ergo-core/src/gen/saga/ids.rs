//! The identifiers of a saga's transactions, next sagas and jobs: references made by the node,
//! wrapped so one cannot be passed where another is meant. Owns these three types only.

use ergo_etf::{Reference, Term};

/// A transaction's id: the reference its originator made, the same on every saga it reaches.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq, Eq, Hash)]
#[term(crate = "::ergo_etf", transparent)]
pub struct TxId(pub Reference);

/// One hop of a transaction, from a saga to a next saga: the monitor reference the sending saga
/// made on the next one (the seed's `SagaNextID`). Both ends name the hop by it: the `Origin` of
/// every message exchanged between them.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq, Eq, Hash)]
#[term(crate = "::ergo_etf", transparent)]
pub struct NextId(pub Reference);

/// A job a saga started on one of its workers.
#[derive(ergo_macros::Term, Debug, Clone, PartialEq, Eq, Hash)]
#[term(crate = "::ergo_etf", transparent)]
pub struct JobId(pub Reference);

macro_rules! display_as_term {
    ($($ty:ident => $prefix:literal),*) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($prefix, "{}"), Term::Reference(self.0.clone()))
            }
        }
    )*};
}

display_as_term!(TxId => "tx", NextId => "next", JobId => "job");
