//! Parsing `#[application(..)]` into the model: known keys once each, string literals where
//! text is expected, `[a, b]` lists of application names, `[key = value, ..]` env lists with
//! unique keys, a non-generic item. Reports errors at the offending span.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::Expr;

use super::model::ApplicationModel;
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
pub fn application(
    attr: TokenStream,
    input: &syn::DeriveInput,
    errors: &mut Vec<syn::Error>,
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
        errors.push(syn::Error::new_spanned(
            &input.generics,
            "#[application] does not support generic types",
        ));
    }
    let kvs = match key_values(attr) {
        Ok(kvs) => kvs,
        Err(e) => {
            errors.push(e);
            return model;
        }
    };
    let mut seen = Seen::new();
    for kv in kvs {
        if !seen.first(&kv.key, errors) {
            continue;
        }
        match kv.key.to_string().as_str() {
            "name" => match str_value(&kv) {
                Ok(s) if valid_name(&s.value()) => model.name = s.value(),
                Ok(s) => errors.push(syn::Error::new(s.span(), "the application name must be 1 to 255 characters")),
                Err(e) => errors.push(e),
            },
            "description" => model.description = str_value(&kv).map_err(|e| errors.push(e)).ok(),
            "version" => model.version = str_value(&kv).map_err(|e| errors.push(e)).ok(),
            "root" => model.root = type_value(&kv).map_err(|e| errors.push(e)).ok(),
            "root_args" => model.root_args = expr_value(&kv).map_err(|e| errors.push(e)).ok(),
            "applications" => match expr_value(&kv) {
                Ok(Expr::Array(list)) => {
                    for elem in &list.elems {
                        match name_of(elem) {
                            Some(n) if model.applications.contains(&n) => {
                                errors.push(syn::Error::new(elem.span(), format!("application `{n}` is listed twice")))
                            }
                            Some(n) if n == model.name => errors.push(syn::Error::new(elem.span(), "an application cannot depend on itself")),
                            Some(n) => model.applications.push(n),
                            None => errors.push(syn::Error::new(elem.span(), "expected an application name (identifier or string)")),
                        }
                    }
                }
                Ok(other) => errors.push(syn::Error::new(other.span(), "`applications` expects a list: `[dep_a, dep_b]`")),
                Err(e) => errors.push(e),
            },
            "env" => match expr_value(&kv) {
                Ok(Expr::Array(list)) => {
                    for elem in &list.elems {
                        match elem {
                            Expr::Assign(assign) => match name_of(&assign.left) {
                                Some(k) if model.env.iter().any(|(e, _)| e == &k) => {
                                    errors.push(syn::Error::new(assign.left.span(), format!("env key `{k}` is given twice")))
                                }
                                Some(k) => model.env.push((k, (*assign.right).clone())),
                                None => errors.push(syn::Error::new(assign.left.span(), "expected an env key (identifier)")),
                            },
                            other => errors.push(syn::Error::new(other.span(), "expected `key = value`")),
                        }
                    }
                }
                Ok(other) => errors.push(syn::Error::new(other.span(), "`env` expects a list: `[key = value, ..]`")),
                Err(e) => errors.push(e),
            },
            other => errors.push(syn::Error::new(
                kv.key.span(),
                format!("unknown #[application] key `{other}`: expected name, description, version, root, root_args, applications or env"),
            )),
        }
    }
    if let (Some(a), None) = (&model.root_args, &model.root) {
        errors.push(syn::Error::new(
            a.span(),
            "`root_args` needs a `root = SupervisorType`",
        ));
    }
    model
}
