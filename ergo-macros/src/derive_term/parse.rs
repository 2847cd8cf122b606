//! Parsing: turns the `syn` input and its `#[term(...)]` attributes into the [`model`](super::model).
//! Unknown attributes, malformed values and attributes in the wrong place (a field attribute on
//! a container, ...) are recorded in the context; the consistency of the attributes with each other
//! and with the type is `check`'s job, not this module's.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Attribute, DeriveInput, LitStr};

use super::model::{
    Container, ContainerAttrs, Data, DefaultValue, Field, RenameRule, Spanned, Style, Variant,
};
use crate::ctxt::Ctxt;

/// Parses the input; `None` when it is not something the derive can describe (a union).
pub(super) fn container(cx: &mut Ctxt, input: &DeriveInput) -> Option<Container> {
    let attrs = container_attrs(cx, &input.attrs);
    let data = match &input.data {
        syn::Data::Struct(data) => {
            let (style, fields) = fields(cx, &data.fields);
            Data::Struct(style, fields)
        }
        syn::Data::Enum(data) => Data::Enum(data.variants.iter().map(|v| variant(cx, v)).collect()),
        syn::Data::Union(data) => {
            cx.error(
                data.union_token.span,
                "#[derive(Term)] does not support unions: a union has no term shape to read back",
            );
            return None;
        }
    };
    Some(Container {
        ident: input.ident.clone(),
        generics: input.generics.clone(),
        attrs,
        data,
    })
}

fn term_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("term"))
}

fn lit_str(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

fn set_once<T>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, name: &str, span: Span) {
    if slot.is_some() {
        cx.error(span, format!("duplicate term attribute `{name}`"));
    } else {
        *slot = Some(value);
    }
}

fn path_name(path: &syn::Path) -> String {
    path.get_ident()
        .map_or_else(|| quote::quote!(#path).to_string(), |i| i.to_string())
}

fn container_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for attr in term_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let name = path_name(&meta.path);
            match name.as_str() {
                "tag" => {
                    let v = lit_str(&meta)?;
                    set_once(cx, &mut out.tag, v, "tag", span);
                }
                "map" => set_once(cx, &mut out.map, span, "map", span),
                "transparent" => set_once(cx, &mut out.transparent, span, "transparent", span),
                "register" => set_once(cx, &mut out.register, span, "register", span),
                "elixir_struct" => {
                    let v = lit_str(&meta)?;
                    set_once(cx, &mut out.elixir_struct, v, "elixir_struct", span);
                }
                "rename_all" => {
                    let v = lit_str(&meta)?;
                    match RenameRule::ALL.iter().find(|(text, _)| *text == v.value) {
                        Some((_, rule)) => {
                            let rule = Spanned { value: *rule, span: v.span };
                            set_once(cx, &mut out.rename_all, rule, "rename_all", span);
                        }
                        None => {
                            let known: Vec<&str> = RenameRule::ALL.iter().map(|(t, _)| *t).collect();
                            cx.error(
                                v.span,
                                format!("unknown rename_all rule {:?}; expected one of {}", v.value, known.join(", ")),
                            );
                        }
                    }
                }
                "crate" => {
                    let v = lit_str(&meta)?;
                    let lit = LitStr::new(&v.value, v.span);
                    match lit.parse_with(syn::Path::parse_mod_style) {
                        Ok(path) => {
                            let path = Spanned { value: path, span: v.span };
                            set_once(cx, &mut out.krate, path, "crate", span);
                        }
                        Err(_) => cx.error(
                            v.span,
                            format!("`crate` must be a path such as \"::ergo_etf\" (the crate whose root has IntoTerm, FromTerm, Term, ...), not {:?}", v.value),
                        ),
                    }
                }
                "rename" | "charlist" | "default" | "skip" => {
                    skip_value(&meta)?;
                    cx.error(span, format!("`{name}` is a field or variant attribute, not a type attribute"));
                }
                _ => {
                    skip_value(&meta)?;
                    cx.error(
                        span,
                        format!(
                            "unknown term attribute `{name}`; expected one of tag, map, elixir_struct, transparent, register, rename_all, crate"
                        ),
                    );
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}

/// Consumes `= value` after an attribute name that is being rejected, so that parsing goes on.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

fn variant(cx: &mut Ctxt, v: &syn::Variant) -> Variant {
    let mut rename = None;
    for attr in term_attrs(&v.attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let name = path_name(&meta.path);
            match name.as_str() {
                "rename" => {
                    let value = lit_str(&meta)?;
                    set_once(cx, &mut rename, value, "rename", span);
                }
                _ => {
                    skip_value(&meta)?;
                    cx.error(
                        span,
                        format!("unknown term attribute `{name}` on a variant; expected rename"),
                    );
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    let (style, fields) = fields(cx, &v.fields);
    Variant {
        ident: v.ident.clone(),
        rename,
        style,
        fields,
    }
}

fn fields(cx: &mut Ctxt, fields: &syn::Fields) -> (Style, Vec<Field>) {
    let style = match fields {
        syn::Fields::Named(_) => Style::Named,
        syn::Fields::Unnamed(_) => Style::Tuple,
        syn::Fields::Unit => Style::Unit,
    };
    let parsed = fields
        .iter()
        .enumerate()
        .map(|(i, f)| field(cx, i, f))
        .collect();
    (style, parsed)
}

fn field(cx: &mut Ctxt, index: usize, f: &syn::Field) -> Field {
    let (member, name) = match &f.ident {
        Some(ident) => {
            let text = ident.to_string();
            let name = text.strip_prefix("r#").unwrap_or(&text).to_owned();
            (syn::Member::Named(ident.clone()), name)
        }
        None => (
            syn::Member::Unnamed(syn::Index {
                index: index as u32,
                span: f.ty.span(),
            }),
            index.to_string(),
        ),
    };
    let mut out = Field {
        member,
        name,
        ty: f.ty.clone(),
        span: f.span(),
        rename: None,
        charlist: None,
        default: None,
        skip: None,
    };
    for attr in term_attrs(&f.attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let name = path_name(&meta.path);
            match name.as_str() {
                "rename" => {
                    let v = lit_str(&meta)?;
                    set_once(cx, &mut out.rename, v, "rename", span);
                }
                "charlist" => set_once(cx, &mut out.charlist, span, "charlist", span),
                "skip" => set_once(cx, &mut out.skip, span, "skip", span),
                "default" => {
                    let value = if meta.input.peek(syn::Token![=]) {
                        let lit: LitStr = meta.value()?.parse()?;
                        match lit.parse::<syn::ExprPath>() {
                            Ok(path) => Spanned { value: DefaultValue::Path(path), span: lit.span() },
                            Err(_) => {
                                cx.error(lit.span(), "`default = \"...\"` must name a function path, e.g. \"my_mod::default_age\"");
                                return Ok(());
                            }
                        }
                    } else {
                        Spanned { value: DefaultValue::Trait, span }
                    };
                    set_once(cx, &mut out.default, value, "default", span);
                }
                "tag" | "map" | "transparent" | "register" | "elixir_struct" | "rename_all" | "crate" => {
                    skip_value(&meta)?;
                    cx.error(span, format!("`{name}` is a type attribute, not a field attribute"));
                }
                _ => {
                    skip_value(&meta)?;
                    cx.error(
                        span,
                        format!("unknown term attribute `{name}` on a field; expected one of rename, charlist, default, skip"),
                    );
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}
