//! gen_saga across Rust nodes in one process over loopback (static routes, no EPMD): a sum
//! computed by three nodes' sagas in parallel with interim results, cancels started at each
//! position of a three-node chain reaching every participant once, a node stopped in the middle
//! of a transaction, lifespans across nodes, two-phase commit both ways, trap_cancel rerouting,
//! the transaction limit, loop detection and the hop limit, a stopping saga, bad input, the
//! macros, and the wire shapes as a foreign saga sends and reads them. Every saga and worker
//! records each callback in one log the test reads; every wait has a deadline.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod cancel;
mod commit;
mod limits;
mod sum;
mod support;
mod typed;
mod wire;
