//! A callback as every impl-block behaviour attribute (`#[gen_server]`, `#[gen_stage]`, `#[gen_raft]`,
//! `#[gen_saga]`, `#[saga_worker]`) reads it from a method's signature: which callback it is,
//! its receiver, its leading `&mut` handle (the context, the saga context, the job), its other
//! parameters and its return type; and the shape checks several behaviours share (async, the
//! receiver, the arity, a required return value, `terminate`'s). Owns one callback only: the
//! block around it is `callback_block`'s, what each behaviour's callbacks must look like is its
//! own `check` step.

/// One method of a block that is, or looks like, a callback; `K` says which callback.
pub(crate) struct Callback<K> {
    /// Which callback; `None` for a `handle_*` name that is none.
    pub kind: Option<K>,
    /// Its position among the impl block's items.
    pub index: usize,
    /// The signature as written (for spans).
    pub sig: syn::Signature,
    /// `self`, `&self`, `&mut self`, ... when written.
    pub receiver: Option<syn::Receiver>,
    /// The leading handle: the first typed parameter when it is `&mut _`. Nothing else a
    /// callback takes is a `&mut` reference, so that is the handle whatever its type is called.
    pub ctx_ty: Option<syn::Type>,
    /// The other typed parameters, in order.
    pub params: Vec<syn::Type>,
    /// The declared return type (`None` = `()`).
    pub ret_ty: Option<syn::Type>,
}

/// Reads the method at `index` as a callback of kind `kind`; a method that is neither a known
/// callback nor named `handle_*` (so that a misspelt one is reported) is `None`.
pub(crate) fn read<K>(index: usize, sig: &syn::Signature, kind: Option<K>) -> Option<Callback<K>> {
    if kind.is_none() && !sig.ident.to_string().starts_with("handle_") {
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
    let ctx_ty = match typed.first() {
        Some(syn::Type::Reference(r)) if r.mutability.is_some() => Some(typed.remove(0)),
        _ => None,
    };
    let ret_ty = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, t) => Some((**t).clone()),
    };
    Some(Callback {
        kind,
        index,
        sig: sig.clone(),
        receiver,
        ctx_ty,
        params: typed,
        ret_ty,
    })
}

/// What a behaviour attribute expands to when its checks failed: the block as written, less the
/// duplicated callbacks at `duplicates` (so rustc reports only the attribute's own error, not
/// also a duplicate definition), followed by the errors.
pub(crate) fn block_with_errors(
    mut block: syn::ItemImpl,
    duplicates: impl Iterator<Item = usize>,
    errors: syn::Error,
) -> proc_macro2::TokenStream {
    let duplicates: Vec<usize> = duplicates.collect();
    block.items = std::mem::take(&mut block.items)
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !duplicates.contains(index))
        .map(|(_, item)| item)
        .collect();
    let errors = errors.to_compile_error();
    quote::quote! { #block #errors }
}

impl<K> Callback<K> {
    /// The shape the callbacks of `#[gen_server]` and `#[gen_stage]` share: async, not generic,
    /// `&mut self` (no self for `init`), and `arity` parameters besides self and the handle;
    /// `behaviour` names the attribute in the errors, `expected` is the callback's signature.
    /// False when the arity is wrong (its return type is then not worth checking).
    pub(crate) fn check_shape(
        &self,
        cx: &mut crate::ctxt::Ctxt,
        behaviour: &str,
        is_init: bool,
        arity: usize,
        expected: &str,
    ) -> bool {
        let sig = &self.sig;
        if sig.asyncness.is_none() {
            cx.error_spanned(
                sig.fn_token,
                format!("{behaviour} callbacks must be async: {expected}"),
            );
        }
        if !sig.generics.params.is_empty() {
            cx.error_spanned(
                &sig.generics,
                format!("{behaviour} callbacks cannot be generic"),
            );
        }
        match (is_init, &self.receiver) {
            (true, Some(r)) => cx.error_spanned(r, format!("init takes no self: {expected}")),
            (true, None) => {}
            (false, Some(r)) if r.reference.is_some() && r.mutability.is_some() => {}
            (false, Some(r)) => {
                cx.error_spanned(r, format!("callback must take `&mut self`: {expected}"))
            }
            (false, None) => cx.error_spanned(
                &sig.ident,
                format!("callback must take `&mut self`: {expected}"),
            ),
        }
        if self.params.len() != arity {
            cx.error_spanned(
                &sig.inputs,
                format!(
                    "`{}` takes {} parameter(s) besides self and ctx, found {}: {expected}",
                    sig.ident,
                    arity,
                    self.params.len()
                ),
            );
            return false;
        }
        true
    }

    /// A callback that must return a value (`init`, `handle_call`, ...): an error at its name
    /// when it declares no return type.
    pub(crate) fn require_return(&self, cx: &mut crate::ctxt::Ctxt, expected: &str) {
        if self.ret_ty.is_none() {
            cx.error_spanned(
                &self.sig.ident,
                format!("`{}` must return a value: {expected}", self.sig.ident),
            );
        }
    }

    /// `terminate`'s shape besides [`Callback::check_shape`]: it returns nothing and takes the
    /// reason by reference.
    pub(crate) fn check_terminate(&self, cx: &mut crate::ctxt::Ctxt, expected: &str) {
        if self.ret_ty.is_some() {
            cx.error_spanned(
                &self.sig.output,
                format!("terminate returns nothing: {expected}"),
            );
        }
        if let Some(reason) = self.params.first() {
            if !matches!(reason, syn::Type::Reference(_)) {
                cx.error_spanned(
                    reason,
                    format!("terminate takes the reason by reference: {expected}"),
                );
            }
        }
    }
}
