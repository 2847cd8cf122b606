//! The parsed `#[supervisor]` declaration: flags and child entries, each value kept with its
//! span for error messages. Owns only data.

use proc_macro2::Span;

/// A value and where it was written.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// How a child is stopped, as written.
#[derive(Clone)]
pub(crate) enum ShutdownModel {
    BrutalKill,
    Infinity,
    Millis(u64),
}

/// One `worker(..)` or `supervisor(..)` entry.
pub(crate) struct ChildModel {
    /// `worker` or `supervisor`.
    pub kind: Spanned<String>,
    pub id: Option<syn::Ident>,
    pub start: Option<syn::Type>,
    pub args: Option<syn::Expr>,
    pub start_with: Option<syn::Expr>,
    pub name: Option<syn::LitStr>,
    pub restart: Option<Spanned<String>>,
    pub shutdown: Option<Spanned<ShutdownModel>>,
    pub significant: Option<Spanned<bool>>,
}

/// The whole declaration.
pub(crate) struct SupervisorModel {
    /// The type the impl block is for.
    pub self_ty: syn::Type,
    /// The impl's generics (must be empty; checked).
    pub generics: syn::Generics,
    /// The impl block without its `children!` list.
    pub rest: syn::ItemImpl,
    pub strategy: Option<Spanned<String>>,
    pub intensity: Option<Spanned<u32>>,
    /// The period in milliseconds (`period` is in seconds, `period_ms` in milliseconds).
    pub period_ms: Option<Spanned<u64>>,
    pub auto_shutdown: Option<Spanned<String>>,
    /// The type of `init`'s argument (`args = Type`), bound as `args` in child expressions.
    pub args: Option<syn::Type>,
    pub children: Vec<ChildModel>,
    /// Where `children!` was written (or the impl, if missing).
    pub children_span: Span,
}
