//! Validation: the attributes must agree with each other and with the type (no `map` on an
//! enum, no `transparent` on a two-field struct, `charlist` only on `String`, no two fields or
//! variants with one name, valid atom texts, ...). Each problem is a spanned error in the
//! context, pointing at the attribute at fault. This module reads the model and never changes it.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::spanned::Spanned as _;

use super::model::{encoded, Container, Data, DefaultValue, Field, Spanned, Style};
use crate::ctxt::Ctxt;

/// The most characters an atom may have.
const MAX_ATOM_CHARS: usize = 255;

/// Records every inconsistency of the container.
pub(super) fn container(cx: &mut Ctxt, c: &Container) {
    generics(cx, c);
    attribute_combinations(cx, c);
    atom_texts(cx, c);
    match &c.data {
        Data::Struct(style, fields) => {
            struct_fields(cx, c, *style, fields);
        }
        Data::Enum(variants) => {
            let mut shapes: HashMap<(String, Option<usize>), Span> = HashMap::new();
            for v in variants {
                let name = c.variant_name(v);
                let arity = match v.style {
                    Style::Unit => None,
                    _ => Some(encoded(&v.fields).count() + 1),
                };
                let span = v.rename.as_ref().map_or(v.ident.span(), |r| r.span);
                let shape_text = match arity {
                    None => format!("the atom `{name}`"),
                    Some(n) => format!("a tuple {{{name}, ...}} of arity {n}"),
                };
                if shapes.insert((name, arity), span).is_some() {
                    cx.error(
                        span,
                        format!("two variants are encoded as {shape_text}; rename one"),
                    );
                }
                for f in &v.fields {
                    field(cx, f);
                    positional_field(
                        cx,
                        f,
                        "an enum variant's fields are positional in its tuple",
                    );
                }
            }
        }
    }
}

fn generics(cx: &mut Ctxt, c: &Container) {
    for lifetime in c.generics.lifetimes() {
        cx.error(
            lifetime.span(),
            "#[derive(Term)] does not support lifetime parameters: FromTerm builds owned values",
        );
    }
    if let Some(register) = c.attrs.register {
        if !c.generics.params.is_empty() {
            cx.error(register, "`register` needs a type without generic parameters: the registry decodes to one concrete type");
        }
    }
}

fn attribute_combinations(cx: &mut Ctxt, c: &Container) {
    let a = &c.attrs;
    if matches!(c.data, Data::Enum(_)) {
        for (span, name) in [
            (a.tag.as_ref().map(|t| t.span), "tag"),
            (a.map, "map"),
            (a.elixir_struct.as_ref().map(|t| t.span), "elixir_struct"),
            (a.transparent, "transparent"),
        ] {
            if let Some(span) = span {
                cx.error(span, format!("`{name}` applies to structs, not enums (rename variants with #[term(rename = \"...\")])"));
            }
        }
        return;
    }
    if let (Some(map), Some(_)) = (a.map, &a.elixir_struct) {
        cx.error(
            map,
            "`map` and `elixir_struct` conflict: elixir_struct already encodes as a map",
        );
    }
    if let Some(transparent) = a.transparent {
        for (present, name) in [
            (a.map.is_some(), "map"),
            (a.elixir_struct.is_some(), "elixir_struct"),
            (a.tag.is_some(), "tag"),
            (a.register.is_some(), "register"),
            (a.rename_all.is_some(), "rename_all"),
        ] {
            if present {
                cx.error(transparent, format!("`transparent` and `{name}` conflict: a transparent type is its field's term"));
            }
        }
    }
    if let Some(tag) = &a.tag {
        if a.map.is_some() || a.elixir_struct.is_some() {
            cx.error(
                tag.span,
                "`tag` has no effect on a map encoding (use elixir_struct for a __struct__ key)",
            );
        }
    }
    if let Some(register) = a.register {
        if a.map.is_some() {
            cx.error(register, "`register` needs a shape to recognise: a plain map has none (use elixir_struct, or the default tagged tuple)");
        }
    }
    if let Data::Struct(style, _) = &c.data {
        if *style != Style::Named {
            let kind = if *style == Style::Tuple {
                "tuple struct"
            } else {
                "unit struct"
            };
            if let Some(map) = a.map {
                cx.error(
                    map,
                    format!("`map` needs named fields to use as keys; this is a {kind}"),
                );
            }
            if let Some(ex) = &a.elixir_struct {
                cx.error(
                    ex.span,
                    format!("`elixir_struct` needs named fields to use as keys; this is a {kind}"),
                );
            }
            if let Some(rule) = &a.rename_all {
                cx.error(
                    rule.span,
                    format!("`rename_all` renames named fields or variants; this is a {kind}"),
                );
            }
        }
    }
}

