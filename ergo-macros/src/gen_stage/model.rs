//! The model of a `#[gen_stage]` impl block: the block's shape and each callback as written,
//! parameter and return types verbatim (the generated code checks types through trait bounds).
//! Must not parse, check or generate tokens.

/// One callback kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `init`.
    Init,
    /// `handle_demand`.
    Demand,
    /// `handle_events`.
    Events,
    /// `handle_subscribe`.
    Subscribe,
    /// `handle_cancel`.
    Cancel,
    /// `handle_call`.
    Call,
    /// `handle_cast`.
    Cast,
    /// `handle_info`.
    Info,
    /// `terminate`.
    Terminate,
}

impl Kind {
    /// The callback for a method name.
    pub(super) fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "init" => Kind::Init,
            "handle_demand" => Kind::Demand,
            "handle_events" => Kind::Events,
            "handle_subscribe" => Kind::Subscribe,
            "handle_cancel" => Kind::Cancel,
            "handle_call" => Kind::Call,
            "handle_cast" => Kind::Cast,
            "handle_info" => Kind::Info,
            "terminate" => Kind::Terminate,
            _ => return None,
        })
    }

    /// The signature the user must write, for error messages.
    pub(super) fn expected(self) -> &'static str {
        match self {
            Kind::Init => "async fn init([ctx: &mut Context,] args: A) -> StageInit<Self>",
            Kind::Demand => "async fn handle_demand(&mut self, [ctx: &mut Context,] demand: u64) -> Emit<E> (or Vec<E>)",
            Kind::Events => "async fn handle_events(&mut self, [ctx: &mut Context,] events: Vec<T>, from: &StageFrom) -> Emit<E> (or Vec<E>, or nothing)",
            Kind::Subscribe => "async fn handle_subscribe(&mut self, [ctx: &mut Context,] role: Role, options: &Term, from: &StageFrom) -> SubscribeMode",
            Kind::Cancel => "async fn handle_cancel(&mut self, [ctx: &mut Context,] cancel: CancelKind, from: &StageFrom) -> Emit<E> (or nothing)",
            Kind::Call => "async fn handle_call(&mut self, [ctx: &mut Context,] msg: T, from: ReplyTo) -> Reply<R> (or StageReply)",
            Kind::Cast => "async fn handle_cast(&mut self, [ctx: &mut Context,] msg: T) -> Emit<E> (or nothing)",
            Kind::Info => "async fn handle_info(&mut self, [ctx: &mut Context,] msg: T) -> Emit<E> (or nothing)",
            Kind::Terminate => "async fn terminate(&mut self, [ctx: &mut Context,] reason: &Term)",
        }
    }

    /// How many parameters besides `self` and `ctx`.
    pub(super) fn arity(self) -> usize {
        match self {
            Kind::Subscribe => 3,
            Kind::Events | Kind::Cancel | Kind::Call => 2,
            _ => 1,
        }
    }
}

/// One method of the block that is, or looks like, a callback.
pub(super) struct Method {
    /// Which callback; `None` for a `handle_*` name that is none.
    pub kind: Option<Kind>,
    /// Its position among the impl block's items.
    pub index: usize,
    /// The signature as written (for spans).
    pub sig: syn::Signature,
    /// `self`, `&self`, `&mut self`, ... when written.
    pub receiver: Option<syn::Receiver>,
    /// The context parameter's type: the first typed parameter when it is `&mut _`.
    pub ctx_ty: Option<syn::Type>,
    /// The other typed parameters, in order.
    pub params: Vec<syn::Type>,
    /// The declared return type (`None` = `()`).
    pub ret_ty: Option<syn::Type>,
}

/// The whole impl block.
pub(super) struct Stage {
    /// The stage type.
    pub self_ty: syn::Type,
    /// The trait of `impl Trait for ..`, when written (not allowed).
    pub trait_path: Option<syn::Path>,
    /// The impl's generics (must be empty).
    pub generics: syn::Generics,
    /// The callbacks and would-be callbacks, in the order written (duplicates included).
    pub methods: Vec<Method>,
    /// The block has a `format_state` method.
    pub has_format_state: bool,
}

impl Stage {
    /// The first callback of a kind (the one the generated code calls).
    pub(super) fn get(&self, kind: Kind) -> Option<&Method> {
        self.methods.iter().find(|m| m.kind == Some(kind))
    }

    /// Each callback defined again after its first definition, with that first definition.
    pub(super) fn duplicates(&self) -> impl Iterator<Item = (&Method, &Method)> {
        self.methods.iter().enumerate().filter_map(|(i, m)| {
            let kind = m.kind?;
            let first = self.methods[..i].iter().find(|f| f.kind == Some(kind))?;
            Some((m, first))
        })
    }
}
