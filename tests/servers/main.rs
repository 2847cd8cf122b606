//! The servers served by processes (`ergo::servers`): TCP (framing edge cases, host honoured,
//! per-connection handlers, idle timeout, back-pressure, TLS) and UDP, each driven by real
//! sockets on loopback.

#[path = "../common/mod.rs"]
mod common;

mod tcp;
mod udp;
