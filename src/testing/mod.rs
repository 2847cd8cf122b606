//! The users' test kit (feature `testing`): [`ErlNode`], a real Erlang node a test starts,
//! compiles Erlang source on and evaluates expressions on, getting their values back as
//! [`Term`](crate::Term)s.
//!
//! This is not ergo-core's `forge-signals` feature (which makes the node methods that act for
//! any pid public, for the project's own tests that play a remote node): turning `testing` on
//! gives an application's tests this module and nothing else.
//!
//! ```no_run
//! use ergo::testing::ErlNode;
//! use ergo::Term;
//!
//! # async fn demo() -> Result<(), ergo::testing::ErlError> {
//! // None (and a printed SKIPPED line) when `erl` is not installed, unless ERGO_REQUIRE_ERL=1.
//! let Some(erl) = ErlNode::start("peer@localhost", "secret").await? else {
//!     return Ok(());
//! };
//! erl.compile("-module(sq).\n-export([sq/1]).\nsq(X) -> X * X.\n").await?;
//! assert_eq!(erl.eval("sq:sq(7)").await?, Term::from(49i64));
//! # Ok(()) }
//! ```

mod erl_node;
mod expect;
mod kit;
mod recorder;

pub use ergo_core::Effect;
pub use erl_node::{erl_required, ErlError, ErlNode, EVAL_TIMEOUT, START_TIMEOUT};
pub use expect::{CallExpect, Expect};
pub use kit::GenServerKit;
