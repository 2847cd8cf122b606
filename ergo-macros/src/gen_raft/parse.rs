//! Parsing the impl block into the model: an inherent, non-generic impl; functions named like a
//! callback are callbacks (once each), the rest stays.

use super::model::{Callback, GenRaftModel};
use crate::ctxt::Ctxt;

/// Parses the block.
pub(super) fn gen_raft(cx: &mut Ctxt, block: &syn::ItemImpl) -> GenRaftModel {
    let mut model = GenRaftModel {
        callbacks: Vec::new(),
        others: Vec::new(),
    };
    if let Some((_, path, _)) = &block.trait_ {
        cx.error_spanned(
            path,
            "#[gen_raft] goes on an inherent impl block, not a trait impl",
        );
    }
    if !block.generics.params.is_empty() {
        cx.error_spanned(
            &block.generics,
            "#[gen_raft] does not support generic types",
        );
    }
    for item in &block.items {
        let callback = match item {
            syn::ImplItem::Fn(f) => Callback::ALL
                .into_iter()
                .find(|c| f.sig.ident == c.name())
                .map(|c| (c, f)),
            _ => None,
        };
        match callback {
            Some((callback, f)) => {
                if model.callbacks.iter().any(|(c, _)| *c == callback) {
                    cx.error_spanned(
                        &f.sig.ident,
                        format!("{} is declared twice", callback.name()),
                    );
                } else {
                    model.callbacks.push((callback, f.clone()));
                }
            }
            None => model.others.push(item.clone()),
        }
    }
    model
}
