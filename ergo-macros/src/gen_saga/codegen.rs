//! Generates `impl ::ergo::GenSaga` (from `#[gen_saga]`) or `impl ::ergo::SagaWorker` (from
//! `#[saga_worker]`) from a checked model: each trait method decodes the values the user's
//! callback declares (`__private::take::<T>`: downcast or `FromTerm`), passes ids and reasons
//! as they are (the compiler checks the user's types), the `&mut` handle through a trait, and
//! converts the result through `__private`'s traits (`InitReturn`,
//! `StatusReturn`, `CallReturn`, `DoneReturn`, `ReplyToParam`, `ReasonParam`,
//! `ContextParam`, `SagaContextParam`, `JobParam`). A value a callback cannot decode follows the runtime's one policy
//! (`__private::saga_bad_value` / `job_bad_value`). Names only `::ergo` root items,
//! `::ergo::saga` and `::ergo::__private`. Must not check anything.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{Behaviour, Block, Method};
use crate::callback_tokens::{ctx_arg, param, private, ret_ty};

/// The handle argument (with its trailing comma) when the callback takes one, through
/// `SagaContextParam` (`saga`) or `JobParam` (`job`), so a wrong type is reported at it.
fn handle_arg(m: &Method, handle: TokenStream) -> TokenStream {
    let p = private();
    let is_job = handle.to_string() == "job";
    match (&m.ctx_ty, is_job) {
        (Some(ty), false) => quote! { <#ty as #p::SagaContextParam<'_, '_>>::from_saga(#handle), },
        (Some(ty), true) => quote! { <#ty as #p::JobParam<'_>>::from_job(#handle), },
        (None, _) => quote! {},
    }
}

/// The block unchanged, plus the trait impl.
pub(super) fn expand(item: &syn::ItemImpl, block: &Block) -> TokenStream {
    let methods = match block.args.behaviour {
        Behaviour::Saga => saga(block),
        Behaviour::Worker => worker(block),
    };
    let ty = &block.self_ty;
    let trait_path = match block.args.behaviour {
        Behaviour::Saga => quote! { ::ergo::GenSaga },
        Behaviour::Worker => quote! { ::ergo::SagaWorker },
    };
    quote! {
        #item
        #[automatically_derived]
        impl #trait_path for #ty {
            #(#methods)*
        }
    }
}

/// A status callback taking ids as they are and its last parameter decoded: `(name, ids,
/// what to do when the value does not decode)`.
fn status_callback(
    block: &Block,
    name: &str,
    ids: &[(&str, TokenStream)],
    decode_last: bool,
) -> Option<TokenStream> {
    let m = block.named(name)?;
    let ty = &block.self_ty;
    let p = private();
    let fn_name = syn::Ident::new(name, proc_macro2::Span::call_site());
    let s = handle_arg(m, quote! { saga });
    let ret = ret_ty(m);
    let id_params: Vec<TokenStream> = ids
        .iter()
        .map(|(n, t)| {
            let n = syn::Ident::new(n, proc_macro2::Span::call_site());
            quote! { #n: #t }
        })
        .collect();
    let id_args: Vec<syn::Ident> = ids
        .iter()
        .map(|(n, _)| syn::Ident::new(n, proc_macro2::Span::call_site()))
        .collect();
    let last = param(m, ids.len());
    let body = if decode_last {
        quote! {
            match #p::take::<#last>(::ergo::Payload::Term(value)) {
                ::core::result::Result::Ok(value) => <#ret as #p::StatusReturn>::into_status(
                    <#ty>::#fn_name(self, #s #(#id_args,)* value).await),
                ::core::result::Result::Err(term) => {
                    #p::saga_bad_value::<#last>(saga, &tx, #name, term)
                }
            }
        }
    } else {
        quote! {
            <#ret as #p::StatusReturn>::into_status(<#ty>::#fn_name(self, #s #(#id_args,)* value).await)
        }
    };
    Some(quote! {
        async fn #fn_name(&mut self, saga: &mut ::ergo::saga::SagaContext<'_>, #(#id_params,)* value: ::ergo::Term)
            -> ::ergo::Status {
            let _ = &saga;
            #body
        }
    })
}

fn saga(block: &Block) -> Vec<TokenStream> {
    let ty = &block.self_ty;
    let p = private();
    let tx = quote! { ::ergo::saga::TxId };
    let next = quote! { ::ergo::saga::NextId };
    let job = quote! { ::ergo::saga::JobId };
    let mut out = Vec::new();
    if let Some(m) = block.named("init") {
        let args = param(m, 0);
        let ret = ret_ty(m);
        let c = ctx_arg(m);
        let max = match &block.args.max_transactions {
            Some(e) => quote! { #e },
            None => quote! { 0 },
        };
        out.push(quote! {
            type Args = #args;
            async fn init(ctx: &mut ::ergo::Context, args: #args)
                -> ::ergo::Init<(Self, ::ergo::saga::SagaOptions)> {
                let _ = &ctx;
                let options = ::ergo::saga::SagaOptions { max_transactions: #max };
                match <#ret as #p::InitReturn<Self>>::into_init(<#ty>::init(#c args).await) {
                    ::ergo::Init::Ok(state) => ::ergo::Init::Ok((state, options)),
                    ::ergo::Init::Ignore => ::ergo::Init::Ignore,
                    ::ergo::Init::Stop(reason) => ::ergo::Init::Stop(reason),
                }
            }
        });
    }
    let tx_id = ("tx", tx.clone());
    out.extend(status_callback(
        block,
        "handle_tx_new",
        std::slice::from_ref(&tx_id),
        true,
    ));
    out.extend(status_callback(
        block,
        "handle_tx_result",
        &[tx_id.clone(), ("next", next.clone())],
        true,
    ));
    out.extend(status_callback(
        block,
        "handle_tx_interim",
        &[tx_id.clone(), ("next", next)],
        true,
    ));
    out.extend(status_callback(
        block,
        "handle_tx_cancel",
        std::slice::from_ref(&tx_id),
        false,
    ));
    out.extend(status_callback(
        block,
        "handle_tx_commit",
        std::slice::from_ref(&tx_id),
        true,
    ));
    out.extend(status_callback(
        block,
        "handle_job_result",
        &[tx_id.clone(), ("job", job.clone())],
        true,
    ));
    out.extend(status_callback(
        block,
        "handle_job_interim",
        &[tx_id.clone(), ("job", job.clone())],
        true,
    ));
    out.extend(status_callback(
        block,
        "handle_job_failed",
        &[tx_id, ("job", job)],
        false,
    ));
    if let Some(m) = block.named("handle_tx_done") {
        let s = handle_arg(m, quote! { saga });
        let ret = ret_ty(m);
        let result = param(m, 1);
        out.push(quote! {
            async fn handle_tx_done(&mut self, saga: &mut ::ergo::saga::SagaContext<'_>, tx: #tx, value: ::ergo::Term)
                -> (::ergo::Term, ::ergo::Status) {
                let _ = &saga;
                match #p::take::<#result>(::ergo::Payload::Term(value)) {
                    ::core::result::Result::Ok(value) => (
                        <#ret as #p::DoneReturn>::into_final(<#ty>::handle_tx_done(self, #s tx, value).await),
                        ::ergo::Status::Continue,
                    ),
                    ::core::result::Result::Err(term) => {
                        #p::saga_bad_value::<#result>(saga, &tx, "handle_tx_done", term.clone());
                        (term, ::ergo::Status::Continue)
                    }
                }
            }
        });
    }
    if let Some(m) = block.named("handle_call") {
        let s = handle_arg(m, quote! { saga });
        let msg = param(m, 0);
        let from_ty = param(m, 1);
        let ret = ret_ty(m);
        out.push(quote! {
            async fn handle_call(&mut self, saga: &mut ::ergo::saga::SagaContext<'_>, request: ::ergo::Payload, from: #p::ReplyTo)
                -> ::ergo::CallOutcome {
                let _ = &saga;
                match #p::take::<#msg>(request) {
                    ::core::result::Result::Ok(msg) => <#ret as #p::CallReturn>::into_outcome(
                        <#ty>::handle_call(self, #s msg, <#from_ty as #p::ReplyToParam>::from_reply_to(from)).await),
                    ::core::result::Result::Err(term) => {
                        #p::log_bad_message::<#msg>("call", &term);
                        ::ergo::CallOutcome::Refuse(term)
                    }
                }
            }
        });
    }
    for (name, kind) in [("handle_cast", "cast"), ("handle_info", "info")] {
        let Some(m) = block.named(name) else { continue };
        let fn_name = syn::Ident::new(name, proc_macro2::Span::call_site());
        let s = handle_arg(m, quote! { saga });
        let msg = param(m, 0);
        let ret = ret_ty(m);
        out.push(quote! {
            async fn #fn_name(&mut self, saga: &mut ::ergo::saga::SagaContext<'_>, message: ::ergo::Payload)
                -> ::ergo::Status {
                let _ = &saga;
                match #p::take::<#msg>(message) {
                    ::core::result::Result::Ok(msg) => <#ret as #p::StatusReturn>::into_status(
                        <#ty>::#fn_name(self, #s msg).await),
                    ::core::result::Result::Err(term) => {
                        #p::log_bad_message::<#msg>(#kind, &term);
                        ::ergo::Status::Continue
                    }
                }
            }
        });
    }
    if let Some(m) = block.named("terminate") {
        let reason = param(m, 0);
        let c = ctx_arg(m);
        out.push(quote! {
            async fn terminate(&mut self, ctx: &mut ::ergo::Context, reason: &::ergo::Term) {
                let _ = &ctx;
                <#ty>::terminate(self, #c <#reason as #p::ReasonParam<'_>>::from_reason(reason)).await
            }
        });
    }
    out
}

fn worker(block: &Block) -> Vec<TokenStream> {
    let ty = &block.self_ty;
    let p = private();
    let mut out = Vec::new();
    if let Some(m) = block.named("handle_job_start") {
        let j = handle_arg(m, quote! { job });
        let value_ty = param(m, 0);
        let ret = ret_ty(m);
        out.push(quote! {
            async fn handle_job_start(&mut self, job: &mut ::ergo::saga::Job, value: ::ergo::Term) -> ::ergo::Status {
                let _ = &job;
                match #p::take::<#value_ty>(::ergo::Payload::Term(value)) {
                    ::core::result::Result::Ok(value) => <#ret as #p::StatusReturn>::into_status(
                        <#ty>::handle_job_start(self, #j value).await),
                    ::core::result::Result::Err(term) => #p::job_bad_value::<#value_ty>("handle_job_start", term),
                }
            }
        });
    }
    if let Some(m) = block.named("handle_job_cancel") {
        let j = handle_arg(m, quote! { job });
        out.push(quote! {
            async fn handle_job_cancel(&mut self, job: &mut ::ergo::saga::Job, reason: ::ergo::Term) {
                let _ = &job;
                <#ty>::handle_job_cancel(self, #j reason).await
            }
        });
    }
    if let Some(m) = block.named("handle_job_commit") {
        let j = handle_arg(m, quote! { job });
        let value_ty = param(m, 0);
        out.push(quote! {
            async fn handle_job_commit(&mut self, job: &mut ::ergo::saga::Job, value: ::ergo::Term) {
                let _ = &job;
                match #p::take::<#value_ty>(::ergo::Payload::Term(value)) {
                    ::core::result::Result::Ok(value) => <#ty>::handle_job_commit(self, #j value).await,
                    ::core::result::Result::Err(term) => {
                        let _ = #p::job_bad_value::<#value_ty>("handle_job_commit", term);
                    }
                }
            }
        });
    }
    if let Some(m) = block.named("handle_job_info") {
        let j = handle_arg(m, quote! { job });
        let msg = param(m, 0);
        let ret = ret_ty(m);
        out.push(quote! {
            async fn handle_job_info(&mut self, job: &mut ::ergo::saga::Job, message: ::ergo::Payload) -> ::ergo::Status {
                let _ = &job;
                match #p::take::<#msg>(message) {
                    ::core::result::Result::Ok(msg) => <#ret as #p::StatusReturn>::into_status(
                        <#ty>::handle_job_info(self, #j msg).await),
                    ::core::result::Result::Err(term) => {
                        #p::log_bad_message::<#msg>("info", &term);
                        ::ergo::Status::Continue
                    }
                }
            }
        });
    }
    out
}
