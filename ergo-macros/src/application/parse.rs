//! Parsing `#[application(..)]` into the model: known keys once each, string literals where
//! text is expected, `[a, b]` lists of application names, `[key = value, ..]` env lists with
//! unique keys, a non-generic item. Reports errors at the offending span.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::Expr;

use super::model::ApplicationModel;
use crate::ctxt::Ctxt;
use crate::supervisor::parse::{expr_value, key_values, str_value, type_value, Seen};

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn name_of(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 255
}

/// Parses the attribute.
pub(super) fn application(
    cx: &mut Ctxt,
    attr: TokenStream,
    input: &syn::DeriveInput,
) -> ApplicationModel {
    let mut model = ApplicationModel {
        name: snake(&input.ident.to_string()),
        description: None,
        version: None,
        root: None,
        root_args: None,
        applications: Vec::new(),
        env: Vec::new(),
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned(
            &input.generics,
            "#[application] does not support generic types",
        );
    }
    let kvs = match key_values(attr) {
        Ok(kvs) => kvs,
        Err(e) => {
            cx.syn_error(e);
            return model;
        }
    };
    let mut seen = Seen::new();
    for kv in kvs {
        if !seen.first(&kv.key, cx) {
            continue;
        }
        match kv.key.to_string().as_str() {
            "name" => match str_value(&kv) {
                Ok(s) if valid_name(&s.value()) => model.name = s.value(),
                Ok(s) => cx.error(s.span(), "the application name must be 1 to 255 characters"),
                Err(e) => cx.syn_error(e),
            },
            "description" => model.description = cx.ok(str_value(&kv)),
            "version" => model.version = cx.ok(str_value(&kv)),
            "root" => model.root = cx.ok(type_value(&kv)),
            "root_args" => model.root_args = cx.ok(expr_value(&kv)),
            "applications" => match expr_value(&kv) {
                Ok(Expr::Array(list)) => {
                    for elem in &list.elems {
                        match name_of(elem) {
                            Some(n) if model.applications.contains(&n) => {
                                cx.error(elem.span(), format!("application `{n}` is listed twice"))
                            }
                            Some(n) if n == model.name => cx.error(elem.span(), "an application cannot depend on itself"),
                            Some(n) => model.applications.push(n),
                            None => cx.error(elem.span(), "expected an application name (identifier or string)"),
                        }
                    }
                }
                Ok(other) => cx.error(other.span(), "`applications` expects a list: `[dep_a, dep_b]`"),
                Err(e) => cx.syn_error(e),
            },
            "env" => match expr_value(&kv) {
                Ok(Expr::Array(list)) => {
                    for elem in &list.elems {
                        match elem {
                            Expr::Assign(assign) => match name_of(&assign.left) {
                                Some(k) if model.env.iter().any(|(e, _)| e == &k) => {
                                    cx.error(assign.left.span(), format!("env key `{k}` is given twice"))
                                }
                                Some(k) => model.env.push((k, (*assign.right).clone())),
                                None => cx.error(assign.left.span(), "expected an env key (identifier)"),
                            },
                            other => cx.error(other.span(), "expected `key = value`"),
                        }
                    }
                }
                Ok(other) => cx.error(other.span(), "`env` expects a list: `[key = value, ..]`"),
                Err(e) => cx.syn_error(e),
            },
            other => cx.error(
                kv.key.span(),
                format!("unknown #[application] key `{other}`: expected name, description, version, root, root_args, applications or env"),
            ),
        }
    }
    if let (Some(a), None) = (&model.root_args, &model.root) {
        cx.error(a.span(), "`root_args` needs a `root = SupervisorType`");
    }
    model
}
