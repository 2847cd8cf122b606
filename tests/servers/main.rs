//! The servers served by processes (`ergo::servers`): TCP (framing edge cases, host honoured,
//! per-connection handlers, idle timeout, back-pressure, TLS) and UDP, each driven by real
//! sockets on loopback; the web server (`web`) with curl and hyper clients, HTTP/1.1, HTTP/2
//! and TLS.

#[path = "../common/mod.rs"]
mod common;

mod tcp;
mod udp;
mod web;
