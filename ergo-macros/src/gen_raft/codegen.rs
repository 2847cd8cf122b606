//! Generating the code: the block's other items as an inherent impl, the callbacks as
//! `impl ::ergo::GenRaft`.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::GenRaftModel;

/// The expansion.
pub(super) fn expand(block: &syn::ItemImpl, model: &GenRaftModel) -> TokenStream {
    let attrs = &block.attrs;
    let self_ty = &block.self_ty;
    let others = &model.others;
    let callbacks = model.callbacks.iter().map(|(_, f)| f);
    quote! {
        #(#attrs)*
        impl #self_ty {
            #(#others)*
        }

        impl ::ergo::GenRaft for #self_ty {
            #(#callbacks)*
        }
    }
}
