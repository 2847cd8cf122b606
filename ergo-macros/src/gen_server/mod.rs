//! `#[gen_server]` on an inherent impl block: writes `impl ::ergo::core::GenServer` that decodes
//! each message into the callback's declared type (downcast for local typed values, `FromTerm`
//! otherwise) and calls the user's async callbacks. Stages: `parse` (syn -> `model`, with
//! signature checks) and `codegen` (tokens). Every error is collected with its span and emitted
//! as `compile_error!`; this module only wires the stages.

mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

/// Expands the attribute, or returns every error found (plus the unchanged impl block, so the
/// user's code still type-checks and other errors stay readable).
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors: Vec<syn::Error> = Vec::new();
    if !attr.is_empty() {
        errors.push(syn::Error::new_spanned(
            &attr,
            "#[gen_server] takes no arguments",
        ));
    }
    let block: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            let e = syn::Error::new_spanned(
                &item,
                "#[gen_server] must be placed on an inherent impl block: `impl MyServer { ... }`",
            );
            return e.to_compile_error();
        }
    };
    let server = parse::server(&block, &mut errors);
    if let Some(first) = errors.into_iter().reduce(|mut a, b| {
        a.combine(b);
        a
    }) {
        let compile_errors = first.to_compile_error();
        return quote::quote! { #block #compile_errors };
    }
    match server {
        Some(server) => codegen::expand(&block, &server),
        None => quote::quote! { #block },
    }
}
