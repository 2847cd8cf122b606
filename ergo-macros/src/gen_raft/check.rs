//! Checking each callback's shape: synchronous, `&mut self` first, the callback's number of
//! parameters. The types themselves are checked by the compiler against the `GenRaft` trait.

use super::model::GenRaftModel;
use crate::ctxt::Ctxt;

/// Reports every misshapen callback at its span.
pub(super) fn callbacks(cx: &mut Ctxt, model: &GenRaftModel) {
    for (callback, f) in &model.callbacks {
        let expected = format!(
            "{}(&mut self, {})",
            callback.name(),
            callback.parameters().join(", ")
        );
        if let Some(asyncness) = &f.sig.asyncness {
            cx.error_spanned(
                asyncness,
                format!("gen_raft callbacks are synchronous: `fn {expected}`"),
            );
        }
        let mutable_self = matches!(
            f.sig.inputs.first(),
            Some(syn::FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_some()
        );
        if !mutable_self {
            cx.error_spanned(
                &f.sig.ident,
                format!(
                    "{} takes `&mut self` first: `fn {expected}`",
                    callback.name()
                ),
            );
        } else if f.sig.inputs.len() != callback.parameters().len() + 1 {
            cx.error_spanned(
                &f.sig.inputs,
                format!(
                    "{} takes {} parameter(s) after `&mut self`: `fn {expected}`",
                    callback.name(),
                    callback.parameters().len()
                ),
            );
        }
    }
}
