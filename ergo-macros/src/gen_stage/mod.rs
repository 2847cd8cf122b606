//! `#[gen_stage]` on an inherent impl block: writes `impl ::ergo::GenStage` that converts the
//! events between terms and the callbacks' declared types (`Vec<T>` in, `Emit<E>`/`Vec<E>`
//! out; `Term` is the untyped path), decodes calls, casts and infos into their declared types,
//! and awaits the user's async callbacks. Stages: `parse` (syn -> `model`), `check` (shapes,
//! spanned errors) and `codegen` (tokens). This module only wires the stages.

mod check;
mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

/// Expands the attribute, or returns every error found (plus the impl block, minus callbacks
/// defined twice, so other errors stay readable).
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    if !attr.is_empty() {
        cx.error_spanned(&attr, "#[gen_stage] takes no arguments");
    }
    let mut block: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            cx.error_spanned(
                &item,
                "#[gen_stage] must be placed on an inherent impl block: `impl MyStage { ... }`",
            );
            return cx.into_compile_errors();
        }
    };
    let stage = parse::stage(&block);
    check::stage(&mut cx, &stage);
    match cx.finish() {
        Ok(()) => codegen::expand(&block, &stage),
        Err(errors) => {
            let duplicates: Vec<usize> = stage.duplicates().map(|(d, _)| d.index).collect();
            block.items = std::mem::take(&mut block.items)
                .into_iter()
                .enumerate()
                .filter(|(index, _)| !duplicates.contains(index))
                .map(|(_, item)| item)
                .collect();
            let errors = errors.to_compile_error();
            quote::quote! { #block #errors }
        }
    }
}
