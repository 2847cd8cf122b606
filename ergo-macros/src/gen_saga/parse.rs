//! Reads a `#[gen_saga]` / `#[saga_worker]` impl block into the [`model`](super::model): the
//! methods that are (or look like) callbacks, their receivers, a leading `&mut _` parameter as
//! the handle, the other parameter types and the return type, as written. Nothing here fails
//! except the attribute's own arguments ([`arguments`]). Must not report other errors or
//! generate code.

use super::model::{Behaviour, Block, Method};

/// The attribute's arguments: `#[gen_saga]` takes `max_transactions = <expr>`, `#[saga_worker]`
/// none.
pub(super) fn arguments(
    behaviour: Behaviour,
    attr: proc_macro2::TokenStream,
) -> syn::Result<Option<syn::Expr>> {
    let mut max_transactions = None;
    let parser = syn::meta::parser(|meta| {
        if behaviour == Behaviour::Saga && meta.path.is_ident("max_transactions") {
            max_transactions = Some(meta.value()?.parse::<syn::Expr>()?);
            Ok(())
        } else if behaviour == Behaviour::Saga {
            Err(meta
                .error("unknown #[gen_saga] argument: the one argument is `max_transactions = N`"))
        } else {
            Err(meta.error("#[saga_worker] takes no arguments"))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(max_transactions)
}

/// The model of the block.
pub(super) fn block(
    behaviour: Behaviour,
    item: &syn::ItemImpl,
    max_transactions: Option<syn::Expr>,
) -> Block {
    let methods = item
        .items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| match item {
            syn::ImplItem::Fn(f) => method(behaviour, index, &f.sig),
            _ => None,
        })
        .collect();
    Block {
        behaviour,
        self_ty: (*item.self_ty).clone(),
        trait_path: item.trait_.as_ref().map(|(_, path, _)| path.clone()),
        generics: item.generics.clone(),
        methods,
        max_transactions,
    }
}

/// A callback, a `handle_*` method that is none, or `None` for any other method.
fn method(behaviour: Behaviour, index: usize, sig: &syn::Signature) -> Option<Method> {
    let name = sig.ident.to_string();
    let spec = behaviour.spec(&name);
    if spec.is_none() && !name.starts_with("handle_") {
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
    // The handle is taken by `&mut`, and nothing else a callback takes is.
    let ctx_ty = match typed.first() {
        Some(syn::Type::Reference(r)) if r.mutability.is_some() => Some(typed.remove(0)),
        _ => None,
    };
    let ret_ty = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, t) => Some((**t).clone()),
    };
    Some(Method {
        spec,
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
    fn callbacks_handles_and_params_are_read_as_written() {
        let item: syn::ItemImpl = syn::parse_quote! {
            impl S {
                async fn init(args: u32) -> Result<Self, Term> { todo!() }
                async fn handle_tx_new(&mut self, saga: &mut SagaContext<'_>, tx: TxId, v: u64) {}
                async fn handle_tx_cancel(&mut self, tx: TxId, reason: Term) {}
                async fn handle_nothing(&mut self) {}
                fn helper(&self) {}
            }
        };
        let block = block(Behaviour::Saga, &item, None);
        assert_eq!(block.methods.len(), 4, "helper is no callback");
        let new = block.get("handle_tx_new").expect("tx_new");
        assert!(new.ctx_ty.is_some());
        assert_eq!(new.params.len(), 2);
        assert!(block
            .get("handle_tx_cancel")
            .expect("cancel")
            .ctx_ty
            .is_none());
        assert!(block.methods.iter().any(|m| m.spec.is_none()));
    }
}
