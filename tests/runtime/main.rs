//! The process runtime on one node: processes, messages, links, monitors and exits
//! (`basic`, `semantics`), the OTP message shapes checked against a real `erl` (`erl_shapes`),
//! supervisors (`supervisor`) and applications (`application`).
//!
//! One test binary for all of them, so that the crate graph is linked once, not once per file.
//! Each module is one former `tests/*.rs` file; their tests run in parallel threads of this one
//! process, so none may rely on process-wide state (node names are unique, see
//! `common::node_name`).

#[path = "../common/mod.rs"]
mod common;

mod application;
mod basic;
mod erl_shapes;
mod semantics;
mod supervisor;
