//! Reads an impl block into the [`model`](super::model): which methods are (or look like)
//! callbacks, their receivers, a leading `&mut _` parameter as the handle, the other parameter
//! types and the return type, as written. Nothing here can fail; must not report errors.

use super::model::{Block, Kind, Method};

/// The model of the block.
pub(super) fn block(block: &syn::ItemImpl) -> Block {
    let methods = block
        .items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| match item {
            syn::ImplItem::Fn(f) => method(index, &f.sig),
            _ => None,
        })
        .collect();
    Block {
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
    crate::callback::read(index, sig, Kind::from_name(&sig.ident.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_and_their_parameters() {
        let item: syn::ItemImpl = syn::parse_quote! {
            impl S {
                async fn init(args: u32) -> Result<(Self, RaftStart), Term> { todo!() }
                async fn handle_append(&mut self, raft: &mut RaftContext<'_>, serial: u64, k: Term, v: Term) {}
                async fn handle_nothing(&mut self) {}
                fn helper(&self) {}
            }
        };
        let block = block(&item);
        assert_eq!(block.methods.len(), 3, "helper is no callback");
        let append = block.get(Kind::Append).expect("handle_append");
        assert!(append.ctx_ty.is_some());
        assert_eq!(append.params.len(), 3);
        assert!(block.methods.iter().any(|m| m.kind.is_none()));
    }
}
