//! Checks the shape of a parsed `#[gen_saga]` / `#[saga_worker]` block: an inherent,
//! non-generic impl, known callback names, each once, the required ones present, each async
//! with the right receiver, number of parameters and return rule. Types are left to the
//! compiler (the generated code names them at their spans). Only reports errors.

use syn::spanned::Spanned as _;

use super::model::{Block, Method, Ret, Spec};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn block(cx: &mut Ctxt, block: &Block) {
    let attribute = block.behaviour.attribute();
    if let Some(path) = &block.trait_path {
        cx.error_spanned(
            path,
            format!("{attribute} goes on an inherent impl block (`impl MyType`), not a trait impl"),
        );
        return;
    }
    if !block.generics.params.is_empty() || block.generics.where_clause.is_some() {
        cx.error_spanned(
            &block.generics,
            format!("{attribute} does not support generic types"),
        );
        return;
    }
    let duplicates: Vec<(&Method, &Method)> = block.duplicates().collect();
    for m in &block.methods {
        let Some(spec) = m.spec else {
            cx.error_spanned(
                &m.sig.ident,
                format!(
                    "unknown {attribute} callback `{}`: expected one of {}",
                    m.sig.ident,
                    block.behaviour.names()
                ),
            );
            continue;
        };
        match duplicates.iter().find(|(d, _)| d.index == m.index) {
            Some((_, first)) => {
                let name = &m.sig.ident;
                cx.error_spanned(
                    name,
                    format!("duplicate callback `{name}`: {attribute} takes one `{name}`; to take several shapes, declare one enum deriving `Term` and `match` on it"),
                );
                cx.error_spanned(&first.sig.ident, format!("`{name}` is first defined here"));
            }
            None => callback(cx, spec, m),
        }
    }
    for spec in block.behaviour.specs().iter().filter(|s| s.required) {
        if block.get(spec.name).is_none() {
            cx.error(
                block.self_ty.span(),
                format!(
                    "{attribute} needs a `{}` callback: {}",
                    spec.name, spec.expected
                ),
            );
        }
    }
}

/// The shape of one callback.
fn callback(cx: &mut Ctxt, spec: &Spec, m: &Method) {
    let sig = &m.sig;
    let expected = spec.expected;
    if sig.asyncness.is_none() {
        cx.error_spanned(sig.fn_token, format!("callbacks must be async: {expected}"));
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned(&sig.generics, "callbacks cannot be generic");
    }
    match (spec.takes_self, &m.receiver) {
        (false, Some(r)) => {
            cx.error_spanned(r, format!("`{}` takes no self: {expected}", spec.name))
        }
        (false, None) => {}
        (true, Some(r)) if r.reference.is_some() && r.mutability.is_some() => {}
        (true, Some(r)) => {
            cx.error_spanned(r, format!("callback must take `&mut self`: {expected}"))
        }
        (true, None) => cx.error_spanned(
            &sig.ident,
            format!("callback must take `&mut self`: {expected}"),
        ),
    }
    if m.params.len() != spec.arity {
        cx.error_spanned(
            &sig.inputs,
            format!(
                "`{}` takes {} parameter(s) besides self and the `&mut` handle, found {}: {expected}",
                spec.name,
                spec.arity,
                m.params.len()
            ),
        );
        return;
    }
    match spec.ret {
        Ret::Required if m.ret_ty.is_none() => cx.error_spanned(
            &sig.ident,
            format!("`{}` must return a value: {expected}", spec.name),
        ),
        Ret::Forbidden if m.ret_ty.is_some() => cx.error_spanned(
            &sig.output,
            format!("`{}` returns nothing: {expected}", spec.name),
        ),
        _ => {}
    }
    if spec.name == "terminate" {
        if let Some(reason) = m.params.first() {
            if !matches!(reason, syn::Type::Reference(_)) {
                cx.error_spanned(
                    reason,
                    format!("terminate takes the reason by reference: {expected}"),
                );
            }
        }
    }
}
