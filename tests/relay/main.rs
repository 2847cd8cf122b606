//! The self-hosted relay (`ergo::relay`, docs/relay.md): members that cannot reach each other
//! directly (the `refuse_direct` test hook: a member dials nothing without a proxy route, so
//! the relay is the only way; in `namespaces`, each in its own network namespace, as separate
//! processes) join through one or two relays; calls, links, monitors, `global`
//! and `pg` across them; membership events; a relay stopped mid-traffic with a second taking
//! over; wrong secrets, unknown clusters, taken names, garbage and replayed proofs refused; the
//! relay's memory under 1,000 idle members (`memory`); a real `erl` node calling through a
//! member (`erl`, with `relay_erl_client.erl`). Every wait has a deadline.

#[path = "../common/mod.rs"]
mod common;

mod admission;
mod cluster;
mod clusters_at_runtime;
mod erl;
mod failover;
mod memory;
mod namespaces;
mod support;
