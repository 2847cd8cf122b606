//! Checks the shape of a parsed `#[gen_raft]` block: an inherent, non-generic impl with an
//! `init`, known callback names (the seed's `handle_get` is refused with the reason), each
//! callback once, and each callback async, with the right receiver, number of parameters and a
//! return type where one is needed. Types are checked by the generated code's trait bounds, not
//! here. Only reports errors.

use syn::spanned::Spanned as _;

use super::model::{Block, Kind, Method};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn block(cx: &mut Ctxt, block: &Block) {
    if let Some(path) = &block.trait_path {
        cx.error_spanned(
            path,
            "#[gen_raft] goes on an inherent impl block (`impl MyState`), not a trait impl",
        );
        return;
    }
    if !block.generics.params.is_empty() || block.generics.where_clause.is_some() {
        cx.error_spanned(
            &block.generics,
            "#[gen_raft] does not support generic types",
        );
        return;
    }
    let duplicates: Vec<(&Method, &Method)> = block.duplicates().collect();
    for m in &block.methods {
        let Some(kind) = m.kind else {
            cx.error_spanned(
                &m.sig.ident,
                format!(
                    "unknown gen_raft callback `{}`: expected one of init, handle_append, handle_leader, handle_quorum, handle_peer, handle_call, handle_cast, handle_info, terminate",
                    m.sig.ident
                ),
            );
            continue;
        };
        if kind == Kind::Get {
            cx.error_spanned(
                &m.sig.ident,
                format!("gen_raft has no `handle_get` {}", Kind::Get.expected()),
            );
            continue;
        }
        match duplicates.iter().find(|(d, _)| d.index == m.index) {
            Some((_, first)) => {
                let name = &m.sig.ident;
                cx.error_spanned(
                    name,
                    format!("duplicate callback `{name}`: a gen_raft has one `{name}`"),
                );
                cx.error_spanned(&first.sig.ident, format!("`{name}` is first defined here"));
            }
            None => callback(cx, kind, m),
        }
    }
    if block.get(Kind::Init).is_none() {
        cx.error(
            block.self_ty.span(),
            format!(
                "#[gen_raft] needs an init callback: {}",
                Kind::Init.expected()
            ),
        );
    }
}

/// The shape of one callback.
fn callback(cx: &mut Ctxt, kind: Kind, m: &Method) {
    let sig = &m.sig;
    let expected = kind.expected();
    if !m.check_shape(cx, "gen_raft", kind == Kind::Init, kind.arity(), expected) {
        return;
    }
    match kind {
        Kind::Init | Kind::Call if m.ret_ty.is_none() => cx.error_spanned(
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
