//! An impl block of callbacks, as every impl-block behaviour attribute (`#[gen_server]`,
//! `#[gen_stage]`, `#[gen_raft]`, `#[gen_saga]`, `#[saga_worker]`) reads and checks it: the
//! block's type, the trait of a trait impl, its generics, its callbacks (each read by
//! [`crate::callback::read`]), the names of its methods and the attribute's arguments; and the
//! checks they all share: an inherent, non-generic impl, known callback names, each callback
//! once, the required ones present. Owns what the behaviours share; what one callback must look
//! like is its behaviour's own `check` step, what it generates its `codegen`'s.

use syn::spanned::Spanned as _;

use crate::callback::Callback;
use crate::ctxt::Ctxt;

/// What the shared reading and checks need to know of a behaviour's callback kinds.
pub(crate) trait CallbackKind: Copy {
    /// The method name (`handle_call`).
    fn name(self) -> &'static str;
    /// The signature to write, for error messages.
    fn expected(self) -> &'static str;
    /// What to do instead of defining the callback twice, for the duplicate's error.
    fn duplicate_hint(self) -> &'static str {
        "to take several shapes, declare one enum deriving `Term` and `match` on it"
    }
}

/// An impl block of callbacks, with the attribute's arguments `A`.
pub(crate) struct CallbackBlock<K, A = ()> {
    /// The type the block is for.
    pub self_ty: syn::Type,
    /// The trait of `impl Trait for ..`, when written (not allowed).
    pub trait_path: Option<syn::Path>,
    /// The impl's generics (must be empty).
    pub generics: syn::Generics,
    /// The callbacks and would-be callbacks, in the order written (duplicates included).
    pub methods: Vec<Callback<K>>,
    /// The attribute's arguments.
    pub args: A,
    /// The names of every method of the block, callback or not.
    fn_names: Vec<String>,
}

impl<K: CallbackKind, A> CallbackBlock<K, A> {
    /// Reads `item`: `kind_of` tells a callback by its method name.
    pub(crate) fn read(
        item: &syn::ItemImpl,
        args: A,
        kind_of: impl Fn(&str) -> Option<K>,
    ) -> CallbackBlock<K, A> {
        let fns = item
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                syn::ImplItem::Fn(f) => Some((i, &f.sig)),
                _ => None,
            });
        let mut methods = Vec::new();
        let mut fn_names = Vec::new();
        for (index, sig) in fns {
            let name = sig.ident.to_string();
            methods.extend(crate::callback::read(index, sig, kind_of(&name)));
            fn_names.push(name);
        }
        CallbackBlock {
            self_ty: (*item.self_ty).clone(),
            trait_path: item.trait_.as_ref().map(|(_, path, _)| path.clone()),
            generics: item.generics.clone(),
            methods,
            args,
            fn_names,
        }
    }

    /// The first callback named `name` (the one the generated code calls).
    pub(crate) fn named(&self, name: &str) -> Option<&Callback<K>> {
        self.methods
            .iter()
            .find(|m| m.kind.is_some_and(|k| k.name() == name))
    }

    /// The first callback of a kind.
    pub(crate) fn get(&self, kind: K) -> Option<&Callback<K>> {
        self.named(kind.name())
    }

    /// Whether the block has a method of that name (`format_state`, `inspect`).
    pub(crate) fn has_fn(&self, name: &str) -> bool {
        self.fn_names.iter().any(|n| n == name)
    }

    /// Each callback defined again after its first definition, with that first definition.
    pub(crate) fn duplicates(&self) -> impl Iterator<Item = (&Callback<K>, &Callback<K>)> {
        self.methods.iter().enumerate().filter_map(|(i, m)| {
            let name = m.kind?.name();
            let first = self.methods[..i]
                .iter()
                .find(|f| f.kind.is_some_and(|k| k.name() == name))?;
            Some((m, first))
        })
    }
}

/// How a behaviour's errors name it and what it requires.
pub(crate) struct BlockRules<'a, K> {
    /// The attribute, as errors name it: `#[gen_server]`.
    pub attribute: &'a str,
    /// The type an example inherent impl names: `MyServer`.
    pub type_example: &'a str,
    /// Every callback name, for the unknown-callback error.
    pub callbacks: &'a str,
    /// The callbacks the block must define.
    pub required: &'a [K],
}

/// Records the errors every behaviour shares, and hands each known callback defined once to
/// `callback`, which checks its own shape. A trait impl or a generic block stops there.
pub(crate) fn check<K: CallbackKind, A>(
    cx: &mut Ctxt,
    block: &CallbackBlock<K, A>,
    rules: &BlockRules<'_, K>,
    mut callback: impl FnMut(&mut Ctxt, K, &Callback<K>),
) {
    let attribute = rules.attribute;
    if let Some(path) = &block.trait_path {
        cx.error_spanned(
            path,
            format!(
                "{attribute} goes on an inherent impl block (`impl {}`), not a trait impl",
                rules.type_example
            ),
        );
        return;
    }
    if !block.generics.params.is_empty() || block.generics.where_clause.is_some() {
        cx.error_spanned(
            &block.generics,
            format!("{attribute} does not support generic types"),
        );
        return;
    }
    let duplicates: Vec<_> = block.duplicates().collect();
    for m in &block.methods {
        let name = &m.sig.ident;
        let Some(kind) = m.kind else {
            cx.error_spanned(
                name,
                format!(
                    "unknown {attribute} callback `{name}`: expected one of {}",
                    rules.callbacks
                ),
            );
            continue;
        };
        match duplicates.iter().find(|(d, _)| d.index == m.index) {
            Some((_, first)) => {
                cx.error_spanned(
                    name,
                    format!(
                        "duplicate callback `{name}`: {attribute} takes one `{name}`; {}",
                        kind.duplicate_hint()
                    ),
                );
                cx.error_spanned(&first.sig.ident, format!("`{name}` is first defined here"));
            }
            None => callback(cx, kind, m),
        }
    }
    // Any definition, even a malformed one (whose own errors are reported), is not a missing one.
    for &kind in rules.required {
        if block.get(kind).is_none() {
            cx.error(
                block.self_ty.span(),
                format!(
                    "{attribute} must define `{}`: {}",
                    kind.name(),
                    kind.expected()
                ),
            );
        }
    }
}
