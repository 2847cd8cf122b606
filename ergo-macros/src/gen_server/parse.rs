//! Reads an impl block into the [`model`](super::model): which methods are (or look like)
//! callbacks, their receivers, a leading `&mut _` parameter as the context, the other parameter
//! types and the return type, all as written. Nothing here can fail: whether the shapes are
//! right is `check`'s job, whether the types are is the compiler's (through the generated code).
//! Must not report errors or generate code.

use super::model::{Kind, Method, Server};

/// The model of the block.
pub fn server(block: &syn::ItemImpl) -> Server {
    let methods = block
        .items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| match item {
            syn::ImplItem::Fn(f) => method(index, &f.sig),
            _ => None,
        })
        .collect();
    Server {
        self_ty: (*block.self_ty).clone(),
        trait_path: block.trait_.as_ref().map(|(_, path, _)| path.clone()),
        generics: block.generics.clone(),
        methods,
    }
}

/// A callback, a `handle_*` method that is no callback, or `None` for any other method.
fn method(index: usize, sig: &syn::Signature) -> Option<Method> {
    let name = sig.ident.to_string();
    let kind = Kind::from_name(&name);
    if kind.is_none() && !name.starts_with("handle_") {
        return None;
    }
    let mut receiver = None;
    let mut typed = Vec::new();
    for input in &sig.inputs {
        match input {
            syn::FnArg::Receiver(r) => receiver = Some(r.clone()),
            syn::FnArg::Typed(t) => typed.push((*t.ty).clone()),
        }
    }
    // A context is taken by `&mut`, and nothing else a callback takes is: the first parameter is
    // the context exactly when it is a `&mut` reference, whatever its type is called.
    let ctx_ty = match typed.first() {
        Some(syn::Type::Reference(r)) if r.mutability.is_some() => Some(typed.remove(0)),
        _ => None,
    };
    let ret_ty = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, t) => Some((**t).clone()),
    };
    Some(Method {
        kind,
        index,
        sig: sig.clone(),
        receiver,
        ctx_ty,
        params: typed,
        ret_ty,
    })
}
