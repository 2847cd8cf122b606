//! The model of a `#[gen_raft]` impl block: the block's shape and each callback as written,
//! parameter and return types verbatim (the generated code checks types through trait bounds).
//! Must not parse, check or generate tokens.

/// One callback kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `init`.
    Init,
    /// `handle_append`.
    Append,
    /// `handle_get`: the seed's, with no counterpart here (reported by check).
    Get,
    /// `handle_leader`.
    Leader,
    /// `handle_quorum`.
    Quorum,
    /// `handle_peer`.
    Peer,
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
            "handle_append" => Kind::Append,
            "handle_get" => Kind::Get,
            "handle_leader" => Kind::Leader,
            "handle_quorum" => Kind::Quorum,
            "handle_peer" => Kind::Peer,
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
            Kind::Init => "async fn init([ctx: &mut Context,] args: A) -> Result<(Self, RaftStart), E> (or Init<(Self, RaftStart)>)",
            Kind::Append => "async fn handle_append(&mut self, [raft: &mut RaftContext<'_>,] serial: u64, key: K, value: V) [-> Status]",
            Kind::Get => "(none: openraft sends a peer catching up the entries or a snapshot itself; read an entry with `raft.get_serial(serial)`)",
            Kind::Leader => "async fn handle_leader(&mut self, [raft: &mut RaftContext<'_>,] leader: Option<Atom>, term: u64) [-> Status]",
            Kind::Quorum => "async fn handle_quorum(&mut self, [raft: &mut RaftContext<'_>,] members: Vec<Atom>) [-> Status]",
            Kind::Peer => "async fn handle_peer(&mut self, [raft: &mut RaftContext<'_>,] peer: Atom, online: bool) [-> Status]",
            Kind::Call => "async fn handle_call(&mut self, [raft: &mut RaftContext<'_>,] msg: T, from: ReplyTo) -> Reply<R> (or CallOutcome)",
            Kind::Cast => "async fn handle_cast(&mut self, [raft: &mut RaftContext<'_>,] msg: T) [-> Status]",
            Kind::Info => "async fn handle_info(&mut self, [raft: &mut RaftContext<'_>,] msg: T) [-> Status]",
            Kind::Terminate => "async fn terminate(&mut self, [ctx: &mut Context,] reason: &Term)",
        }
    }

    /// How many parameters besides `self` and the handle.
    pub(super) fn arity(self) -> usize {
        match self {
            Kind::Append => 3,
            Kind::Leader | Kind::Peer | Kind::Call => 2,
            _ => 1,
        }
    }
}

/// One method of the block that is, or looks like, a callback.
pub(super) type Method = crate::callback::Callback<Kind>;

/// The whole impl block.
pub(super) struct Block {
    /// The state type.
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

impl Block {
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
