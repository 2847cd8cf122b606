//! The runtime's error types: what can go wrong starting a node, sending, calling and spawning.
//! Owns only error enums; must not contain runtime logic.

use ergo_etf::{ConvertError, Term};

use crate::process::Envelope;

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The node name is not `name@host` or is not a valid atom.
    #[error("invalid node name {0:?}: expected name@host")]
    InvalidName(String),
    /// `Node::start` was called outside a tokio runtime.
    #[error("no tokio runtime: start the node from inside a tokio runtime")]
    NoRuntime,
    /// The observer asked for in the options could not start (its address is taken, or it is
    /// not a loopback address and no token was given...).
    #[error("observer: {0}")]
    Observer(String),
}

/// Why a message or signal could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No live process has that pid, name or alias (local destinations only; like Erlang, a send
    /// to a dead pid is otherwise silent, so only name lookups report this).
    #[error("no such process or name: {0}")]
    NoProc(String),
    /// The destination is on another node and no remote router is installed.
    #[error("no route to node {0}")]
    NoRoute(String),
    /// The remote router knows the node but is not connected to it.
    #[error("not connected to node {0}")]
    NotConnected(String),
    /// The destination's bounded mailbox is full: the envelope is handed back, never dropped.
    #[error("mailbox of {to} is full")]
    MailboxFull {
        /// Who could not take the message.
        to: String,
        /// The undelivered envelope.
        envelope: Box<Envelope>,
    },
    /// The node has been stopped.
    #[error("node is stopped")]
    NodeStopped,
    /// The peer node lacks a capability the message needs.
    #[error("node {node} does not support {what}")]
    Unsupported {
        /// The peer.
        node: String,
        /// What it lacks.
        what: &'static str,
    },
}

/// Why a synchronous gen_server call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The request could not be delivered.
    #[error("call not delivered: {0}")]
    Send(#[from] SendError),
    /// No reply came within the timeout; a late reply is discarded.
    #[error("call timed out")]
    Timeout,
    /// The server exited (or dropped the reply handle) without replying.
    #[error("server exited or dropped the call without replying")]
    NoReply,
    /// The reply arrived but is not of the type asked for.
    #[error("reply has the wrong type: {0}")]
    BadReply(#[from] ConvertError),
    /// The server refused the request: its typed handler could not decode it (`{bad_request, T}`).
    #[error("server could not decode the request: {0}")]
    BadRequest(Term),
    /// The server could not take the request now and said so at once: a pool whose workers'
    /// bounded mailboxes were all full (`busy`). Nothing of the request was handled.
    #[error("request rejected: {0}")]
    Rejected(Term),
    /// The server is gone or unreachable (the call's monitor fired, as in `gen:call`): the
    /// reason is `noproc`, `noconnection`, or the server's exit reason.
    #[error("server down: {0}")]
    Down(Term),
}

/// Why a process could not be spawned or registered.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The registered name is already taken.
    #[error("name {0} is already registered")]
    NameTaken(String),
    /// The node has been stopped.
    #[error("node is stopped")]
    NodeStopped,
    /// A gen_server's init returned `ignore`.
    #[error("init returned ignore")]
    Ignored,
    /// A gen_server's init failed (or panicked) with this reason.
    #[error("init failed: {0}")]
    InitFailed(Term),
}

/// The operation needs distribution, and the node is local (started with `Node::start`, not
/// `Node::start_distributed`).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "this node is not distributed (it was started with Node::start, not Node::start_distributed)"
)]
pub struct NotDistributed;
