//! gen_server: the `GenServer` callback trait, the types callbacks return, and the run loop
//! (the reply handle, [`ReplyTo`], belongs to the process layer and is re-exported here). Messages keep OTP's shapes (`'$gen_call'`, `'$gen_cast'`,
//! `{Tag, Reply}`), so Erlang callers and servers interoperate unchanged.

mod bad_message;
mod behaviour;
mod run;
pub(crate) mod system;
mod types;

pub use crate::process::ReplyTo;
pub use bad_message::log_bad_message;
pub use behaviour::GenServer;

/// The reply handle's former name.
#[deprecated(since = "0.2.0", note = "renamed `ReplyTo`")]
pub type From = ReplyTo;
pub use types::{CallOutcome, Init, IntoCallOutcome, IntoInit, IntoStatus, Reply, Status};
