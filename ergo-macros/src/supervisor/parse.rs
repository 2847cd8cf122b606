//! Parsing `#[supervisor(..)]`: the attribute's `key = value` flags and the `children! { .. }`
//! list (`worker(key = value, ..)` / `supervisor(..)` entries) into the model. Reports syntax
//! errors, unknown keys and keys given twice; semantic checks are in `check.rs`. Also holds
//! the `key = value` reader `#[application]` shares.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, Ident, Lit, Token};

use super::model::{ChildModel, ShutdownModel, Spanned, SupervisorModel};
use crate::ctxt::Ctxt;

/// One `key = value` pair; the value is a type for `start`, an expression otherwise.
pub(crate) struct KeyValue {
    pub key: Ident,
    pub value: Value,
}

/// A parsed value.
pub(crate) enum Value {
    Expr(Expr),
    Type(syn::Type),
}

impl Parse for KeyValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        input.parse::<Token![=]>()?;
        let value = if key == "start" || key == "root" {
            Value::Type(input.parse()?)
        } else {
            // An expression, or a type that is not one (`args = Vec<u8>` at the top level).
            let fork = input.fork();
            match fork.parse::<Expr>() {
                Ok(_) if fork.is_empty() || fork.peek(Token![,]) => Value::Expr(input.parse()?),
                _ => Value::Type(input.parse()?),
            }
        };
        Ok(KeyValue { key, value })
    }
}

/// Reads `key = value, ..`.
pub(crate) fn key_values(tokens: TokenStream) -> syn::Result<Vec<KeyValue>> {
    struct List(Punctuated<KeyValue, Token![,]>);
    impl Parse for List {
        fn parse(input: ParseStream) -> syn::Result<Self> {
            Ok(List(Punctuated::parse_terminated(input)?))
        }
    }
    Ok(syn::parse2::<List>(tokens)?.0.into_iter().collect())
}

/// The value as a plain identifier (`one_for_one`), or an error at it.
pub(crate) fn ident_value(kv: &KeyValue, what: &str) -> Result<Spanned<String>, syn::Error> {
    if let Value::Expr(Expr::Path(p)) = &kv.value {
        if let Some(ident) = p.path.get_ident() {
            return Ok(Spanned {
                value: ident.to_string(),
                span: ident.span(),
            });
        }
    }
    Err(syn::Error::new(
        value_span(kv),
        format!("`{}` expects {what}", kv.key),
    ))
}

/// The value as an unsigned integer literal.
pub(crate) fn int_value(kv: &KeyValue) -> Result<Spanned<u64>, syn::Error> {
    if let Value::Expr(Expr::Lit(syn::ExprLit {
        lit: Lit::Int(i), ..
    })) = &kv.value
    {
        if let Ok(v) = i.base10_parse::<u64>() {
            return Ok(Spanned {
                value: v,
                span: i.span(),
            });
        }
    }
    Err(syn::Error::new(
        value_span(kv),
        format!("`{}` expects a non-negative integer literal", kv.key),
    ))
}

/// The value as a string literal.
pub(crate) fn str_value(kv: &KeyValue) -> Result<syn::LitStr, syn::Error> {
    if let Value::Expr(Expr::Lit(syn::ExprLit {
        lit: Lit::Str(s), ..
    })) = &kv.value
    {
        return Ok(s.clone());
    }
    Err(syn::Error::new(
        value_span(kv),
        format!("`{}` expects a string literal", kv.key),
    ))
}

/// The value as an expression.
pub(crate) fn expr_value(kv: &KeyValue) -> Result<Expr, syn::Error> {
    match &kv.value {
        Value::Expr(e) => Ok(e.clone()),
        Value::Type(t) => Err(syn::Error::new(
            t.span(),
            format!("`{}` expects an expression", kv.key),
        )),
    }
}

