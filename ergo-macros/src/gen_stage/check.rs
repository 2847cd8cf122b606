//! Checks the shape of a parsed `#[gen_stage]` block: an inherent, non-generic impl with an
//! `init`, known callback names, each callback once, and each callback async, with the right
//! receiver, number of parameters and a return type where one is needed. Types are checked by
//! the generated code's trait bounds, not here. Only reports errors.

use syn::spanned::Spanned as _;

use super::model::{Kind, Method, Stage};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn stage(cx: &mut Ctxt, stage: &Stage) {
    if let Some(path) = &stage.trait_path {
        cx.error_spanned(
            path,
            "#[gen_stage] goes on an inherent impl block (`impl MyStage`), not a trait impl",
        );
        return;
    }
    if !stage.generics.params.is_empty() || stage.generics.where_clause.is_some() {
        cx.error_spanned(
            &stage.generics,
            "#[gen_stage] does not support generic stages",
        );
        return;
    }
    let duplicates: Vec<(&Method, &Method)> = stage.duplicates().collect();
    for m in &stage.methods {
        let Some(kind) = m.kind else {
            cx.error_spanned(
                &m.sig.ident,
                format!(
                    "unknown gen_stage callback `{}`: expected one of init, handle_demand, handle_events, handle_subscribe, handle_cancel, handle_call, handle_cast, handle_info, terminate",
                    m.sig.ident
                ),
            );
            continue;
        };
        match duplicates.iter().find(|(d, _)| d.index == m.index) {
            Some((_, first)) => {
                let name = &m.sig.ident;
                cx.error_spanned(
                    name,
                    format!("duplicate callback `{name}`: a gen_stage has one `{name}`; to take several message shapes, declare one enum deriving `Term` and `match` on it"),
                );
                cx.error_spanned(&first.sig.ident, format!("`{name}` is first defined here"));
            }
            None => callback(cx, kind, m),
        }
    }
    if stage.get(Kind::Init).is_none() {
        cx.error(
            stage.self_ty.span(),
            format!(
                "#[gen_stage] needs an init callback: {}",
                Kind::Init.expected()
            ),
        );
    }
}

/// The shape of one callback.
fn callback(cx: &mut Ctxt, kind: Kind, m: &Method) {
    let sig = &m.sig;
    let expected = kind.expected();
    if !m.check_shape(cx, "gen_stage", kind == Kind::Init, kind.arity(), expected) {
        return;
    }
    match kind {
        Kind::Init | Kind::Call | Kind::Demand if m.ret_ty.is_none() => cx.error_spanned(
            &sig.ident,
            format!("`{}` must return a value: {expected}", sig.ident),
        ),
        Kind::Terminate if m.ret_ty.is_some() => cx.error_spanned(
            &sig.output,
            format!("terminate returns nothing: {expected}"),
        ),
        _ => {}
    }
    if kind == Kind::Terminate {
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
