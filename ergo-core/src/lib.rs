//! The ergo runtime: nodes, processes, behaviours and the Erlang distribution.
#![deny(missing_docs)]

pub mod dist;
pub mod epmd;

pub use ergo_etf as etf;