/// The value as a type.
pub(crate) fn type_value(kv: &KeyValue) -> Result<syn::Type, syn::Error> {
    match &kv.value {
        Value::Type(t) => Ok(t.clone()),
        Value::Expr(e) => syn::parse2::<syn::Type>(quote::ToTokens::to_token_stream(e))
            .map_err(|_| syn::Error::new(e.span(), format!("`{}` expects a type", kv.key))),
    }
}

fn value_span(kv: &KeyValue) -> Span {
    match &kv.value {
        Value::Expr(e) => e.span(),
        Value::Type(t) => t.span(),
    }
}

/// Tracks keys already given, reporting a repeat.
pub(crate) struct Seen(Vec<String>);

impl Seen {
    pub(crate) fn new() -> Seen {
        Seen(Vec::new())
    }

    /// False (and an error) when `key` was given before.
    pub(crate) fn first(&mut self, key: &Ident, cx: &mut Ctxt) -> bool {
        let k = key.to_string();
        if self.0.contains(&k) {
            cx.error(key.span(), format!("`{k}` is given twice"));
            return false;
        }
        self.0.push(k);
        true
    }
}

/// Parses the attribute and the impl block into a model.
pub(crate) fn supervisor(
    cx: &mut Ctxt,
    attr: TokenStream,
    block: &syn::ItemImpl,
) -> Option<SupervisorModel> {
    if let Some((_, path, _)) = &block.trait_ {
        cx.error(
            path.span(),
            "#[supervisor] goes on an inherent impl block, not a trait impl",
        );
        return None;
    }
    let mut rest = block.clone();
    let mut model = SupervisorModel {
        self_ty: (*block.self_ty).clone(),
        generics: block.generics.clone(),
        rest: rest.clone(),
        strategy: None,
        intensity: None,
        period_ms: None,
        auto_shutdown: None,
        args: None,
        children: Vec::new(),
        children_span: block.self_ty.span(),
    };
    match key_values(attr) {
        Err(e) => cx.syn_error(e),
        Ok(kvs) => {
            let mut seen = Seen::new();
            for kv in kvs {
                if !seen.first(&kv.key, cx) {
                    continue;
                }
                match kv.key.to_string().as_str() {
                    "strategy" => model.strategy = cx.ok(ident_value(&kv, "a strategy name")),
                    "intensity" => {
                        if let Some(v) = cx.ok(int_value(&kv)) {
                            match u32::try_from(v.value) {
                                Ok(n) => model.intensity = Some(Spanned { value: n, span: v.span }),
                                Err(_) => cx.error(v.span, "`intensity` is too large"),
                            }
                        }
                    }
                    "period" | "period_ms" => {
                        if model.period_ms.is_some() {
                            cx.error(kv.key.span(), "give `period` or `period_ms`, not both");
                            continue;
                        }
                        let ms = kv.key == "period_ms";
                        if let Some(v) = cx.ok(int_value(&kv)) {
                            let value = if ms { Some(v.value) } else { v.value.checked_mul(1000) };
                            match value {
                                Some(value) => model.period_ms = Some(Spanned { value, span: v.span }),
                                None => cx.error(v.span, "`period` is too large"),
                            }
                        }
                    }
                    "args" => model.args = cx.ok(type_value(&kv)),
                    "auto_shutdown" => model.auto_shutdown = cx.ok(ident_value(&kv, "never, any_significant or all_significant")),
                    other => cx.error(
                        kv.key.span(),
                        format!("unknown #[supervisor] key `{other}`: expected strategy, intensity, period, period_ms, auto_shutdown or args"),
                    ),
                }
            }
        }
    }
    let mut found = 0;
    rest.items.retain(|item| {
        if let syn::ImplItem::Macro(m) = item {
            if m.mac.path.is_ident("children") {
                found += 1;
                if found == 1 {
                    model.children_span = m.mac.path.span();
                    children(cx, m.mac.tokens.clone(), &mut model.children);
                } else {
                    cx.error(m.mac.path.span(), "only one `children!` list is allowed");
                }
                return false;
            }
        }
        true
    });
    if found == 0 {
        cx.error(
            block.self_ty.span(),
            "#[supervisor] needs a `children! { worker(id = .., start = ..), .. }` list in the impl block",
        );
    }
    model.rest = rest;
    Some(model)
}

