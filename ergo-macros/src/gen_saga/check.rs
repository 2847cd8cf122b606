//! Checks the shape of a parsed `#[gen_saga]` / `#[saga_worker]` block: an inherent,
//! non-generic impl, known callback names, each once, the required ones present, each async
//! with the right receiver, number of parameters and return rule. Types are left to the
//! compiler (the generated code names them at their spans). Only reports errors.

use super::model::{Block, Method, Ret, Spec};
use crate::callback_block::{check, BlockRules};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn block(cx: &mut Ctxt, block: &Block) {
    let behaviour = block.args.behaviour;
    let callbacks = behaviour.names();
    let required: Vec<&'static Spec> = behaviour.specs().iter().filter(|s| s.required).collect();
    let rules = BlockRules {
        attribute: behaviour.attribute(),
        type_example: "MyType",
        callbacks: &callbacks,
        required: &required,
    };
    check(cx, block, &rules, callback);
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
        Ret::Required => m.require_return(cx, expected),
        Ret::Forbidden if spec.name == "terminate" => m.check_terminate(cx, expected),
        Ret::Forbidden if m.ret_ty.is_some() => cx.error_spanned(
            &sig.output,
            format!("`{}` returns nothing: {expected}", spec.name),
        ),
        _ => {}
    }
}
