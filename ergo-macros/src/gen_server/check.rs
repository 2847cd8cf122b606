//! Checks the shape of a parsed `#[gen_server]` block: an inherent, non-generic impl with an
//! `init`, known callback names, each callback once, and each callback async, with the right
//! receiver, the right number of parameters and a return type where one is needed. Types are
//! not checked here (an alias would defeat any check by name): the generated code passes each
//! one through a trait bound at its span. Only reports errors; must not generate code.

use syn::spanned::Spanned as _;

use super::model::{Kind, Method, Server};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn server(cx: &mut Ctxt, server: &Server) {
    if let Some(path) = &server.trait_path {
        cx.error_spanned(
            path,
            "#[gen_server] goes on an inherent impl block (`impl MyServer`), not a trait impl",
        );
        return;
    }
    if !server.generics.params.is_empty() || server.generics.where_clause.is_some() {
        cx.error_spanned(
            &server.generics,
            "#[gen_server] does not support generic servers",
        );
        return;
    }
    let duplicates: Vec<(&Method, &Method)> = server.duplicates().collect();
    for m in &server.methods {
        let Some(kind) = m.kind else {
            cx.error_spanned(
                &m.sig.ident,
                format!(
                    "unknown gen_server callback `{}`: expected one of init, handle_call, handle_cast, handle_info, handle_direct, terminate",
                    m.sig.ident
                ),
            );
            continue;
        };
        match duplicates.iter().find(|(d, _)| d.index == m.index) {
            Some((_, first)) => duplicate(cx, kind, m, first),
            None => callback(cx, kind, m),
        }
    }
    // Any `init`, even a malformed one (whose own errors are reported), is not a missing one.
    if server.get(Kind::Init).is_none() {
        cx.error(
            server.self_ty.span(),
            format!(
                "#[gen_server] needs an init callback: {}",
                Kind::Init.expected()
            ),
        );
    }
}

/// A callback defined a second time: the error at the second, a pointer to the first.
fn duplicate(cx: &mut Ctxt, kind: Kind, second: &Method, first: &Method) {
    let name = &second.sig.ident;
    cx.error_spanned(
        name,
        format!(
            "duplicate callback `{name}`: a gen_server has one `{name}`; {}",
            kind.one_callback_hint()
        ),
    );
    cx.error_spanned(&first.sig.ident, format!("`{name}` is first defined here"));
}

/// The shape of one callback.
fn callback(cx: &mut Ctxt, kind: Kind, m: &Method) {
    let sig = &m.sig;
    let expected = kind.expected();
    if !m.check_shape(cx, "gen_server", kind == Kind::Init, kind.arity(), expected) {
        return;
    }
    match kind {
        Kind::Call if m.ret_ty.is_none() => cx.error_spanned(
            &sig.ident,
            format!("handle_call must return Reply<R> (or CallOutcome): {expected}"),
        ),
        Kind::Init if m.ret_ty.is_none() => cx.error_spanned(
            &sig.ident,
            format!("init must return Result<Self, E> or Init<Self>: {expected}"),
        ),
        Kind::Terminate if m.ret_ty.is_some() => cx.error_spanned(
            &sig.output,
            format!("terminate returns nothing: {expected}"),
        ),
        Kind::Direct if m.ret_ty.is_none() => cx.error_spanned(
            &sig.ident,
            format!("handle_direct must return a value: {expected}"),
        ),
        _ => {}
    }
    if kind == Kind::Terminate {
        if let Some(reason) = m.msg_ty() {
            if !matches!(reason, syn::Type::Reference(_)) {
                cx.error_spanned(
                    reason,
                    format!("terminate takes the reason by reference: {expected}"),
                );
            }
        }
    }
}
