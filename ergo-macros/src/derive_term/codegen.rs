//! Code generation: from a checked [`Container`] to the `IntoTerm`, `FromTerm` (and, for
//! structs with named fields, `FromFields`) impls, plus the registry entry for
//! `#[term(register)]`. Everything is wrapped in `const _: () = { ... };` and names only paths
//! under the container's root (`#[term(crate = "..")]`, default `::ergo`), plus `::core` and
//! `::std`. Under the root it names items of ergo_etf's root (`IntoTerm`, `FromTerm`,
//! `FromFields`, `Term`, `Map`, `Charlist`, `ConvertError`, `missing_field`, `take_field`,
//! `registry::{Registration, Shape}`) and `__private::inventory`, so `::ergo` and `::ergo_etf`
//! both work. This module assumes `check` passed; it never reports errors itself.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::model::{encoded, Container, Data, DefaultValue, Field, Spanned, Style, Variant};

/// The whole expansion.
pub(super) fn expand(c: &Container) -> TokenStream {
    let into = into_term_impl(c);
    let from = from_term_impl(c);
    let fields = from_fields_impl(c);
    let register = registration(c);
    quote! {
        const _: () = {
            #into
            #from
            #fields
            #register
        };
    }
}

/// `impl<..> Trait for Type<..> where each type parameter: Bound`.
fn impl_header(c: &Container, trait_path: TokenStream, bound: TokenStream) -> TokenStream {
    let ident = &c.ident;
    let mut generics = c.generics.clone();
    let params: Vec<syn::Ident> = generics.type_params().map(|p| p.ident.clone()).collect();
    {
        let where_clause = generics.make_where_clause();
        for p in params {
            where_clause.predicates.push(syn::parse_quote!(#p: #bound));
        }
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! { impl #impl_generics #trait_path for #ident #ty_generics #where_clause }
}

fn encode_field(root: &syn::Path, f: &Field, value: TokenStream) -> TokenStream {
    if f.charlist.is_some() {
        quote! { #root::Charlist::encode(&#value) }
    } else {
        quote! { #root::IntoTerm::into_term(#value) }
    }
}

/// Decodes a field from the term `value`, naming `owner` (type or Type::Variant) and the field on
/// failure; evaluates to the field's value (uses `?`).
fn decode_field(root: &syn::Path, f: &Field, owner: &str, value: TokenStream) -> TokenStream {
    let name = &f.name;
    let ty = &f.ty;
    if f.charlist.is_some() {
        quote! {
            #root::Charlist::decode("String", #value)
                .map_err(|__e| __e.within(#name).within(#owner))?
        }
    } else {
        quote! {
            <#ty as #root::FromTerm>::from_term(#value)
                .map_err(|__e| __e.within(#name).within(#owner))?
        }
    }
}

fn default_value(f: &Field) -> TokenStream {
    match &f.default {
        Some(Spanned {
            value: DefaultValue::Path(path),
            ..
        }) => quote! { #path() },
        _ => quote! { ::core::default::Default::default() },
    }
}

fn elixir_module(c: &Container) -> Option<&str> {
    c.attrs.elixir_struct.as_ref().map(|m| m.value.as_str())
}

fn is_map_like(c: &Container) -> bool {
    c.attrs.map.is_some() || c.attrs.elixir_struct.is_some()
}

fn record_expected(tag: &str, style: Style, fields: &[Field]) -> String {
    let mut parts = vec![tag.to_owned()];
    for f in encoded(fields) {
        parts.push(if style == Style::Named {
            f.name.clone()
        } else {
            "_".to_owned()
        });
    }
    format!("{{{}}}", parts.join(", "))
}

fn into_term_impl(c: &Container) -> TokenStream {
    let root = c.root();
    let header = impl_header(c, quote!(#root::IntoTerm), quote!(#root::IntoTerm));
    let body = match &c.data {
        Data::Struct(style, fields) => struct_into(c, *style, fields),
        Data::Enum(variants) => enum_into(c, variants),
    };
    quote! {
        #[automatically_derived]
        #header {
            fn into_term(self) -> #root::Term {
                #body
            }
        }
    }
}

fn struct_into(c: &Container, style: Style, fields: &[Field]) -> TokenStream {
    let root = c.root();
    if c.attrs.transparent.is_some() {
        let field = encoded(fields).next();
        return match field {
            Some(f) => {
                let m = &f.member;
                encode_field(&root, f, quote!(self.#m))
            }
            None => quote! { #root::Term::nil() },
        };
    }
    if is_map_like(c) {
        let pairs = encoded(fields).map(|f| {
            let m = &f.member;
            let key = c.field_key(f);
            let value = encode_field(&root, f, quote!(self.#m));
            quote! { (#root::Term::atom(#key), #value) }
        });
        let module = elixir_module(c)
            .map(|m| quote! { (#root::Term::atom("__struct__"), #root::Term::atom(#m)), });
        return quote! {
            #root::Term::Map(#root::Map::from_pairs(::std::vec![#module #(#pairs),*]))
        };
    }
    let tag = c.tag();
    if style == Style::Unit {
        return quote! { #root::Term::atom(#tag) };
    }
    let elems = encoded(fields).map(|f| {
        let m = &f.member;
        encode_field(&root, f, quote!(self.#m))
    });
    quote! { #root::Term::Tuple(::std::vec![#root::Term::atom(#tag), #(#elems),*]) }
}

fn binding(i: usize) -> syn::Ident {
    format_ident!("__f{}", i)
}

fn enum_into(c: &Container, variants: &[Variant]) -> TokenStream {
    let root = c.root();
    let arms = variants.iter().map(|v| {
        let ident = &v.ident;
        let name = c.variant_name(v);
        if v.style == Style::Unit {
            return quote! { Self::#ident => #root::Term::atom(#name), };
        }
        let pattern = v
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_encoded())
            .map(|(i, f)| {
                let m = &f.member;
                let b = binding(i);
                quote! { #m: #b }
            });
        let elems = v
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_encoded())
            .map(|(i, f)| {
                let b = binding(i);
                encode_field(&root, f, quote!(#b))
            });
        quote! {
            Self::#ident { #(#pattern,)* .. } =>
                #root::Term::Tuple(::std::vec![#root::Term::atom(#name), #(#elems),*]),
        }
    });
    quote! {
        match self {
            #(#arms)*
        }
    }
}

fn from_term_impl(c: &Container) -> TokenStream {
    let root = c.root();
    let header = impl_header(c, quote!(#root::FromTerm), quote!(#root::FromTerm));
    let body = match &c.data {
        Data::Struct(style, fields) => struct_from(c, *style, fields),
        Data::Enum(variants) => enum_from(c, variants),
    };
    quote! {
        #[automatically_derived]
        #header {
            fn from_term(__term: #root::Term) -> ::core::result::Result<Self, #root::ConvertError> {
                #body
            }
        }
    }
}

/// Field initialisers reading encoded fields from the iterator `__elems` in order; skipped fields
/// get their default.
fn positional_inits(root: &syn::Path, fields: &[Field], owner: &str) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|f| {
            let m = &f.member;
            if f.is_encoded() {
                let value = decode_field(
                    root,
                    f,
                    owner,
                    quote! { __elems.next().unwrap_or_else(#root::Term::nil) },
                );
                quote! { #m: #value }
            } else {
                let value = default_value(f);
                quote! { #m: #value }
            }
        })
        .collect()
}

fn struct_from(c: &Container, style: Style, fields: &[Field]) -> TokenStream {
    let root = c.root();
    let name = c.name();
    if c.attrs.transparent.is_some() {
        let inits = fields.iter().map(|f| {
            let m = &f.member;
            let value = if f.is_encoded() {
                decode_field(&root, f, &name, quote!(__term))
            } else {
                default_value(f)
            };
            quote! { #m: #value }
        });
        return quote! { ::core::result::Result::Ok(Self { #(#inits),* }) };
    }
    if let Some(module) = elixir_module(c) {
        let expected = format!("an Elixir struct %{{__struct__ => {module}}}");
        return quote! {
            match __term {
                #root::Term::Map(__map)
                    if __map.get_atom("__struct__").is_some_and(|__s| __s.is_atom(#module)) =>
                {
                    <Self as #root::FromFields>::from_fields(__map)
                }
                __other => ::core::result::Result::Err(#root::ConvertError::new(#name, #expected, &__other)),
            }
        };
    }
    if c.attrs.map.is_some() {
        let keys: Vec<String> = encoded(fields).map(|f| c.field_key(f)).collect();
        let expected = format!("a map with keys {}", keys.join(", "));
        return quote! {
            match __term {
                #root::Term::Map(__map) => <Self as #root::FromFields>::from_fields(__map),
                __other => ::core::result::Result::Err(#root::ConvertError::new(#name, #expected, &__other)),
            }
        };
    }
    let tag = c.tag();
    if style == Style::Unit {
        let expected = format!("the atom {tag}");
        return quote! {
            if __term.is_atom(#tag) {
                ::core::result::Result::Ok(Self)
            } else {
                ::core::result::Result::Err(#root::ConvertError::new(#name, #expected, &__term))
            }
        };
    }
    let arity = encoded(fields).count() + 1;
    let expected = record_expected(&tag, style, fields);
    let inits = positional_inits(&root, fields, &name);
    quote! {
        match __term {
            #root::Term::Tuple(__elems)
                if __elems.len() == #arity && __elems.first().is_some_and(|__t| __t.is_atom(#tag)) =>
            {
                let mut __elems = __elems.into_iter().skip(1);
                ::core::result::Result::Ok(Self { #(#inits),* })
            }
            __other => ::core::result::Result::Err(#root::ConvertError::new(#name, #expected, &__other)),
        }
    }
}

fn enum_from(c: &Container, variants: &[Variant]) -> TokenStream {
    let root = c.root();
    let name = c.name();
    let shapes: Vec<String> = variants
        .iter()
        .map(|v| {
            let vname = c.variant_name(v);
            if v.style == Style::Unit {
                vname
            } else {
                record_expected(&vname, v.style, &v.fields)
            }
        })
        .collect();
    let expected = if shapes.is_empty() {
        "nothing (the enum has no variants)".to_owned()
    } else {
        format!("one of {}", shapes.join(" | "))
    };
    let error = |term: TokenStream| {
        quote! { ::core::result::Result::Err(#root::ConvertError::new(#name, #expected, &#term)) }
    };

    let unit_arms: Vec<TokenStream> = variants
        .iter()
        .filter(|v| v.style == Style::Unit)
        .map(|v| {
            let ident = &v.ident;
            let vname = c.variant_name(v);
            quote! { #vname => ::core::result::Result::Ok(Self::#ident), }
        })
        .collect();
    let atom_arm = if unit_arms.is_empty() {
        quote! {}
    } else {
        let err = error(quote! { #root::Term::Atom(__atom) });
        quote! {
            #root::Term::Atom(__atom) => match __atom.as_str() {
                #(#unit_arms)*
                _ => #err,
            },
        }
    };

    let tuple_variants: Vec<(usize, &Variant)> = variants
        .iter()
        .filter(|v| v.style != Style::Unit)
        .enumerate()
        .collect();
    let tuple_arm = if tuple_variants.is_empty() {
        quote! {}
    } else {
        let which = tuple_variants.iter().map(|(i, v)| {
            let vname = c.variant_name(v);
            let arity = encoded(&v.fields).count() + 1;
            quote! { (::core::option::Option::Some(#vname), #arity) => ::core::option::Option::Some(#i), }
        });
        let decode = tuple_variants.iter().map(|(i, v)| {
            let ident = &v.ident;
            let owner = format!("{name}::{ident}");
            let inits = positional_inits(&root, &v.fields, &owner);
            quote! {
                ::core::option::Option::Some(#i) => {
                    let mut __elems = __elems.into_iter().skip(1);
                    ::core::result::Result::Ok(Self::#ident { #(#inits),* })
                }
            }
        });
        let err = error(quote! { #root::Term::Tuple(__elems) });
        quote! {
            #root::Term::Tuple(__elems) => {
                let __which: ::core::option::Option<usize> = match (
                    __elems.first().and_then(|__t| __t.as_atom()).map(|__a| __a.as_str()),
                    __elems.len(),
                ) {
                    #(#which)*
                    _ => ::core::option::Option::None,
                };
                match __which {
                    #(#decode)*
                    _ => #err,
                }
            }
        }
    };
    let other = error(quote! { __other });
    quote! {
        match __term {
            #atom_arm
            #tuple_arm
            __other => #other,
        }
    }
}

/// `FromFields` for structs with named fields (record, map and Elixir-struct encodings alike),
/// which is what `from_proplist` and the map encodings read through.
fn from_fields_impl(c: &Container) -> TokenStream {
    let root = c.root();
    let Data::Struct(Style::Named, fields) = &c.data else {
        return quote! {};
    };
    if c.attrs.transparent.is_some() {
        return quote! {};
    }
    let name = c.name();
    let header = impl_header(c, quote!(#root::FromFields), quote!(#root::FromTerm));
    let inits = fields.iter().map(|f| {
        let m = &f.member;
        if !f.is_encoded() {
            let value = default_value(f);
            return quote! { #m: #value };
        }
        let key = c.field_key(f);
        let value = decode_field(&root, f, &name, quote!(__value));
        let missing = if f.default.is_some() {
            default_value(f)
        } else {
            quote! { return ::core::result::Result::Err(#root::missing_field(#name, #key)) }
        };
        quote! {
            #m: match #root::take_field(&mut __fields, #key) {
                ::core::option::Option::Some(__value) => #value,
                ::core::option::Option::None => #missing,
            }
        }
    });
    quote! {
        #[automatically_derived]
        #header {
            fn from_fields(mut __fields: #root::Map) -> ::core::result::Result<Self, #root::ConvertError> {
                ::core::result::Result::Ok(Self { #(#inits),* })
            }
        }
    }
}

fn registration(c: &Container) -> TokenStream {
    let root = c.root();
    if c.attrs.register.is_none() {
        return quote! {};
    }
    let ident = &c.ident;
    let name = c.name();
    let shapes: Vec<TokenStream> = match &c.data {
        Data::Struct(style, fields) => {
            if let Some(module) = elixir_module(c) {
                vec![quote! { #root::registry::Shape::ElixirStruct(#module) }]
            } else if *style == Style::Unit {
                let tag = c.tag();
                vec![quote! { #root::registry::Shape::Atom(#tag) }]
            } else {
                let tag = c.tag();
                let arity = encoded(fields).count() + 1;
                vec![quote! { #root::registry::Shape::Tagged { tag: #tag, arity: #arity } }]
            }
        }
        Data::Enum(variants) => variants
            .iter()
            .map(|v| {
                let vname = c.variant_name(v);
                if v.style == Style::Unit {
                    quote! { #root::registry::Shape::Atom(#vname) }
                } else {
                    let arity = encoded(&v.fields).count() + 1;
                    quote! { #root::registry::Shape::Tagged { tag: #vname, arity: #arity } }
                }
            })
            .collect(),
    };
    quote! {
        #root::__private::inventory::submit! {
            #root::registry::Registration::new::<#ident>(
                ::core::concat!(::core::module_path!(), "::", #name),
                &[#(#shapes),*],
            )
        }
    }
}
