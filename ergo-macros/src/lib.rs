//! Procedural macros of ergo. Each macro is parse -> model -> check -> codegen, in its own
//! module; generated code names only `::ergo::` paths (the facade crate) and never depends on the
//! runtime crates directly.
#![deny(missing_docs)]


mod derive_term;
mod gen_server;

/// Derives `ergo::IntoTerm` and `ergo::FromTerm` (and `ergo::FromFields` for structs with named
/// fields). A struct is a tagged tuple `{snake_case_name, Field1, ...}` by default, a unit struct
/// an atom, an enum's unit variants atoms and its other variants tagged tuples. Attributes:
/// type-level `#[term(tag = "..", map, elixir_struct = "Elixir.M", transparent, register,
/// rename_all = "..")]`, variant-level `#[term(rename = "..")]`, field-level `#[term(rename = "..",
/// charlist, default, default = "path", skip)]`.
#[proc_macro_derive(Term, attributes(term))]
pub fn derive_term(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive_term::expand(input).into()
}

/// `#[gen_server]` on an inherent impl block: implements `ergo::core::GenServer` from async
/// callbacks `init`, `handle_call`, `handle_cast`, `handle_info`, `handle_direct`, `terminate`
/// (each may take `ctx: &mut Context` first). Messages are decoded into the declared types
/// (downcast for local typed values, `FromTerm` otherwise); `Term` takes anything.
#[proc_macro_attribute]
pub fn gen_server(attr: proc_macro::TokenStream, item: proc_macro::TokenStream) -> proc_macro::TokenStream {
    gen_server::expand(attr.into(), item.into()).into()
}
