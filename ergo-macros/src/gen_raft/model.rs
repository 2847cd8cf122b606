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
    /// Every kind.
    const ALL: [Kind; 10] = [
        Kind::Init,
        Kind::Append,
        Kind::Get,
        Kind::Leader,
        Kind::Quorum,
        Kind::Peer,
        Kind::Call,
        Kind::Cast,
        Kind::Info,
        Kind::Terminate,
    ];

    /// The callback for a method name.
    pub(super) fn from_name(name: &str) -> Option<Kind> {
        use crate::callback_block::CallbackKind as _;
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
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

    /// Every callback name, for the unknown-callback error (`handle_get` is refused apart).
    pub(super) const NAMES: &'static str = "init, handle_append, handle_leader, handle_quorum, handle_peer, handle_call, handle_cast, handle_info, terminate";

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

/// The whole impl block (`#[gen_raft]` takes no arguments).
pub(super) type Block = crate::callback_block::CallbackBlock<Kind>;

impl crate::callback_block::CallbackKind for Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Init => "init",
            Kind::Append => "handle_append",
            Kind::Get => "handle_get",
            Kind::Leader => "handle_leader",
            Kind::Quorum => "handle_quorum",
            Kind::Peer => "handle_peer",
            Kind::Call => "handle_call",
            Kind::Cast => "handle_cast",
            Kind::Info => "handle_info",
            Kind::Terminate => "terminate",
        }
    }

    fn expected(self) -> &'static str {
        Kind::expected(self)
    }

    fn duplicate_hint(self) -> &'static str {
        match self {
            Kind::Call | Kind::Cast | Kind::Info => {
                "to take several message shapes, declare one enum deriving `Term` and `match` on it"
            }
            _ => "keep one",
        }
    }
}
