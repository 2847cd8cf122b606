//! `#[application(name = "..", description = "..", version = "..", root = RootSup,
//! applications = [dep, ..], env = [key = value, ..])]` on a struct or enum: implements
//! `::ergo::Application` whose `spec()` builds the `ApplicationSpec`. Stages: `parse` (attribute
//! -> `model`, with unknown/duplicate keys and value shapes reported at their spans) and
//! `codegen`. Must not name runtime crates: generated code uses `::ergo::` paths.

mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

/// Expands the attribute, or returns every error found (plus the item unchanged).
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let input: syn::DeriveInput = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            cx.error_spanned(
                &item,
                "#[application] must be placed on a struct or enum (e.g. `struct Shop;`)",
            );
            return cx.into_compile_errors();
        }
    };
    let model = parse::application(&mut cx, attr, &input);
    match cx.finish() {
        Ok(()) => codegen::expand(&input, &model),
        Err(errors) => {
            let compile_errors = errors.to_compile_error();
            quote::quote! { #input #compile_errors }
        }
    }
}