fn atom_text(cx: &mut Ctxt, text: &Spanned<String>, what: &str) {
    let chars = text.value.chars().count();
    if chars == 0 {
        cx.error(text.span, format!("{what} must not be empty"));
    } else if chars > MAX_ATOM_CHARS {
        cx.error(
            text.span,
            format!("{what} has {chars} characters; an atom has at most {MAX_ATOM_CHARS}"),
        );
    }
}

fn atom_texts(cx: &mut Ctxt, c: &Container) {
    if let Some(tag) = &c.attrs.tag {
        atom_text(cx, tag, "`tag`");
    }
    if let Some(module) = &c.attrs.elixir_struct {
        atom_text(cx, module, "`elixir_struct`");
        let rest = module.value.strip_prefix("Elixir.");
        if !rest.is_some_and(|r| !r.is_empty()) {
            cx.error(
                module.span,
                format!(
                    "`elixir_struct` names the module atom, which starts with `Elixir.`: write \"Elixir.{}\"",
                    module.value
                ),
            );
        }
    }
    let fields: Vec<&Field> = match &c.data {
        Data::Struct(_, fields) => fields.iter().collect(),
        Data::Enum(variants) => {
            for v in variants {
                if let Some(rename) = &v.rename {
                    atom_text(cx, rename, "`rename`");
                }
            }
            variants.iter().flat_map(|v| v.fields.iter()).collect()
        }
    };
    for f in fields {
        if let Some(rename) = &f.rename {
            atom_text(cx, rename, "`rename`");
        }
    }
}

fn struct_fields(cx: &mut Ctxt, c: &Container, style: Style, fields: &[Field]) {
    for f in fields {
        field(cx, f);
    }
    if let Some(transparent) = c.attrs.transparent {
        let count = encoded(fields).count();
        if count != 1 {
            cx.error(
                transparent,
                format!("`transparent` needs exactly one encoded field; this struct has {count}"),
            );
        }
        for f in fields {
            positional_field(
                cx,
                f,
                "a transparent struct is its field's term, with no key",
            );
        }
        return;
    }
    if style == Style::Tuple {
        for f in fields {
            positional_field(cx, f, "a tuple struct's fields are positional in its tuple");
        }
        return;
    }
    let mut keys: HashMap<String, ()> = HashMap::new();
    for f in fields {
        let key = c.field_key(f);
        let span = f.rename.as_ref().map_or(f.span, |r| r.span);
        if keys.insert(key.clone(), ()).is_some() {
            cx.error(span, format!("two fields use the key `{key}`; rename one"));
        }
    }
}

/// Checks that apply to every field.
fn field(cx: &mut Ctxt, f: &Field) {
    if let Some(charlist) = f.charlist {
        if !is_string(&f.ty) {
            let ty = &f.ty;
            cx.error(
                charlist,
                format!(
                    "`charlist` applies to `String` fields; this field is `{}`",
                    type_text(ty)
                ),
            );
        }
    }
    if let Some(skip) = f.skip {
        if f.rename.is_some() || f.charlist.is_some() {
            cx.error(
                skip,
                "`skip` conflicts with `rename` and `charlist`: a skipped field is not encoded",
            );
        }
        if let Some(Spanned {
            value: DefaultValue::Trait,
            span,
        }) = &f.default
        {
            cx.error(*span, "`default` is redundant with `skip` (a skipped field is always Default::default(); use default = \"path\" for another value)");
        }
    }
}

/// The first attribute of a field that only means something for a keyed (named) field.
fn keyed_attribute(f: &Field) -> Option<(Span, &'static str)> {
    if let Some(rename) = &f.rename {
        return Some((rename.span, "rename"));
    }
    match &f.default {
        Some(default) if f.skip.is_none() => Some((default.span, "default")),
        _ => None,
    }
}

/// Fields encoded by position have no key: `rename` and `default` (for missing keys) mean nothing.
fn positional_field(cx: &mut Ctxt, f: &Field, why: &str) {
    if let Some((span, name)) = keyed_attribute(f) {
        cx.error(span, format!("`{name}` has no effect here: {why}"));
    }
}

fn is_string(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "String" && s.arguments.is_empty()),
        _ => false,
    }
}

/// A type as the user would write it (`Vec<String>`, not `Vec < String >`).
fn type_text(ty: &syn::Type) -> String {
    quote::quote!(#ty)
        .to_string()
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace(" :: ", "::")
        .replace("& ", "&")
}
