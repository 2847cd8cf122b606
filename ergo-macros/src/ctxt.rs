//! The error context shared by every macro (serde_derive's `Ctxt`): each stage records spanned
//! errors here instead of stopping at the first, and [`Ctxt::finish`] combines them into one
//! `syn::Error`, emitted as one set of `compile_error!`s. Owns nothing else.

use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// Collects errors; [`Ctxt::finish`] combines them into one `syn::Error`. Dropping a context
/// without finishing it is a bug in the macro (errors would be lost) and panics.
pub(crate) struct Ctxt {
    /// `None` once finished.
    errors: Option<Vec<syn::Error>>,
}

impl Ctxt {
    /// An empty collector.
    pub(crate) fn new() -> Ctxt {
        Ctxt {
            errors: Some(Vec::new()),
        }
    }

    fn push(&mut self, error: syn::Error) {
        self.errors
            .as_mut()
            .expect("Ctxt used after finish")
            .push(error);
    }

    /// Records an error at a span.
    pub(crate) fn error(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an error spanning the tokens of `tokens` (first to last token, where the
    /// compiler can join spans).
    pub(crate) fn error_spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error that already has its span (a `syn` parse error).
    pub(crate) fn syn_error(&mut self, error: syn::Error) {
        self.push(error);
    }

    /// Records the error of a failed step and gives its value otherwise.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// `Ok` when nothing was recorded, else all errors combined, in the order recorded.
    pub(crate) fn finish(mut self) -> Result<(), syn::Error> {
        let errors = self.errors.take().unwrap_or_default();
        errors
            .into_iter()
            .reduce(|mut all, e| {
                all.combine(e);
                all
            })
            .map_or(Ok(()), Err)
    }
}

impl Ctxt {
    /// The recorded errors as `compile_error!`s (nothing when there are none), for a macro that
    /// cannot go on.
    pub(crate) fn into_compile_errors(self) -> proc_macro2::TokenStream {
        self.finish()
            .err()
            .map(|e| e.to_compile_error())
            .unwrap_or_default()
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if self.errors.is_some() && !std::thread::panicking() {
            panic!("ergo-macros bug: Ctxt dropped without finish()");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_combines_every_error_in_the_order_recorded() {
        let mut cx = Ctxt::new();
        cx.error(Span::call_site(), "first");
        cx.syn_error(syn::Error::new(Span::call_site(), "second"));
        assert_eq!(cx.ok(Ok::<u8, syn::Error>(7)), Some(7));
        assert_eq!(
            cx.ok(Err::<u8, _>(syn::Error::new(Span::call_site(), "third"))),
            None
        );
        let messages: Vec<String> = match cx.finish() {
            Ok(()) => panic!("errors were recorded"),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        };
        assert_eq!(messages, ["first", "second", "third"]);
    }

    #[test]
    fn an_empty_context_finishes_ok() {
        assert!(Ctxt::new().finish().is_ok());
        assert!(Ctxt::new().into_compile_errors().is_empty());
    }
}
