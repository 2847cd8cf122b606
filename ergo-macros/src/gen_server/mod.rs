//! `#[gen_server]` on an inherent impl block: writes `impl ::ergo::GenServer` that decodes
//! each message into the callback's declared type (downcast for local typed values, `FromTerm`
//! otherwise) and calls the user's async callbacks. Stages: `parse` (syn -> `model`), `check`
//! (the block's and each callback's shape, spanned errors in the crate's `Ctxt`) and `codegen`
//! (tokens, which leave the types to the compiler). This module only wires the stages.

mod check;
mod codegen;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;

/// Expands the attribute, or returns every error found (plus the impl block, so the user's code
/// still type-checks and other errors stay readable; a callback defined twice is left out of it,
/// its duplicate error already says where both are).
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::new();
    let on_bad_message = cx.ok(parse::arguments(attr)).unwrap_or_default();
    let block: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            cx.error_spanned(
                &item,
                "#[gen_server] must be placed on an inherent impl block: `impl MyServer { ... }`",
            );
            return cx.into_compile_errors();
        }
    };
    let server = parse::server(&block, on_bad_message);
    check::server(&mut cx, &server);
    match cx.finish() {
        Ok(()) => codegen::expand(&block, &server),
        Err(errors) => crate::callback::block_with_errors(
            block,
            server.duplicates().map(|(d, _)| d.index),
            errors,
        ),
    }
}
