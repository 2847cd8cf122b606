//! Reads an impl block into the [`model`](super::model): which methods are (or look like)
//! callbacks, their receivers, a leading `&mut _` parameter as the context, the other parameter
//! types and the return type, as written. Nothing here can fail; must not report errors.

use super::model::{Kind, Method, Stage};

/// The model of the block.
pub(super) fn stage(block: &syn::ItemImpl) -> Stage {
    let methods = block
        .items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| match item {
            syn::ImplItem::Fn(f) => method(index, &f.sig),
            _ => None,
        })
        .collect();
    Stage {
        self_ty: (*block.self_ty).clone(),
        trait_path: block.trait_.as_ref().map(|(_, path, _)| path.clone()),
        generics: block.generics.clone(),
        methods,
        has_format_state: block
            .items
            .iter()
            .any(|item| matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "format_state")),
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
    // The context is the one parameter taken by `&mut`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_and_their_parameters() {
        let block: syn::ItemImpl = syn::parse_quote! {
            impl S {
                async fn init(args: u32) -> StageInit<Self> { todo!() }
                async fn handle_events(&mut self, ctx: &mut Context, events: Vec<u64>, from: &StageFrom) {}
                async fn handle_nothing(&mut self) {}
                fn helper(&self) {}
            }
        };
        let stage = stage(&block);
        assert_eq!(stage.methods.len(), 3, "helper is no callback");
        let events = stage.get(Kind::Events).expect("handle_events");
        assert!(events.ctx_ty.is_some());
        assert_eq!(events.params.len(), 2);
        assert!(stage.methods.iter().any(|m| m.kind.is_none()));
    }
}
