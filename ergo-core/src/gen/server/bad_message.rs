//! The one policy for a message a typed gen_server cannot decode, the same for call, cast and
//! info: the server keeps running and its state; the message is logged (a warning naming the
//! type the callback expected and the message) and dropped; a call is also refused at once, so
//! its caller never waits out a timeout (a local caller gets `CallError::BadRequest`, a remote
//! one the reply `{error, {bad_request, Req}}`). Owns that log line.

use ergo_etf::Term;

/// Logs that a `kind` (`call`, `cast`, `info`) message did not decode as `expected`.
pub fn log_bad_message(kind: &'static str, expected: &'static str, message: &Term) {
    tracing::warn!(
        kind,
        expected,
        %message,
        "gen_server: message does not decode as the type the callback takes; dropped"
    );
}
