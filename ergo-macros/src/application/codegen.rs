//! Generates `impl ::ergo::Application` from the model: `spec()` chains the
//! `ApplicationSpec` builder. Must only name `::ergo::` paths.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::ApplicationModel;

/// The generated tokens (the item, then the impl).
pub(super) fn expand(input: &syn::DeriveInput, model: &ApplicationModel) -> TokenStream {
    let ty = &input.ident;
    let name = &model.name;
    let mut spec = quote! { ::ergo::ApplicationSpec::new(#name) };
    if let Some(d) = &model.description {
        spec = quote! { #spec.description(#d) };
    }
    if let Some(v) = &model.version {
        spec = quote! { #spec.version(#v) };
    }
    for dep in &model.applications {
        spec = quote! { #spec.depends_on(#dep) };
    }
    for (key, value) in &model.env {
        let value = quote_spanned! {value.span()=> ::ergo::IntoTerm::into_term(#value) };
        spec = quote! { #spec.env(#key, #value) };
    }
    if let Some(root) = &model.root {
        let args = match &model.root_args {
            Some(a) => quote! { #a },
            None => quote! { ::std::default::Default::default() },
        };
        spec = quote_spanned! {root.span()=> #spec.root_supervisor::<#root>(#args) };
    }
    quote! {
        #input

        #[automatically_derived]
        impl ::ergo::Application for #ty {
            // Default start args may be `()`.
            #[allow(clippy::unit_arg)]
            fn spec() -> ::ergo::ApplicationSpec {
                #spec
            }
        }
    }
}
