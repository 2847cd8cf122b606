//! Reads an impl block into the [`model`](super::model): which methods are (or look like)
//! callbacks, their receivers, a leading `&mut _` parameter as the context, the other parameter
//! types and the return type, as written. Nothing here can fail; must not report errors.

use super::model::{Kind, Stage};

/// The model of the block.
pub(super) fn stage(block: &syn::ItemImpl) -> Stage {
    Stage::read(block, (), Kind::from_name)
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
