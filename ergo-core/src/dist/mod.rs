//! The Erlang distribution protocol: flags, handshake, framing with the atom cache and
//! fragments, control messages, and connections that tick.
//!
//! Owns everything between a TCP stream and a typed channel of `(ControlMessage, Option<Term>)`;
//! it must not route messages to processes (the node does that).
//!
//! Using it:
//! - outgoing: [`connect`]`(&LocalNode, "peer@host", cookie, &Resolver, &HandshakeOptions,
//!   &ConnectionOptions)` resolves the peer (static route or EPMD), handshakes (`N`, version 6)
//!   and starts the connection;
//! - incoming: [`accept`]`(tcp_stream, &LocalNode, cookie, &dyn ConnectionArbiter, ...)`; the
//!   arbiter is the connection manager's hook for simultaneous connects
//!   ([`handshake::decide_incoming`] holds OTP's rule);
//! - a [`DistConnection`] sends with [`DistConnection::send`] (all [`DistSender`] clones feed one
//!   writer task, so order per peer holds) and yields [`DistMessage`]s from
//!   [`DistConnection::recv`] until it ends with the reason ([`ConnectionError`]).
//!
//! The lower layers ([`handshake::initiate`] / [`handshake::accept`] over any async stream,
//! [`FrameEncoder`] / [`FrameDecoder`]) are public for tests and other transports.

pub mod atom_cache;
pub mod compression;
pub mod connection;
pub mod control;
pub mod error;
pub mod flags;
pub mod fragments;
pub mod frame;
pub mod handshake;
pub mod proxy_frame;
mod traffic;

pub use compression::Compression;
pub use connection::{
    accept, connect, ConnectionOptions, DistConnection, DistReceiver, DistSender, IncomingHandler,
};
pub use control::{ControlMessage, ProcessRef, SpawnRequestFields};
pub use error::{ConnectionError, FrameError, HandshakeError, TunnelDown};
pub use flags::DistFlags;
pub use frame::{DistMessage, FrameDecoder, FrameEncoder, FrameSettings};
pub use handshake::{HandshakeOptions, Handshaken, LocalNode};
pub use proxy_frame::{ProxyFrame, ProxyFrameError};
pub use traffic::Traffic;
