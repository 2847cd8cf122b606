//! The tokens every impl-block behaviour's codegen writes for a callback the same way: the
//! `::ergo::__private` path, the process-context argument through `ContextParam`, the declared
//! return type and a parameter's type. Owns these pieces only; each behaviour's `codegen` puts
//! them together and writes its own handles (raft, saga, job) and conversions.

use proc_macro2::TokenStream;
use quote::quote;

use crate::callback::Callback;

/// `::ergo::__private`, where the conversion traits live.
pub(crate) fn private() -> TokenStream {
    quote! { ::ergo::__private }
}

/// The process-context argument (with its trailing comma) when the callback takes one,
/// through `ContextParam`, so a wrong type is reported at it; else nothing.
pub(crate) fn ctx_arg<K>(m: &Callback<K>) -> TokenStream {
    let p = private();
    match &m.ctx_ty {
        Some(ty) => quote! { <#ty as #p::ContextParam<'_>>::from_context(ctx), },
        None => quote! {},
    }
}

/// The declared return type, or `()`.
pub(crate) fn ret_ty<K>(m: &Callback<K>) -> TokenStream {
    match &m.ret_ty {
        Some(ty) => quote! { #ty },
        None => quote! { () },
    }
}

/// The `i`th parameter type (after self and the handle).
pub(crate) fn param<K>(m: &Callback<K>, i: usize) -> TokenStream {
    let ty = m.params.get(i);
    quote! { #ty }
}
