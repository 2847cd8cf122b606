//! Checks the shape of a parsed `#[gen_raft]` block: an inherent, non-generic impl with an
//! `init`, known callback names (the seed's `handle_get` is refused with the reason), each
//! callback once, and each callback async, with the right receiver, number of parameters and a
//! return type where one is needed. Types are checked by the generated code's trait bounds, not
//! here. Only reports errors.

use super::model::{Block, Kind, Method};
use crate::callback_block::{check, BlockRules};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn block(cx: &mut Ctxt, block: &Block) {
    let rules = BlockRules {
        attribute: "#[gen_raft]",
        type_example: "MyState",
        callbacks: Kind::NAMES,
        required: &[Kind::Init],
    };
    check(cx, block, &rules, callback);
}

/// The shape of one callback.
fn callback(cx: &mut Ctxt, kind: Kind, m: &Method) {
    let sig = &m.sig;
    let expected = kind.expected();
    if kind == Kind::Get {
        cx.error_spanned(
            &sig.ident,
            format!("gen_raft has no `handle_get` {expected}"),
        );
        return;
    }
    if !m.check_shape(cx, "gen_raft", kind == Kind::Init, kind.arity(), expected) {
        return;
    }
    match kind {
        Kind::Init | Kind::Call => m.require_return(cx, expected),
        Kind::Terminate => m.check_terminate(cx, expected),
        _ => {}
    }
}
