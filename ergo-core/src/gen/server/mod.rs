//! gen_server: the `GenServer` callback trait, the types callbacks return, the `From` reply
//! handle, and the run loop. Messages keep OTP's shapes (`'$gen_call'`, `'$gen_cast'`,
//! `{Tag, Reply}`), so Erlang callers and servers interoperate unchanged.

mod behaviour;
mod from;
mod run;
mod types;

pub use behaviour::GenServer;
pub use from::From;
pub use types::{CallOutcome, Init, IntoCallOutcome, IntoInit, IntoStatus, Reply, Status};
