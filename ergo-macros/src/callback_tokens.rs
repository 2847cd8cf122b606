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

/// The trait's `format_state`, calling the block's own (`fn format_state(&self) -> Term`).
pub(crate) fn format_state_method(ty: &syn::Type) -> TokenStream {
    quote! {
        fn format_state(&self) -> ::ergo::Term {
            <#ty>::format_state(self)
        }
    }
}

/// The trait's `terminate` (the gen_server-shaped one, returning a `Send` future), calling the
/// block's `terminate` with the context when it takes one and the reason through `ReasonParam`.
pub(crate) fn terminate_method<K>(ty: &syn::Type, m: &Callback<K>) -> TokenStream {
    let p = private();
    let reason = param(m, 0);
    let c = ctx_arg(m);
    quote! {
        fn terminate(&mut self, ctx: &mut ::ergo::Context, reason: &::ergo::Term)
            -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
            let _ = &ctx;
            async move {
                <#ty>::terminate(self, #c <#reason as #p::ReasonParam<'_>>::from_reason(reason)).await
            }
        }
    }
}
