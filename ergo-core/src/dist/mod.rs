//! The Erlang distribution protocol: flags, handshake, framing with the atom cache and
//! fragments, control messages, and connections that tick.
//!
//! Owns everything between a TCP stream and a typed channel of `(ControlMessage, Option<Term>)`;
//! it must not route messages to processes (the node does that).

pub mod atom_cache;
pub mod codec;
pub mod connection;
pub mod control;
pub mod error;
pub mod flags;
pub mod fragments;
pub mod frame;
pub mod handshake;

pub use connection::{
    accept, connect, ConnectionOptions, DistConnection, DistReceiver, DistSender,
};
pub use control::{ControlMessage, ProcessRef};
pub use error::{ConnectionError, FrameError, HandshakeError};
pub use flags::DistFlags;
pub use frame::{DistMessage, FrameDecoder, FrameEncoder, FrameSettings};
pub use handshake::{HandshakeOptions, Handshaken, LocalNode};
