//! `#[gen_raft]` on an inherent impl block: writes `impl ::ergo::GenRaft` (a gen_raft process,
//! started with `Node::start_raft`) from async callbacks: `init` (the state and the member's
//! `RaftStart`), the raft callbacks `handle_append` (key and value decoded into the declared
//! types), `handle_leader`, `handle_quorum`, `handle_peer`, and the gen_server callbacks
//! `handle_call`, `handle_cast`, `handle_info` (messages decoded into the declared types) and
//! `terminate`. Stages: `parse` (syn -> `model`), `check` (shapes, spanned errors) and `codegen`
//! (tokens). This module only wires the stages.

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
        cx.error_spanned(&attr, "#[gen_raft] takes no arguments");
    }
    let block: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            cx.error_spanned(
                &item,
                "#[gen_raft] must be placed on an inherent impl block: `impl MyState { ... }`",
            );
            return cx.into_compile_errors();
        }
    };
    let model = parse::block(&block);
    check::block(&mut cx, &model);
    match cx.finish() {
        Ok(()) => codegen::expand(&block, &model),
        Err(errors) => crate::callback::block_with_errors(
            block,
            model.duplicates().map(|(d, _)| d.index),
            errors,
        ),
    }
}
