//! A self-hosted relay: one cluster of ergo-rs nodes across sites and NATs. A relay
//! ([`Node::start_relay`](crate::Node::start_relay)) is an ergo-rs node that member nodes
//! connect out to over TLS; each member proves it holds its cluster's secret with a
//! challenge-response bound to the TLS session (`admission.rs`), claims `name@cluster`, and
//! gets the member list. Members reach each other through the relay on ordinary proxy routes
//! ([`crate::net::ProxyRoute`]), encrypted end to end and cookie-checked between the members,
//! so the relay can neither read nor forge what it relays. A member
//! ([`Node::join_relays`](crate::Node::join_relays)) keeps a connection to each relay it is
//! given, moves routes to another relay when one goes, and publishes membership events
//! ([`RelayEvent`] on [`RELAY_EVENT`]).
//!
//! Files: `admission.rs` (the admission messages and key derivations), `server.rs` (the
//! relay), `member.rs` (the member side), `events.rs` (the events), `options.rs`, `error.rs`.
//! Owns the relay service and membership; must not change how tunnels or connections work
//! (the proxy layer's and the connection manager's).

pub mod admission;
mod error;
mod events;
mod member;
mod options;
mod server;

pub use error::RelayError;
pub use events::{RelayEvent, RELAY_EVENT};
pub use member::{RelayMembership, MEMBER_PROCESS};
pub use options::{RelayCluster, RelayMemberOptions, RelayOptions};
pub use server::{Relay, RelayStats};
