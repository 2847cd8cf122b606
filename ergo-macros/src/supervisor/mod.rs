//! `#[supervisor(strategy = .., intensity = .., period = ..)]` on an inherent impl block holding
//! one `children! { .. }` list: implements `::ergo::Supervisor` whose `init` builds the
//! `SupervisorSpec`. Stages: `parse` (tokens -> `model`, syntax and unknown/duplicate keys),
//! `check` (meaning: strategy names, duplicate ids, significant/permanent, simple_one_for_one
//! child count) and `codegen`. Every error is collected with its span in the crate's `Ctxt`;
//! this module only wires the stages. Must not name runtime crates: generated code uses
//! `::ergo::` paths.

mod check;
mod codegen;
mod model;
pub(crate) mod parse;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

/// Expands the attribute, or returns every error found.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let block: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            cx.error_spanned(
                &item,
                "#[supervisor] must be placed on an inherent impl block holding `children! { .. }`: `impl MySup { children! { .. } }`",
            );
            return cx.into_compile_errors();
        }
    };
    let model = parse::supervisor(&mut cx, attr, &block);
    if let Some(model) = &model {
        check::supervisor(&mut cx, model);
    }
    match (cx.finish(), model) {
        (Ok(()), Some(model)) => codegen::expand(&model),
        (Ok(()), None) => TokenStream::new(),
        (Err(errors), model) => {
            // Keep the rest of the impl block so the user's other code still type-checks.
            let compile_errors = errors.to_compile_error();
            let rest = model.as_ref().map(|m| &m.rest);
            quote::quote! { #rest #compile_errors }
        }
    }
}
