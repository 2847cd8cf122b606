//! Checks the shape of a parsed `#[gen_stage]` block: an inherent, non-generic impl with an
//! `init`, known callback names, each callback once, and each callback async, with the right
//! receiver, number of parameters and a return type where one is needed. Types are checked by
//! the generated code's trait bounds, not here. Only reports errors.

use super::model::{Kind, Method, Stage};
use crate::callback_block::{check, BlockRules};
use crate::ctxt::Ctxt;

/// Records every shape error of the block.
pub(super) fn stage(cx: &mut Ctxt, stage: &Stage) {
    let rules = BlockRules {
        attribute: "#[gen_stage]",
        type_example: "MyStage",
        callbacks: Kind::NAMES,
        required: &[Kind::Init],
    };
    check(cx, stage, &rules, callback);
}

/// The shape of one callback.
fn callback(cx: &mut Ctxt, kind: Kind, m: &Method) {
    let expected = kind.expected();
    if !m.check_shape(cx, "gen_stage", kind == Kind::Init, kind.arity(), expected) {
        return;
    }
    match kind {
        Kind::Init | Kind::Call | Kind::Demand => m.require_return(cx, expected),
        Kind::Terminate => m.check_terminate(cx, expected),
        _ => {}
    }
}
