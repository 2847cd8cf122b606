//! Checks the meaning of a parsed `#[supervisor]`: known strategy, restart and auto_shutdown
//! names, a positive period, every child with an id and exactly one way to start, unique ids,
//! no permanent significant child, exactly one child for simple_one_for_one. Only reports
//! errors; must not generate code.

use super::model::{ChildModel, SupervisorModel};
use crate::ctxt::Ctxt;

pub(crate) const STRATEGIES: [&str; 4] = [
    "one_for_one",
    "one_for_all",
    "rest_for_one",
    "simple_one_for_one",
];
pub(crate) const RESTARTS: [&str; 3] = ["permanent", "transient", "temporary"];
pub(crate) const AUTO_SHUTDOWNS: [&str; 3] = ["never", "any_significant", "all_significant"];

/// Reports every problem in `model`.
pub(super) fn supervisor(cx: &mut Ctxt, model: &SupervisorModel) {
    if !model.generics.params.is_empty() {
        cx.error_spanned(
            &model.generics,
            "#[supervisor] does not support generic impl blocks",
        );
    }
    if let Some(s) = &model.strategy {
        if !STRATEGIES.contains(&s.value.as_str()) {
            cx.error(
                s.span,
                format!("unknown strategy `{}`: expected one_for_one, one_for_all, rest_for_one or simple_one_for_one", s.value),
            );
        }
    }
    if let Some(a) = &model.auto_shutdown {
        if !AUTO_SHUTDOWNS.contains(&a.value.as_str()) {
            cx.error(a.span, format!("unknown auto_shutdown `{}`: expected never, any_significant or all_significant", a.value));
        }
    }
    if let Some(p) = &model.period_ms {
        if p.value == 0 {
            cx.error(p.span, "the period must be positive");
        }
    }
    let mut ids: Vec<String> = Vec::new();
    for child in &model.children {
        check_child(cx, child);
        if let Some(id) = &child.id {
            let text = id.to_string();
            if ids.contains(&text) {
                cx.error(id.span(), format!("duplicate child id `{text}`"));
            }
            ids.push(text);
        }
    }
    let simple = model
        .strategy
        .as_ref()
        .is_some_and(|s| s.value == "simple_one_for_one");
    if simple && model.children.len() != 1 {
        cx.error(
            model.children_span,
            format!(
                "simple_one_for_one needs exactly one child spec, found {}",
                model.children.len()
            ),
        );
    }
}

fn check_child(cx: &mut Ctxt, child: &ChildModel) {
    let at = child.kind.span;
    if child.id.is_none() {
        cx.error(at, "child needs an `id = name`");
    }
    match (&child.start, &child.start_with) {
        (None, None) => cx.error(
            at,
            "child needs `start = Type` (with optional `args = ..`) or `start_with = <ChildStart>`",
        ),
        (Some(_), Some(e)) => cx.error_spanned(e, "give `start` or `start_with`, not both"),
        _ => {}
    }
    if child.start_with.is_some() {
        if let Some(a) = &child.args {
            cx.error_spanned(a, "`args` goes with `start`, not `start_with`");
        }
        if let Some(n) = &child.name {
            cx.error_spanned(n, "`name` goes with `start`, not `start_with`");
        }
    }
    if child.kind.value == "supervisor" {
        if let Some(n) = &child.name {
            cx.error_spanned(
                n,
                "`name` is only supported for worker (gen_server) children",
            );
        }
    }
    if let Some(r) = &child.restart {
        if !RESTARTS.contains(&r.value.as_str()) {
            cx.error(
                r.span,
                format!(
                    "unknown restart `{}`: expected permanent, transient or temporary",
                    r.value
                ),
            );
        }
    }
    if let Some(s) = &child.significant {
        let permanent = child
            .restart
            .as_ref()
            .map_or(true, |r| r.value == "permanent");
        if s.value && permanent {
            cx.error(
                s.span,
                "a significant child must be transient or temporary (set `restart = transient`)",
            );
        }
    }
}
