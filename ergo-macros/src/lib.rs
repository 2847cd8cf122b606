//! Procedural macros of ergo. Each macro is parse -> model -> check -> codegen, in its own
//! module; generated code names only `::ergo::` paths (the facade crate) and never depends on the
//! runtime crates directly.
#![deny(missing_docs)]


