//! The term layer from outside: conversions of std types (`convert_std`), `#[derive(Term)]`
//! (`derive_term`), the `etf` example (`example`), a golden corpus made by a real `erl`
//! (`golden`), round trips against `erl` and the `eetf` crate (`roundtrip`), and Erlang-syntax
//! text against `erl`'s own printing (`text`).
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.
//! The type registry's own tests stay in their binaries (tests/registry.rs,
//! tests/registry_duplicate.rs): they check every type registered in the binary.

#[path = "../common/mod.rs"]
mod common;

mod convert_std;
mod derive_term;
mod example;
mod golden;
mod roundtrip;
mod text;
