//! The model of a `#[gen_server]` impl block: the block's shape (trait impl? generic?) and each
//! callback as written, with its parameter and return types kept verbatim (an alias is as good
//! as the type it names: the generated code checks types through trait bounds, not `check`).
//! Must not parse, check or generate tokens.

/// One callback kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// `init`.
    Init,
    /// `handle_call`.
    Call,
    /// `handle_cast`.
    Cast,
    /// `handle_info`.
    Info,
    /// `handle_direct`.
    Direct,
    /// `terminate`.
    Terminate,
}

impl Kind {
    /// Every kind.
    const ALL: [Kind; 6] = [
        Kind::Init,
        Kind::Call,
        Kind::Cast,
        Kind::Info,
        Kind::Direct,
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
            Kind::Init => "async fn init([ctx: &mut Context,] args: A) -> Result<Self, E> (or Init<Self>)",
            Kind::Call => "async fn handle_call(&mut self, [ctx: &mut Context,] msg: T, from: ReplyTo) -> Reply<R>",
            Kind::Cast => "async fn handle_cast(&mut self, [ctx: &mut Context,] msg: T) -> Status",
            Kind::Info => "async fn handle_info(&mut self, [ctx: &mut Context,] msg: T) -> Status",
            Kind::Direct => "async fn handle_direct(&mut self, [ctx: &mut Context,] msg: T) -> R",
            Kind::Terminate => "async fn terminate(&mut self, [ctx: &mut Context,] reason: &Term)",
        }
    }

    /// Every callback name, for the unknown-callback error.
    pub(super) const NAMES: &'static str =
        "init, handle_call, handle_cast, handle_info, handle_direct, terminate";

    /// How many parameters besides `self` and `ctx`.
    pub(super) fn arity(self) -> usize {
        match self {
            Kind::Call => 2,
            _ => 1,
        }
    }

    /// How to handle several message shapes in one callback, for the duplicate-callback error.
    pub(super) fn one_callback_hint(self) -> &'static str {
        match self {
            Kind::Call => "to answer several request shapes, declare one enum deriving `Term` whose variants are the shapes, e.g. `#[derive(Term)] enum Request { Get, Put(u32) }`, take `msg: Request` and `match msg { Request::Get => .., Request::Put(n) => .. }`",
            Kind::Cast => "to handle several cast shapes, declare one enum deriving `Term` whose variants are the shapes, e.g. `#[derive(Term)] enum Cast { Reset, Add(u32) }`, take `msg: Cast` and `match msg { Cast::Reset => .., Cast::Add(n) => .. }`",
            Kind::Info => "to handle several message shapes, declare one enum deriving `Term` whose variants are the shapes, e.g. `#[derive(Term)] enum Info { Tick, Job(u32) }`, take `msg: Info` and `match msg { Info::Tick => .., Info::Job(n) => .. }`",
            Kind::Direct => "to take several request types, declare one enum of them, take it as `msg` and `match` on it",
            Kind::Init => "to start from several argument shapes, declare one enum of them, take it as `args` and `match` on it",
            Kind::Terminate => "keep one",
        }
    }
}

/// One method of the block that is, or looks like, a callback.
pub(super) type Method = crate::callback::Callback<Kind>;

impl Method {
    /// The message (or args, or reason) type.
    pub(super) fn msg_ty(&self) -> Option<&syn::Type> {
        self.params.first()
    }

    /// `handle_call`'s reply handle type.
    pub(super) fn reply_to_ty(&self) -> Option<&syn::Type> {
        self.params.get(1)
    }
}

/// The whole impl block, with the attribute's `on_bad_message` as its arguments.
pub(super) type Server = crate::callback_block::CallbackBlock<Kind, OnBadMessage>;

/// `#[gen_server(on_bad_message = drop | crash)]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum OnBadMessage {
    /// The runtime's policy: logged and dropped (a call refused at once); the server runs on.
    #[default]
    Drop,
    /// OTP's: the server stops with `{bad_call | bad_cast | bad_info, Msg}` (its supervisor
    /// restarts it; a caller sees the server go down).
    Crash,
}

impl crate::callback_block::CallbackKind for Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Init => "init",
            Kind::Call => "handle_call",
            Kind::Cast => "handle_cast",
            Kind::Info => "handle_info",
            Kind::Direct => "handle_direct",
            Kind::Terminate => "terminate",
        }
    }

    fn expected(self) -> &'static str {
        Kind::expected(self)
    }

    fn duplicate_hint(self) -> &'static str {
        self.one_callback_hint()
    }
}
