//! Reads an impl block into the [`model`](super::model): which methods are (or look like)
//! callbacks, their receivers, a leading `&mut _` parameter as the context, the other parameter
//! types and the return type, all as written. Nothing here can fail: whether the shapes are
//! right is `check`'s job, whether the types are is the compiler's (through the generated code).
//! Must not report errors or generate code, except that the attribute's own arguments are
//! parsed here and their syntax errors returned ([`arguments`]).

use super::model::{Kind, OnBadMessage, Server};

/// The attribute's arguments: empty, or `on_bad_message = drop | crash`.
pub(super) fn arguments(attr: proc_macro2::TokenStream) -> syn::Result<OnBadMessage> {
    let mut on_bad_message = OnBadMessage::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("on_bad_message") {
            let value: syn::Ident = meta.value()?.parse()?;
            on_bad_message = match value.to_string().as_str() {
                "drop" => OnBadMessage::Drop,
                "crash" => OnBadMessage::Crash,
                _ => {
                    return Err(syn::Error::new(
                        value.span(),
                        "expected `drop` (log it and go on, the default) or `crash` (stop the server, as OTP's gen_server does)",
                    ))
                }
            };
            Ok(())
        } else {
            Err(meta.error(
                "unknown #[gen_server] argument: the one argument is `on_bad_message = drop | crash`",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(on_bad_message)
}

/// The model of the block, with the attribute's arguments.
pub(super) fn server(block: &syn::ItemImpl, on_bad_message: OnBadMessage) -> Server {
    Server::read(block, on_bad_message, Kind::from_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ty: Option<&syn::Type>) -> Option<String> {
        ty.map(|t| quote::quote!(#t).to_string())
    }

    #[test]
    fn a_leading_mut_reference_is_the_context_whatever_it_is_called() {
        let block: syn::ItemImpl = syn::parse_quote! {
            impl S {
                async fn init(ctx: &mut Ctx, args: u32) -> Started { todo!() }
                async fn handle_call(&mut self, msg: Term, from: Caller) -> Answer { todo!() }
                async fn terminate(&mut self, reason: &Term) {}
                fn helper(&self) {}
            }
        };
        let server = server(&block, OnBadMessage::default());
        assert_eq!(server.methods.len(), 3, "helper is no callback");
        let init = server.get(Kind::Init).expect("init");
        assert_eq!(text(init.ctx_ty.as_ref()).as_deref(), Some("& mut Ctx"));
        assert_eq!(text(init.msg_ty()).as_deref(), Some("u32"));
        let call = server.get(Kind::Call).expect("handle_call");
        assert!(call.ctx_ty.is_none());
        assert_eq!(text(call.reply_to_ty()).as_deref(), Some("Caller"));
        assert_eq!(text(call.ret_ty.as_ref()).as_deref(), Some("Answer"));
        let terminate = server.get(Kind::Terminate).expect("terminate");
        assert!(
            terminate.ctx_ty.is_none(),
            "a shared reference is no context"
        );
        assert_eq!(text(terminate.msg_ty()).as_deref(), Some("& Term"));
    }

    #[test]
    fn duplicates_pair_each_later_definition_with_the_first() {
        let block: syn::ItemImpl = syn::parse_quote! {
            impl S {
                async fn handle_info(&mut self, m: Term) -> Status { todo!() }
                async fn init(a: ()) -> R { todo!() }
                async fn handle_info(&mut self, m: u32) -> Status { todo!() }
                async fn handle_info(&mut self, m: u8) -> Status { todo!() }
                async fn handle_nothing(&mut self) {}
            }
        };
        let server = server(&block, OnBadMessage::default());
        let pairs: Vec<(usize, usize)> = server
            .duplicates()
            .map(|(second, first)| (second.index, first.index))
            .collect();
        assert_eq!(pairs, [(2, 0), (3, 0)]);
        assert_eq!(server.get(Kind::Info).map(|m| m.index), Some(0));
        assert!(server.methods.iter().any(|m| m.kind.is_none()));
    }
}
