//! Erlang-syntax text for terms: printing (`~w` through `Display`, `~p` through
//! [`Term::pretty`](crate::Term::pretty)) and parsing ([`parse`], `str::parse::<Term>()`).
//!
//! This module owns text only: it must not encode or decode ETF, and it reads the term model
//! without changing it.

mod bits;
mod error;
mod float;
mod parse;
mod pretty;
mod quote;
mod write;

pub use bits::MAX_BINARY_LITERAL_BITS;
pub use error::{ParseError, ParseErrorKind};
pub use parse::parse;
