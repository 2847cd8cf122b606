//! Checks the shape of a parsed `#[gen_server]` block: an inherent, non-generic impl with an
//! `init`, known callback names, each callback once, and each callback async, with the right
//! receiver, the right number of parameters and a return type where one is needed. Types are
//! not checked here (an alias would defeat any check by name): the generated code passes each
//! one through a trait bound at its span. Only reports errors; must not generate code.

use super::model::{Kind, Method, Server};
use crate::callback_block::{check, BlockRules};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn server(cx: &mut Ctxt, server: &Server) {
    let rules = BlockRules {
        attribute: "#[gen_server]",
        type_example: "MyServer",
        callbacks: Kind::NAMES,
        required: &[Kind::Init],
    };
    check(cx, server, &rules, callback);
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
        Kind::Terminate => m.check_terminate(cx, expected),
        Kind::Direct if m.ret_ty.is_none() => cx.error_spanned(
            &sig.ident,
            format!("handle_direct must return a value: {expected}"),
        ),
        _ => {}
    }
}