struct Entry {
    kind: Ident,
    body: TokenStream,
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let kind: Ident = input.parse()?;
        let content;
        syn::parenthesized!(content in input);
        Ok(Entry {
            kind,
            body: content.parse()?,
        })
    }
}

fn children(cx: &mut Ctxt, tokens: TokenStream, out: &mut Vec<ChildModel>) {
    struct List(Punctuated<Entry, Token![,]>);
    impl Parse for List {
        fn parse(input: ParseStream) -> syn::Result<Self> {
            Ok(List(Punctuated::parse_terminated(input)?))
        }
    }
    let list = match syn::parse2::<List>(tokens) {
        Ok(l) => l.0,
        Err(e) => {
            cx.syn_error(e);
            return;
        }
    };
    for entry in list {
        let kind = entry.kind.to_string();
        if kind != "worker" && kind != "supervisor" {
            cx.error(
                entry.kind.span(),
                format!("unknown child kind `{kind}`: expected `worker(..)` or `supervisor(..)`"),
            );
            continue;
        }
        let mut child = ChildModel {
            kind: Spanned {
                value: kind,
                span: entry.kind.span(),
            },
            id: None,
            start: None,
            args: None,
            start_with: None,
            name: None,
            restart: None,
            shutdown: None,
            significant: None,
        };
        let kvs = match key_values(entry.body) {
            Ok(kvs) => kvs,
            Err(e) => {
                cx.syn_error(e);
                continue;
            }
        };
        let mut seen = Seen::new();
        for kv in kvs {
            if !seen.first(&kv.key, cx) {
                continue;
            }
            match kv.key.to_string().as_str() {
                "id" => {
                    child.id = cx.ok(ident_value(&kv, "an identifier")).map(|s| Ident::new(&s.value, s.span));
                }
                "start" => child.start = cx.ok(type_value(&kv)),
                "args" => child.args = cx.ok(expr_value(&kv)),
                "start_with" => child.start_with = cx.ok(expr_value(&kv)),
                "name" => child.name = cx.ok(str_value(&kv)),
                "restart" => child.restart = cx.ok(ident_value(&kv, "permanent, transient or temporary")),
                "shutdown" => child.shutdown = cx.ok(shutdown_value(&kv)),
                "significant" => {
                    if let Value::Expr(Expr::Lit(syn::ExprLit { lit: Lit::Bool(b), .. })) = &kv.value {
                        child.significant = Some(Spanned { value: b.value, span: b.span });
                    } else {
                        cx.error(value_span(&kv), "`significant` expects `true` or `false`");
                    }
                }
                other => cx.error(
                    kv.key.span(),
                    format!("unknown child key `{other}`: expected id, start, args, start_with, name, restart, shutdown or significant"),
                ),
            }
        }
        out.push(child);
    }
}

fn shutdown_value(kv: &KeyValue) -> Result<Spanned<ShutdownModel>, syn::Error> {
    if let Ok(v) = int_value(kv) {
        return Ok(Spanned {
            value: ShutdownModel::Millis(v.value),
            span: v.span,
        });
    }
    let word = ident_value(kv, "brutal_kill, infinity or a timeout in milliseconds")?;
    let value = match word.value.as_str() {
        "brutal_kill" => ShutdownModel::BrutalKill,
        "infinity" => ShutdownModel::Infinity,
        _ => {
            return Err(syn::Error::new(
                word.span,
                "`shutdown` expects brutal_kill, infinity or a timeout in milliseconds",
            ))
        }
    };
    Ok(Spanned {
        value,
        span: word.span,
    })
}
