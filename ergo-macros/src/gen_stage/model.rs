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
    /// Every kind.
    const ALL: [Kind; 9] = [
        Kind::Init,
        Kind::Demand,
        Kind::Events,
        Kind::Subscribe,
        Kind::Cancel,
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

    /// Every callback name, for the unknown-callback error.
    pub(super) const NAMES: &'static str = "init, handle_demand, handle_events, handle_subscribe, handle_cancel, handle_call, handle_cast, handle_info, terminate";

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
pub(super) type Method = crate::callback::Callback<Kind>;

/// The whole impl block (`#[gen_stage]` takes no arguments).
pub(super) type Stage = crate::callback_block::CallbackBlock<Kind>;

impl crate::callback_block::CallbackKind for Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Init => "init",
            Kind::Demand => "handle_demand",
            Kind::Events => "handle_events",
            Kind::Subscribe => "handle_subscribe",
            Kind::Cancel => "handle_cancel",
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
        "to take several message shapes, declare one enum deriving `Term` and `match` on it"
    }
}
