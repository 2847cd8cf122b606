//! Reads an impl block into the [`model`](super::model): which methods are (or look like)
//! callbacks, their receivers, a leading `&mut _` parameter as the handle, the other parameter
//! types and the return type, as written. Nothing here can fail; must not report errors.

use super::model::{Block, Kind};

/// The model of the block.
pub(super) fn block(block: &syn::ItemImpl) -> Block {
    Block::read(block, (), Kind::from_name)
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
