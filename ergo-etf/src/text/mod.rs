//! Erlang-syntax text for terms: printing and parsing ([`parse`], `str::parse::<Term>()`).
//!
//! A term prints in three forms:
//!
//! | Rust | Erlang | `{ok, [104,105], <<98>>}` prints as |
//! |------|--------|-------------------------------------|
//! | `format!("{term}")`, `term.to_string()` | `~p` on one line | `{ok,"hi",<<"b">>}` |
//! | `format!("{term:#}")`, [`Term::pretty`](crate::Term::pretty) | `~p` | the same, broken over lines when longer than 80 columns |
//! | `format!("{}", term.display_w())`, [`Term::display_w`](crate::Term::display_w) | `~w` | `{ok,[104,105],<<98>>}` |
//!
//! `Display` is for people (logs, error messages): printable lists and binaries read as
//! strings. [`Term::display_w`](crate::Term::display_w) is for exactness: it writes the lists
//! and binaries as they are, as `~w` does, for text compared with what OTP writes.
//!
//! Printing matches OTP 25's `io_lib:format("~w")` and `("~p")` character for character (the
//! tests compare against a live `erl`), with these necessary differences: pids, references
//! and ports print with node index `0` (`<0.80.0>`, `#Ref<0.1.2.3>`, `#Port<0.5>`), as OTP
//! prints its own node's, since a term alone cannot say which node prints it; maps with more
//! than 32 keys print in key order where OTP 25 uses its internal hash order; NaN and the
//! infinities (which Erlang does not have) print as `nan`, `inf`, `-inf`.
//!
//! Parsing accepts the literal subset of Erlang expressions. For every term without pids,
//! references, ports or funs, all three forms parse back to the term:
//! `parse(&term.display_w().to_string())`, `parse(&term.to_string())` and
//! `parse(&term.pretty())`.
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
pub use write::DisplayW;
