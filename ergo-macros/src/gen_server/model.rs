//! The model of a `#[gen_server]` impl block: which callbacks exist and their message types.
//! Must not parse or generate tokens.

/// One callback kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
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
    /// The callback for a method name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "init" => Kind::Init,
            "handle_call" => Kind::Call,
            "handle_cast" => Kind::Cast,
            "handle_info" => Kind::Info,
            "handle_direct" => Kind::Direct,
            "terminate" => Kind::Terminate,
            _ => return None,
        })
    }

    /// The signature the user must write, for error messages.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Init => "async fn init([ctx: &mut Context,] args: A) -> Result<Self, E> (or Init<Self>)",
            Kind::Call => "async fn handle_call(&mut self, [ctx: &mut Context,] msg: T, from: From) -> Reply<R>",
            Kind::Cast => "async fn handle_cast(&mut self, [ctx: &mut Context,] msg: T) -> Status",
            Kind::Info => "async fn handle_info(&mut self, [ctx: &mut Context,] msg: T) -> Status",
            Kind::Direct => "async fn handle_direct(&mut self, [ctx: &mut Context,] msg: T) -> R",
            Kind::Terminate => "async fn terminate(&mut self, [ctx: &mut Context,] reason: &Term)",
        }
    }

    /// How many parameters besides `self` and `ctx`.
    pub fn arity(self) -> usize {
        match self {
            Kind::Call => 2,
            _ => 1,
        }
    }
}

/// One user callback.
pub struct Callback {
    /// Which one.
    pub kind: Kind,
    /// Whether it takes `ctx: &mut Context`.
    pub has_ctx: bool,
    /// The message (or args) type.
    pub msg_ty: syn::Type,
    /// The declared return type (`None` = `()`).
    pub ret_ty: Option<syn::Type>,
}

/// The whole server.
pub struct Server {
    /// The server type.
    pub self_ty: syn::Type,
    /// Its callbacks.
    pub callbacks: Vec<Callback>,
}

impl Server {
    /// The callback of a kind.
    pub fn get(&self, kind: Kind) -> Option<&Callback> {
        self.callbacks.iter().find(|c| c.kind == kind)
    }
}
