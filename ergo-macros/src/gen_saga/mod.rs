//! `#[gen_saga]` and `#[saga_worker]` on an inherent impl block: write `impl ::ergo::GenSaga`
//! or `impl ::ergo::SagaWorker` that decode each value into the callback's declared type and
//! call the user's async callbacks. Stages: `parse` (syn -> `model`), `check` (shapes, spanned
//! errors in the crate's `Ctxt`), `codegen` (tokens; types left to the compiler). The two
//! attributes share every stage, told apart by `model::Behaviour`. This module only wires them.

mod check;
mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
pub(crate) use model::Behaviour;

/// Expands the attribute, or returns every error found (plus the block, so the user's code
/// still type-checks; a callback defined twice is left out, its error says where both are).
pub(crate) fn expand(behaviour: Behaviour, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let max_transactions = cx.ok(parse::arguments(behaviour, attr)).flatten();
    let mut item: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            cx.error_spanned(
                &item,
                format!(
                    "{} must be placed on an inherent impl block: `impl MyType {{ ... }}`",
                    behaviour.attribute()
                ),
            );
            return cx.into_compile_errors();
        }
    };
    let block = parse::block(behaviour, &item, max_transactions);
    check::block(&mut cx, &block);
    match cx.finish() {
        Ok(()) => codegen::expand(&item, &block),
        Err(errors) => {
            let duplicates: Vec<usize> = block.duplicates().map(|(d, _)| d.index).collect();
            item.items = std::mem::take(&mut item.items)
                .into_iter()
                .enumerate()
                .filter(|(index, _)| !duplicates.contains(index))
                .map(|(_, item)| item)
                .collect();
            let errors = errors.to_compile_error();
            quote::quote! { #item #errors }
        }
    }
}
