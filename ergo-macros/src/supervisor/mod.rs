//! `#[supervisor(strategy = .., intensity = .., period = ..)]` on an inherent impl block holding
//! one `children! { .. }` list: implements `::ergo::Supervisor` whose `init` builds the
//! `SupervisorSpec`. Stages: `parse` (tokens -> `model`, syntax and unknown/duplicate keys),
//! `check` (meaning: strategy names, duplicate ids, significant/permanent, simple_one_for_one
//! child count) and `codegen`. Every error is collected with its span; this module only wires
//! the stages. Must not name runtime crates: generated code uses `::ergo::` paths.

mod check;
mod codegen;
mod model;
pub(crate) mod parse;

use proc_macro2::TokenStream;

/// Expands the attribute, or returns every error found.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors: Vec<syn::Error> = Vec::new();
    let block: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            return syn::Error::new_spanned(
                &item,
                "#[supervisor] must be placed on an inherent impl block holding `children! { .. }`: `impl MySup { children! { .. } }`",
            )
            .to_compile_error();
        }
    };
    let model = parse::supervisor(attr, &block, &mut errors);
    if let Some(model) = &model {
        check::supervisor(model, &mut errors);
    }
    if let Some(first) = parse::combine(errors) {
        // Keep the rest of the impl block so the user's other code still type-checks.
        let compile_errors = first.to_compile_error();
        let rest = model.as_ref().map(|m| &m.rest);
        return quote::quote! { #rest #compile_errors };
    }
    match model {
        Some(model) => codegen::expand(&model),
        None => TokenStream::new(),
    }
}
