//! Reads an impl block into the `model`, checking each callback's shape (async, receiver,
//! arity, return type where detectable) and the block's (inherent, not generic, has `init`).
//! Errors are pushed with the span of the offending tokens. Must not generate code.

use syn::spanned::Spanned;

use super::model::{Callback, Kind, Server};

fn is_ctx(ty: &syn::Type) -> bool {
    if let syn::Type::Reference(r) = ty {
        if r.mutability.is_some() {
            if let syn::Type::Path(p) = r.elem.as_ref() {
                return p.path.segments.last().is_some_and(|s| s.ident == "Context");
            }
        }
    }
    false
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Parses the block; `None` when it cannot be modelled at all.
pub fn server(block: &syn::ItemImpl, errors: &mut Vec<syn::Error>) -> Option<Server> {
    if let Some((_, path, _)) = &block.trait_ {
        errors.push(syn::Error::new_spanned(
            path,
            "#[gen_server] goes on an inherent impl block (`impl MyServer`), not a trait impl",
        ));
        return None;
    }
    if !block.generics.params.is_empty() || block.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &block.generics,
            "#[gen_server] does not support generic servers",
        ));
        return None;
    }
    let mut callbacks = Vec::new();
    for item in &block.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        let name = f.sig.ident.to_string();
        let Some(kind) = Kind::from_name(&name) else {
            if name.starts_with("handle_") {
                errors.push(syn::Error::new_spanned(
                    &f.sig.ident,
                    format!("unknown gen_server callback `{name}`: expected one of init, handle_call, handle_cast, handle_info, handle_direct, terminate"),
                ));
            }
            continue;
        };
        if callbacks.iter().any(|c: &Callback| c.kind == kind) {
            errors.push(syn::Error::new_spanned(
                &f.sig.ident,
                format!("duplicate callback `{name}`"),
            ));
            continue;
        }
        if let Some(cb) = callback(kind, &f.sig, errors) {
            callbacks.push(cb);
        }
    }
    if !callbacks.iter().any(|c| c.kind == Kind::Init)
        && !errors.iter().any(|e| e.to_string().contains("init"))
    {
        errors.push(syn::Error::new(
            block.self_ty.span(),
            format!(
                "#[gen_server] needs an init callback: {}",
                Kind::Init.expected()
            ),
        ));
    }
    Some(Server {
        self_ty: (*block.self_ty).clone(),
        callbacks,
    })
}

fn callback(kind: Kind, sig: &syn::Signature, errors: &mut Vec<syn::Error>) -> Option<Callback> {
    let before = errors.len();
    let expected = kind.expected();
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format!("gen_server callbacks must be async: {expected}"),
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "gen_server callbacks cannot be generic",
        ));
    }
    let mut inputs = sig.inputs.iter().peekable();
    let receiver = match inputs.peek() {
        Some(syn::FnArg::Receiver(r)) => {
            let r = r.clone();
            inputs.next();
            Some(r)
        }
        _ => None,
    };
    match (kind, &receiver) {
        (Kind::Init, Some(r)) => errors.push(syn::Error::new_spanned(
            r,
            format!("init takes no self: {expected}"),
        )),
        (Kind::Init, None) => {}
        (_, Some(r)) if r.reference.is_some() && r.mutability.is_some() => {}
        (_, Some(r)) => errors.push(syn::Error::new_spanned(
            r,
            format!("callback must take `&mut self`: {expected}"),
        )),
        (_, None) => errors.push(syn::Error::new_spanned(
            &sig.ident,
            format!("callback must take `&mut self`: {expected}"),
        )),
    }
    let rest: Vec<&syn::PatType> = inputs
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(t),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let has_ctx = rest.first().is_some_and(|t| is_ctx(&t.ty));
    let params: Vec<&syn::PatType> = rest.iter().skip(usize::from(has_ctx)).copied().collect();
    if params.len() != kind.arity() {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!(
                "`{}` takes {} parameter(s) besides self and ctx, found {}: {expected}",
                sig.ident,
                kind.arity(),
                params.len()
            ),
        ));
        return None;
    }
    let ret_ty = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, t) => Some((**t).clone()),
    };
    match kind {
        Kind::Call => match ret_ty.as_ref().and_then(last_ident) {
            Some(n) if n == "Reply" || n == "CallOutcome" => {}
            _ => errors.push(syn::Error::new(
                sig.output
                    .span()
                    .join(sig.ident.span())
                    .unwrap_or(sig.ident.span()),
                format!("handle_call must return Reply<R> (or CallOutcome): {expected}"),
            )),
        },
        Kind::Cast | Kind::Info => {
            if let Some(t) = &ret_ty {
                if last_ident(t).as_deref() != Some("Status") {
                    errors.push(syn::Error::new_spanned(
                        t,
                        format!(
                            "`{}` must return Status (or nothing): {expected}",
                            sig.ident
                        ),
                    ));
                }
            }
        }
        Kind::Init if ret_ty.is_none() => errors.push(syn::Error::new_spanned(
            &sig.ident,
            format!("init must return Result<Self, E> or Init<Self>: {expected}"),
        )),
        Kind::Terminate if ret_ty.is_some() => errors.push(syn::Error::new_spanned(
            &sig.output,
            format!("terminate returns nothing: {expected}"),
        )),
        Kind::Direct if ret_ty.is_none() => errors.push(syn::Error::new_spanned(
            &sig.ident,
            format!("handle_direct must return a value: {expected}"),
        )),
        _ => {}
    }
    if kind == Kind::Call {
        if let Some(from) = params.get(1) {
            if !matches!(last_ident(&from.ty).as_deref(), Some("From" | "ReplyTo")) {
                errors.push(syn::Error::new_spanned(
                    &from.ty,
                    format!("the last parameter of handle_call is `from: From`: {expected}"),
                ));
            }
        }
    }
    if errors.len() != before {
        return None;
    }
    let msg_ty = match params.first() {
        Some(p) if kind == Kind::Terminate => {
            let syn::Type::Reference(_) = p.ty.as_ref() else {
                errors.push(syn::Error::new_spanned(
                    &p.ty,
                    format!("terminate takes the reason by reference: {expected}"),
                ));
                return None;
            };
            (*p.ty).clone()
        }
        Some(p) => (*p.ty).clone(),
        None => return None,
    };
    Some(Callback {
        kind,
        has_ctx,
        msg_ty,
        ret_ty,
    })
}
