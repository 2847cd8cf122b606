//! `#[application(name = "..", description = "..", version = "..", root = RootSup,
//! applications = [dep, ..], env = [key = value, ..])]` on a struct or enum: implements
//! `::ergo::Application` whose `spec()` builds the `ApplicationSpec`. Stages: `parse` (attribute
//! -> `model`, with unknown/duplicate keys and value shapes reported at their spans) and
//! `codegen`. Must not name runtime crates: generated code uses `::ergo::` paths.

mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

/// Expands the attribute, or returns every error found (plus the item unchanged).
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let input: syn::DeriveInput = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            return syn::Error::new_spanned(
                &item,
                "#[application] must be placed on a struct or enum (e.g. `struct Shop;`)",
            )
            .to_compile_error();
        }
    };
    let model = parse::application(attr, &input, &mut errors);
    if let Some(first) = crate::supervisor::parse::combine(errors) {
        let compile_errors = first.to_compile_error();
        return quote::quote! { #input #compile_errors };
    }
    codegen::expand(&input, &model)
}
