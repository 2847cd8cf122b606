//! The error collector: every stage of `#[derive(Term)]` records spanned errors here instead of
//! stopping at the first, and they are emitted together. Owns nothing else.

use std::fmt::Display;

use proc_macro2::Span;

/// Collects errors; [`Ctxt::finish`] combines them into one `syn::Error`.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// An empty collector.
    pub fn new() -> Ctxt {
        Ctxt::default()
    }

    /// Records an error at a span.
    pub fn error(&mut self, span: Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an error that already has its span.
    pub fn syn_error(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// `Ok` when nothing was recorded, else all errors combined.
    pub fn finish(self) -> Result<(), syn::Error> {
        let mut errors = self.errors.into_iter();
        match errors.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in errors {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}
