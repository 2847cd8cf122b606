//! Generates `impl ::ergo::GenServer` from a checked model: each trait method decodes the
//! payload into the user's declared message type and awaits the user's inherent callback.
//!
//! The user's types are never judged by their names. Each one is passed through a trait of
//! `::ergo::__private` in a qualified path, `<UserType as Trait>::convert(..)`, so the compiler
//! checks it and an error points at the user's type: the context (`ContextParam`), the reply
//! handle (`ReplyToParam`), terminate's reason (`ReasonParam`), and the results of init
//! (`InitReturn`), handle_call (`CallReturn`), handle_cast/handle_info (`StatusReturn`) and
//! handle_direct (`DirectReturn<M>`: the request's `Reply`). Message types go through
//! `__private::take::<T>` (or `take_direct::<M>`, `M: DirectRequest`), which points a missing
//! `FromTerm` (or `DirectRequest`) at `T` too.
//!
//! Names only items at the root of `::ergo` (`GenServer`, `Context`, `Payload`, `Init`,
//! `CallOutcome`, `Status`, `Term`) and in `::ergo::__private` (`ReplyTo`, `take`,
//! `log_bad_message` and the traits above), plus `::core` and `::std`.
//! Must not check anything (check did).

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{Kind, Method, OnBadMessage, Server};
use crate::callback_tokens::{ctx_arg, format_state_method, private, ret_ty, terminate_method};

/// The message type (check guaranteed it is there).
fn msg_ty(m: &Method) -> TokenStream {
    let ty = m.msg_ty();
    quote! { #ty }
}

/// What the generated callback does with `term`, a `kind` message that is not a `msg`: logs it
/// and goes on (a call refused at once), or with `on_bad_message = crash` stops the server with
/// `{bad_call | bad_cast | bad_info, Msg}`, as OTP's gen_server would crash.
fn on_bad(server: &Server, msg: &TokenStream, kind: &str) -> TokenStream {
    let p = private();
    let tag = format!("bad_{kind}");
    let reason = quote! { ::ergo::Term::tuple(::std::vec![::ergo::Term::atom(#tag), term]) };
    match (server.args, kind) {
        (OnBadMessage::Drop, "call") => quote! {{
            #p::log_bad_message::<#msg>(#kind, &term);
            ::ergo::CallOutcome::Refuse(term)
        }},
        (OnBadMessage::Drop, _) => quote! {{
            #p::log_bad_message::<#msg>(#kind, &term);
            ::ergo::Status::Continue
        }},
        (OnBadMessage::Crash, "call") => quote! {
            ::ergo::CallOutcome::Stop(#reason, ::core::option::Option::None)
        },
        (OnBadMessage::Crash, _) => quote! { ::ergo::Status::Stop(#reason) },
    }
}

/// The block unchanged, plus the trait impl.
pub(super) fn expand(block: &syn::ItemImpl, server: &Server) -> TokenStream {
    let ty = &server.self_ty;
    let p = private();
    let fut = quote! { ::core::future::Future };
    let send = quote! { ::core::marker::Send };
    let mut methods = Vec::new();

    if let Some(cb) = server.get(Kind::Init) {
        let args = msg_ty(cb);
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            type Args = #args;
            fn init(ctx: &mut ::ergo::Context, args: #args) -> impl #fut<Output = ::ergo::Init<Self>> + #send {
                let _ = &ctx;
                async move { <#ret as #p::InitReturn<Self>>::into_init(<#ty>::init(#c args).await) }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Call) {
        let msg = msg_ty(cb);
        let ret = ret_ty(cb);
        let from_ty = cb.reply_to_ty();
        let c = ctx_arg(cb);
        let on_bad_call = on_bad(server, &msg, "call");
        methods.push(quote! {
            fn handle_call(&mut self, ctx: &mut ::ergo::Context, request: ::ergo::Payload, from: #p::ReplyTo)
                -> impl #fut<Output = ::ergo::CallOutcome> + #send {
                let _ = &ctx;
                async move {
                    match #p::take::<#msg>(request) {
                        ::core::result::Result::Ok(msg) => <#ret as #p::CallReturn>::into_outcome(
                            <#ty>::handle_call(self, #c msg, <#from_ty as #p::ReplyToParam>::from_reply_to(from)).await),
                        ::core::result::Result::Err(term) => #on_bad_call,
                    }
                }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Cast) {
        let msg = msg_ty(cb);
        let on_bad_cast = on_bad(server, &msg, "cast");
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_cast(&mut self, ctx: &mut ::ergo::Context, request: ::ergo::Payload)
                -> impl #fut<Output = ::ergo::Status> + #send {
                let _ = &ctx;
                async move {
                    match #p::take::<#msg>(request) {
                        ::core::result::Result::Ok(msg) => <#ret as #p::StatusReturn>::into_status(
                            <#ty>::handle_cast(self, #c msg).await),
                        ::core::result::Result::Err(term) => #on_bad_cast,
                    }
                }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Info) {
        let msg = msg_ty(cb);
        let on_bad_info = on_bad(server, &msg, "info");
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_info(&mut self, ctx: &mut ::ergo::Context, message: ::ergo::Payload)
                -> impl #fut<Output = ::ergo::Status> + #send {
                let _ = &ctx;
                async move {
                    match #p::take::<#msg>(message) {
                        ::core::result::Result::Ok(msg) => <#ret as #p::StatusReturn>::into_status(
                            <#ty>::handle_info(self, #c msg).await),
                        ::core::result::Result::Err(term) => #on_bad_info,
                    }
                }
            }
        });
    }
    if let Some(cb) = server.get(Kind::Direct) {
        let msg = msg_ty(cb);
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            fn handle_direct(&mut self, ctx: &mut ::ergo::Context, request: ::ergo::DirectEnvelope)
                -> impl #fut<Output = ()> + #send {
                let _ = &ctx;
                async move {
                    match #p::take_direct::<#msg>(request) {
                        ::core::result::Result::Ok((msg, reply)) => {
                            let value = <#ret as #p::DirectReturn<#msg>>::into_reply(
                                <#ty>::handle_direct(self, #c msg).await,
                            );
                            reply.reply(value);
                        }
                        ::core::result::Result::Err(request) => {
                            request.refuse(::ergo::Term::atom("bad_direct_request"));
                        }
                    }
                }
            }
        });
    }
    // A method named `format_state` in the block (`fn format_state(&self) -> Term`) is what
    // Erlang's `sys:get_state/1` and `sys:get_status/1` show; without one, the trait's default.
    if server.has_fn("format_state") {
        methods.push(format_state_method(ty));
    }
    // A method named `inspect` in the block (`fn inspect(&self) -> Vec<(String, String)>`) is
    // what the inspect API and the observer's process page show.
    if server.has_fn("inspect") {
        methods.push(quote! {
            fn inspect(&self) -> ::std::vec::Vec<(::std::string::String, ::std::string::String)> {
                <#ty>::inspect(self)
            }
        });
    }
    if let Some(cb) = server.get(Kind::Terminate) {
        methods.push(terminate_method(ty, cb));
    }
    quote! {
        #block
        #[automatically_derived]
        impl ::ergo::GenServer for #ty {
            #(#methods)*
        }
    }
}
