//! Reads a `#[gen_saga]` / `#[saga_worker]` impl block into the [`model`](super::model): the
//! methods that are (or look like) callbacks, their receivers, a leading `&mut _` parameter as
//! the handle, the other parameter types and the return type, as written. Nothing here fails
//! except the attribute's own arguments ([`arguments`]). Must not report other errors or
//! generate code.

use super::model::{Behaviour, Block, SagaArgs};

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
    let args = SagaArgs {
        behaviour,
        max_transactions,
    };
    Block::read(item, args, |name| behaviour.spec(name))
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
        let new = block.named("handle_tx_new").expect("tx_new");
        assert!(new.ctx_ty.is_some());
        assert_eq!(new.params.len(), 2);
        assert!(block
            .named("handle_tx_cancel")
            .expect("cancel")
            .ctx_ty
            .is_none());
        assert!(block.methods.iter().any(|m| m.kind.is_none()));
    }
}
