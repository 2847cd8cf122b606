//! `#[gen_raft]` on an inherent impl block: implements `::ergo::GenRaft` from the block's
//! callbacks `handle_append`, `handle_leader`, `handle_quorum`, `handle_peer` (each optional,
//! synchronous, taking `&mut self`); the block's other items stay an inherent impl. Stages:
//! `parse` (the item -> `model`), `check` (each callback's shape, at its span), `codegen`. Must
//! not name runtime crates: generated code uses `::ergo::` paths.

mod check;
mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

/// Expands the attribute, or returns every error found (plus the item unchanged).
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    if !attr.is_empty() {
        cx.error_spanned(&attr, "#[gen_raft] takes no arguments");
    }
    let block: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            cx.error_spanned(
                &item,
                "#[gen_raft] must be placed on an inherent impl block (`impl MyState { .. }`)",
            );
            return cx.into_compile_errors();
        }
    };
    let model = parse::gen_raft(&mut cx, &block);
    check::callbacks(&mut cx, &model);
    match cx.finish() {
        Ok(()) => codegen::expand(&block, &model),
        Err(errors) => {
            let compile_errors = errors.to_compile_error();
            quote::quote! { #block #compile_errors }
        }
    }
}
