//! `#[derive(Term)]`: `IntoTerm`/`FromTerm` (and `FromFields`, and a registry entry) for structs
//! and enums. The stages are `parse` (syn input -> `model`), `check` (consistency, spanned
//! errors collected in the crate's `Ctxt`) and `codegen` (tokens). This module only wires them; it must not
//! generate code or report errors itself.
//!
//! Encodings: a struct with fields is a tagged tuple `{snake_name, F1, ...}` (`#[term(tag =
//! "..")]` renames the tag), a unit struct the atom `snake_name`, `#[term(map)]` a map keyed by
//! field-name atoms, `#[term(elixir_struct = "Elixir.M")]` that map plus `__struct__ => 'Elixir.M'`,
//! `#[term(transparent)]` the single field's term. Enum unit variants are atoms, other variants
//! tagged tuples. Field attributes: `rename`, `charlist`, `default` / `default = "path"`, `skip`.

mod check;
mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

/// Expands the derive, or returns every error found as `compile_error!`s.
pub(crate) fn expand(input: syn::DeriveInput) -> TokenStream {
    let mut cx = crate::ctxt::Ctxt::new();
    let container = parse::container(&mut cx, &input);
    if let Some(container) = &container {
        check::container(&mut cx, container);
    }
    if let Err(errors) = cx.finish() {
        return errors.to_compile_error();
    }
    match container {
        Some(container) => codegen::expand(&container),
        None => TokenStream::new(),
    }
}
