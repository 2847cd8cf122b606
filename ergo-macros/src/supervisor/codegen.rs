//! Generates `impl ::ergo::Supervisor` from a checked model: `init` builds the
//! `SupervisorSpec` (flags, then each child with its start, restart, shutdown, significant),
//! and the rest of the impl block is kept as written. Must only name `::ergo::` and `::std::`
//! paths.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::{ChildModel, ShutdownModel, SupervisorModel};

fn camel(snake: &str) -> syn::Ident {
    let mut out = String::new();
    for part in snake.split('_') {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    format_ident!("{}", out)
}

fn child(c: &ChildModel) -> TokenStream {
    let id = c.id.as_ref().map(|i| i.to_string()).unwrap_or_default();
    let start = match (&c.start, &c.start_with) {
        (_, Some(expr)) => quote! { #expr },
        (Some(ty), None) => {
            let args = match &c.args {
                Some(a) => quote! { #a },
                None => quote! { ::std::default::Default::default() },
            };
            if c.kind.value == "supervisor" {
                quote_spanned! {ty.span()=> ::ergo::ChildStart::supervisor::<#ty>(#args) }
            } else {
                let options = match &c.name {
                    Some(n) => quote! { ::ergo::SpawnOptions::named(#n) },
                    None => quote! { ::ergo::SpawnOptions::default() },
                };
                quote_spanned! {ty.span()=> ::ergo::ChildStart::gen_server_opts::<#ty>(#options, #args) }
            }
        }
        (None, None) => quote! { ::std::unreachable!() },
    };
    let ctor = format_ident!("{}", c.kind.value);
    let mut spec = quote! { ::ergo::ChildSpec::#ctor(#id, #start) };
    if let Some(r) = &c.restart {
        let v = camel(&r.value);
        spec = quote! { #spec.restart(::ergo::Restart::#v) };
    }
    if let Some(s) = &c.shutdown {
        let v = match s.value {
            ShutdownModel::BrutalKill => quote! { ::ergo::Shutdown::BrutalKill },
            ShutdownModel::Infinity => quote! { ::ergo::Shutdown::Infinity },
            ShutdownModel::Millis(ms) => {
                quote! { ::ergo::Shutdown::Timeout(::std::time::Duration::from_millis(#ms)) }
            }
        };
        spec = quote! { #spec.shutdown(#v) };
    }
    if let Some(s) = &c.significant {
        let v = s.value;
        spec = quote! { #spec.significant(#v) };
    }
    spec
}

/// The generated tokens.
pub(super) fn expand(model: &SupervisorModel) -> TokenStream {
    let self_ty = &model.self_ty;
    let args_ty = match &model.args {
        Some(t) => quote! { #t },
        None => quote! { () },
    };
    let rest = &model.rest;
    let strategy = camel(
        model
            .strategy
            .as_ref()
            .map_or("one_for_one", |s| s.value.as_str()),
    );
    let mut spec = quote! { ::ergo::SupervisorSpec::new(::ergo::Strategy::#strategy) };
    if let Some(i) = &model.intensity {
        let v = i.value;
        spec = quote! { #spec.intensity(#v) };
    }
    if let Some(p) = &model.period_ms {
        let v = p.value;
        spec = quote! { #spec.period(::std::time::Duration::from_millis(#v)) };
    }
    if let Some(a) = &model.auto_shutdown {
        let v = camel(&a.value);
        spec = quote! { #spec.auto_shutdown(::ergo::AutoShutdown::#v) };
    }
    for c in &model.children {
        let c = child(c);
        spec = quote! { #spec.child(#c) };
    }
    quote! {
        #rest

        #[automatically_derived]
        impl ::ergo::Supervisor for #self_ty {
            type Args = #args_ty;
            // Default start args may be `()`; `args` may go unused.
            #[allow(clippy::unit_arg, unused_variables)]
            fn init(args: #args_ty) -> ::std::result::Result<::ergo::SupervisorSpec, ::ergo::Term> {
                ::std::result::Result::Ok(#spec)
            }
        }
    }
}
