//! Generates `impl ::ergo::GenStage` from a checked model: each trait method converts what it
//! receives into the user's declared types, awaits the user's inherent callback, and converts
//! what it returns back. `handle_demand` and `handle_events` are generated twice: the batch
//! methods the engine calls (a typed batch in and out, as the user's own `Vec<T>` / `Vec<E>`,
//! converted only when the types differ) and the plain term methods of the trait. Every user type goes through a trait of `::ergo::__private` at its
//! span (`StageInitReturn`, `EmitReturn`, `EventsParam`, `SubscribeReturn`, `StageCallReturn`,
//! `ContextParam`, `ReplyToParam`, `ReasonParam`), so the compiler reports a wrong type at the
//! user's type; messages go through `__private::take::<T>`. Names only items at the root of
//! `::ergo`, `::ergo::stage` and `::ergo::__private`, plus `::core` and `::std`. Must not
//! check anything (check did).

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{Kind, Stage};
use crate::callback_tokens::{
    ctx_arg, format_state_method, param, private, ret_ty, terminate_method,
};

/// The block unchanged, plus the trait impl.
pub(super) fn expand(block: &syn::ItemImpl, stage: &Stage) -> TokenStream {
    let ty = &stage.self_ty;
    let p = private();
    let s = quote! { ::ergo::stage };
    let fut = quote! { ::core::future::Future };
    let send = quote! { ::core::marker::Send };
    let mut methods = Vec::new();

    if let Some(cb) = stage.get(Kind::Init) {
        let args = param(cb, 0);
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            type Args = #args;
            fn init(ctx: &mut ::ergo::Context, args: #args) -> impl #fut<Output = #s::StageInit<Self>> + #send {
                let _ = &ctx;
                async move { <#ret as #p::StageInitReturn<Self>>::into_stage_init(<#ty>::init(#c args).await) }
            }
        });
    }
    if let Some(cb) = stage.get(Kind::Demand) {
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_demand_batch(&mut self, ctx: &mut ::ergo::Context, demand: u64)
                -> impl #fut<Output = ::core::result::Result<#s::EventBatch, ::ergo::Term>> + #send {
                let _ = &ctx;
                async move { <#ret as #p::EmitReturn>::into_batch(<#ty>::handle_demand(self, #c demand).await) }
            }
            fn handle_demand(&mut self, ctx: &mut ::ergo::Context, demand: u64) -> impl #fut<Output = #s::Emit> + #send {
                let _ = &ctx;
                async move { <#ret as #p::EmitReturn>::into_emit(<#ty>::handle_demand(self, #c demand).await) }
            }
        });
    }
    if let Some(cb) = stage.get(Kind::Events) {
        let events = param(cb, 0);
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_events_batch(&mut self, ctx: &mut ::ergo::Context, events: #s::EventBatch, from: &#s::StageFrom)
                -> impl #fut<Output = ::core::result::Result<#s::EventBatch, ::ergo::Term>> + #send {
                let _ = &ctx;
                async move {
                    let events = <#events as #p::EventsParam>::from_batch(events);
                    <#ret as #p::EmitReturn>::into_batch(<#ty>::handle_events(self, #c events, from).await)
                }
            }
            fn handle_events(&mut self, ctx: &mut ::ergo::Context, events: ::std::vec::Vec<::ergo::Term>, from: &#s::StageFrom)
                -> impl #fut<Output = #s::Emit> + #send {
                let _ = &ctx;
                async move {
                    let events = <#events as #p::EventsParam>::from_batch(#s::EventBatch::Terms(events));
                    <#ret as #p::EmitReturn>::into_emit(<#ty>::handle_events(self, #c events, from).await)
                }
            }
        });
    }
    if let Some(cb) = stage.get(Kind::Subscribe) {
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_subscribe(&mut self, ctx: &mut ::ergo::Context, role: #s::Role, options: &::ergo::Term, from: &#s::StageFrom)
                -> impl #fut<Output = #s::SubscribeMode> + #send {
                let _ = &ctx;
                async move {
                    <#ret as #p::SubscribeReturn>::into_mode(<#ty>::handle_subscribe(self, #c role, options, from).await)
                }
            }
        });
    }
    if let Some(cb) = stage.get(Kind::Cancel) {
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_cancel(&mut self, ctx: &mut ::ergo::Context, cancel: #s::CancelKind, from: &#s::StageFrom)
                -> impl #fut<Output = #s::Emit> + #send {
                let _ = &ctx;
                async move {
                    <#ret as #p::EmitReturn>::into_emit(<#ty>::handle_cancel(self, #c cancel, from).await)
                }
            }
        });
    }
    if let Some(cb) = stage.get(Kind::Call) {
        let msg = param(cb, 0);
        let from_ty = param(cb, 1);
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_call(&mut self, ctx: &mut ::ergo::Context, request: ::ergo::Payload, from: #p::ReplyTo)
                -> impl #fut<Output = #s::StageReply> + #send {
                let _ = &ctx;
                async move {
                    match #p::take::<#msg>(request) {
                        ::core::result::Result::Ok(msg) => <#ret as #p::StageCallReturn>::into_stage_reply(
                            <#ty>::handle_call(self, #c msg, <#from_ty as #p::ReplyToParam>::from_reply_to(from)).await),
                        ::core::result::Result::Err(term) => {
                            #p::log_bad_message::<#msg>("call", &term);
                            #s::StageReply::Refuse(term)
                        }
                    }
                }
            }
        });
    }
    for (kind, name, what) in [
        (Kind::Cast, quote! { handle_cast }, "cast"),
        (Kind::Info, quote! { handle_info }, "info"),
    ] {
        if let Some(cb) = stage.get(kind) {
            let msg = param(cb, 0);
            let ret = ret_ty(cb);
            let c = ctx_arg(cb);
            methods.push(quote! {
                fn #name(&mut self, ctx: &mut ::ergo::Context, message: ::ergo::Payload)
                    -> impl #fut<Output = #s::Emit> + #send {
                    let _ = &ctx;
                    async move {
                        match #p::take::<#msg>(message) {
                            ::core::result::Result::Ok(msg) => <#ret as #p::EmitReturn>::into_emit(
                                <#ty>::#name(self, #c msg).await),
                            ::core::result::Result::Err(term) => {
                                #p::log_bad_message::<#msg>(#what, &term);
                                #s::Emit::none()
                            }
                        }
                    }
                }
            });
        }
    }
    if stage.has_fn("format_state") {
        methods.push(format_state_method(ty));
    }
    if let Some(cb) = stage.get(Kind::Terminate) {
        methods.push(terminate_method(ty, cb));
    }
    quote! {
        #block
        #[automatically_derived]
        impl ::ergo::GenStage for #ty {
            #(#methods)*
        }
    }
}
