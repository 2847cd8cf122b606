//! Generates `impl ::ergo::GenRaft` from a checked model: each trait method converts what it
//! receives into the user's declared types, awaits the user's inherent callback, and converts
//! what it returns back. Every user type goes through a trait of `::ergo::__private` at its span
//! (`RaftInitReturn`, `CallReturn`, `StatusReturn`, `ContextParam`,
//! `RaftContextParam`, `ReplyToParam`, `ReasonParam`), so the compiler reports a wrong type at
//! the user's type; messages, keys and values go through `__private::take::<T>`. Names only items
//! at the root of `::ergo` and in `::ergo::__private`, plus `::core` and `::std`. Must not check
//! anything (check did).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::model::{Block, Kind, Method};
use crate::callback_tokens::{
    ctx_arg, format_state_method, param, private, ret_ty, terminate_method,
};

/// The raft-context argument of the other callbacks (with its trailing comma), or nothing.
fn raft_arg(m: &Method) -> TokenStream {
    let p = private();
    match &m.ctx_ty {
        Some(ty) => quote! { <#ty as #p::RaftContextParam<'_, '_>>::from_raft(raft), },
        None => quote! {},
    }
}

/// `let name: UserType = name;` at the user's type, so a wrong type is reported there.
fn bind(m: &Method, i: usize, name: &str) -> TokenStream {
    let name = syn::Ident::new(name, proc_macro2::Span::call_site());
    match m.params.get(i) {
        Some(ty) => quote_spanned! {ty.span()=> let #name: #ty = #name; },
        None => quote! {},
    }
}

/// The block unchanged, plus the trait impl.
pub(super) fn expand(item: &syn::ItemImpl, block: &Block) -> TokenStream {
    let ty = &block.self_ty;
    let p = private();
    let fut = quote! { ::core::future::Future };
    let send = quote! { ::core::marker::Send };
    let status = |m: &Method, call: TokenStream| {
        let ret = ret_ty(m);
        quote! { <#ret as #p::StatusReturn>::into_status(#call) }
    };
    let mut methods = Vec::new();

    if let Some(cb) = block.get(Kind::Init) {
        let args = param(cb, 0);
        let ret = ret_ty(cb);
        let c = ctx_arg(cb);
        methods.push(quote! {
            type Args = #args;
            fn init(ctx: &mut ::ergo::Context, args: #args)
                -> impl #fut<Output = ::ergo::Init<(Self, ::ergo::RaftStart)>> + #send {
                let _ = &ctx;
                async move {
                    <#ret as #p::RaftInitReturn<Self>>::into_init(<#ty>::init(#c args).await)
                }
            }
        });
    }
    let handles_appends = block.get(Kind::Append).is_some();
    methods.push(quote! {
        fn handles_appends() -> bool {
            #handles_appends
        }
    });
    if let Some(cb) = block.get(Kind::Append) {
        let (key, value) = (param(cb, 1), param(cb, 2));
        let serial = bind(cb, 0, "serial");
        let r = raft_arg(cb);
        let call = status(
            cb,
            quote! { <#ty>::handle_append(self, #r serial, key, value).await },
        );
        methods.push(quote! {
            fn handle_append(&mut self, raft: &mut ::ergo::RaftContext<'_>, serial: u64, key: ::ergo::Term, value: ::ergo::Term)
                -> impl #fut<Output = ::ergo::Status> + #send {
                let _ = &raft;
                async move {
                    let key = match #p::take::<#key>(::ergo::Payload::Term(key)) {
                        ::core::result::Result::Ok(key) => key,
                        ::core::result::Result::Err(term) => return #p::raft_bad_value::<#key>(serial, &term),
                    };
                    let value = match #p::take::<#value>(::ergo::Payload::Term(value)) {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(term) => return #p::raft_bad_value::<#value>(serial, &term),
                    };
                    #serial
                    #call
                }
            }
        });
    }
    for (kind, name, params) in [
        (
            Kind::Leader,
            quote! { handle_leader },
            quote! { leader: ::core::option::Option<::ergo::Atom>, term: u64 },
        ),
        (
            Kind::Quorum,
            quote! { handle_quorum },
            quote! { members: ::std::vec::Vec<::ergo::Atom> },
        ),
        (
            Kind::Peer,
            quote! { handle_peer },
            quote! { peer: ::ergo::Atom, online: bool },
        ),
    ] {
        if let Some(cb) = block.get(kind) {
            let names: &[&str] = match kind {
                Kind::Leader => &["leader", "term"],
                Kind::Quorum => &["members"],
                _ => &["peer", "online"],
            };
            let binds = names.iter().enumerate().map(|(i, n)| bind(cb, i, n));
            let idents = names
                .iter()
                .map(|n| syn::Ident::new(n, proc_macro2::Span::call_site()));
            let args = quote! { #(#idents),* };
            let r = raft_arg(cb);
            let call = status(cb, quote! { <#ty>::#name(self, #r #args).await });
            methods.push(quote! {
                fn #name(&mut self, raft: &mut ::ergo::RaftContext<'_>, #params)
                    -> impl #fut<Output = ::ergo::Status> + #send {
                    let _ = &raft;
                    async move {
                        #(#binds)*
                        #call
                    }
                }
            });
        }
    }
    if let Some(cb) = block.get(Kind::Call) {
        let msg = param(cb, 0);
        let from_ty = param(cb, 1);
        let ret = ret_ty(cb);
        let r = raft_arg(cb);
        methods.push(quote! {
            fn handle_call(&mut self, raft: &mut ::ergo::RaftContext<'_>, request: ::ergo::Payload, from: #p::ReplyTo)
                -> impl #fut<Output = ::ergo::CallOutcome> + #send {
                let _ = &raft;
                async move {
                    match #p::take::<#msg>(request) {
                        ::core::result::Result::Ok(msg) => <#ret as #p::CallReturn>::into_outcome(
                            <#ty>::handle_call(self, #r msg, <#from_ty as #p::ReplyToParam>::from_reply_to(from)).await),
                        ::core::result::Result::Err(term) => {
                            #p::log_bad_message::<#msg>("call", &term);
                            ::ergo::CallOutcome::Refuse(term)
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
        if let Some(cb) = block.get(kind) {
            let msg = param(cb, 0);
            let r = raft_arg(cb);
            let call = status(cb, quote! { <#ty>::#name(self, #r msg).await });
            methods.push(quote! {
                fn #name(&mut self, raft: &mut ::ergo::RaftContext<'_>, message: ::ergo::Payload)
                    -> impl #fut<Output = ::ergo::Status> + #send {
                    let _ = &raft;
                    async move {
                        match #p::take::<#msg>(message) {
                            ::core::result::Result::Ok(msg) => #call,
                            ::core::result::Result::Err(term) => {
                                #p::log_bad_message::<#msg>(#what, &term);
                                ::ergo::Status::Continue
                            }
                        }
                    }
                }
            });
        }
    }
    if block.has_fn("format_state") {
        methods.push(format_state_method(ty));
    }
    if let Some(cb) = block.get(Kind::Terminate) {
        methods.push(terminate_method(ty, cb));
    }
    quote! {
        #item
        #[automatically_derived]
        impl ::ergo::GenRaft for #ty {
            #(#methods)*
        }
    }
}
