//! Generates `impl ::ergo::core::GenServer` from the model: each trait method decodes the payload
//! into the user's declared type and awaits the user's inherent callback. Names only `::ergo::`
//! paths. Must not check anything (parse did).

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{Kind, Server};

fn ctx_arg(has_ctx: bool) -> TokenStream {
    if has_ctx {
        quote! { ctx, }
    } else {
        quote! {}
    }
}

/// The block unchanged, plus the trait impl.
pub fn expand(block: &syn::ItemImpl, server: &Server) -> TokenStream {
    let ty = &server.self_ty;
    let core = quote! { ::ergo::runtime };
    let fut = quote! { ::core::future::Future };
    let send = quote! { ::core::marker::Send };
    let mut methods = Vec::new();

    if let Some(cb) = server.get(Kind::Init) {
        let args = &cb.msg_ty;
        let c = ctx_arg(cb.has_ctx);
        methods.push(quote! {
            type Args = #args;
            fn init(ctx: &mut #core::Context, args: #args) -> impl #fut<Output = #core::Init<Self>> + #send {
                let _ = &ctx;
                async move { #core::gen::server::IntoInit::into_init(<#ty>::init(#c args).await) }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Call) {
        let msg = &cb.msg_ty;
        let c = ctx_arg(cb.has_ctx);
        methods.push(quote! {
            fn handle_call(&mut self, ctx: &mut #core::Context, request: #core::Payload, from: #core::ReplyTo)
                -> impl #fut<Output = #core::CallOutcome> + #send {
                let _ = &ctx;
                async move {
                    match request.take::<#msg>() {
                        ::core::result::Result::Ok(msg) => #core::gen::server::IntoCallOutcome::into_outcome(
                            <#ty>::handle_call(self, #c msg, from).await),
                        ::core::result::Result::Err(undecodable) => #core::CallOutcome::Refuse(undecodable.term),
                    }
                }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Cast) {
        let msg = &cb.msg_ty;
        let c = ctx_arg(cb.has_ctx);
        methods.push(quote! {
            fn handle_cast(&mut self, ctx: &mut #core::Context, request: #core::Payload)
                -> impl #fut<Output = #core::Status> + #send {
                let _ = &ctx;
                async move {
                    match request.take::<#msg>() {
                        ::core::result::Result::Ok(msg) => #core::gen::server::IntoStatus::into_status(
                            <#ty>::handle_cast(self, #c msg).await),
                        ::core::result::Result::Err(undecodable) => #core::Status::Stop(::ergo::Term::tuple(
                            ::std::vec![::ergo::Term::atom("bad_cast"), undecodable.term])),
                    }
                }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Info) {
        let msg = &cb.msg_ty;
        let c = ctx_arg(cb.has_ctx);
        methods.push(quote! {
            fn handle_info(&mut self, ctx: &mut #core::Context, message: #core::Payload)
                -> impl #fut<Output = #core::Status> + #send {
                let _ = &ctx;
                async move {
                    match message.take::<#msg>() {
                        ::core::result::Result::Ok(msg) => #core::gen::server::IntoStatus::into_status(
                            <#ty>::handle_info(self, #c msg).await),
                        ::core::result::Result::Err(undecodable) => {
                            ::ergo::runtime::__private_warn_unexpected_info(&undecodable.term);
                            #core::Status::Continue
                        }
                    }
                }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Direct) {
        let msg = &cb.msg_ty;
        let c = ctx_arg(cb.has_ctx);
        methods.push(quote! {
            fn handle_direct(&mut self, ctx: &mut #core::Context, request: ::std::boxed::Box<dyn ::core::any::Any + #send>)
                -> impl #fut<Output = ::core::result::Result<::std::boxed::Box<dyn ::core::any::Any + #send>, ::ergo::Term>> + #send {
                let _ = &ctx;
                async move {
                    match request.downcast::<#msg>() {
                        ::core::result::Result::Ok(msg) => {
                            let result = <#ty>::handle_direct(self, #c *msg).await;
                            ::core::result::Result::Ok(::std::boxed::Box::new(result) as ::std::boxed::Box<dyn ::core::any::Any + #send>)
                        }
                        ::core::result::Result::Err(_) => ::core::result::Result::Err(::ergo::Term::atom("bad_direct_request")),
                    }
                }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Terminate) {
        let c = ctx_arg(cb.has_ctx);
        methods.push(quote! {
            fn terminate(&mut self, ctx: &mut #core::Context, reason: &::ergo::Term) -> impl #fut<Output = ()> + #send {
                let _ = &ctx;
                async move { <#ty>::terminate(self, #c reason).await }
            }
        });
    }
    let _ = server.get(Kind::Call).and_then(|c| c.ret_ty.as_ref());
    quote! {
        #block
        #[automatically_derived]
        impl #core::GenServer for #ty {
            #(#methods)*
        }
    }
}
