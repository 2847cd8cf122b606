//! ergo: Erlang/OTP's design patterns and its distribution protocol, in Rust.
//!
//! This facade re-exports the term layer ([`ergo_etf`]), the runtime ([`ergo_core`]) and the
//! macros ([`ergo_macros`]); user code and macro-generated code name everything through `ergo::`.
#![deny(missing_docs)]

// Lets `#[derive(Term)]`'s `::ergo::` paths resolve inside this crate too.
extern crate self as ergo;

pub use ergo_etf::*;

/// `#[derive(Term)]`: `IntoTerm`/`FromTerm` for user structs and enums (see `ergo_macros`).
pub use ergo_macros::Term;

/// `#[gen_server]`: implements `GenServer` from an impl block of async callbacks.
pub use ergo_macros::gen_server;

/// `#[supervisor]`: implements `Supervisor` from flags and a `children! { .. }` list.
pub use ergo_macros::supervisor;

/// `#[application]`: implements `Application` from name, version, env, dependencies and root.
pub use ergo_macros::application;

/// The term layer, by its own name.
pub use ergo_etf as etf;

/// The runtime, by its own name.
pub use ergo_core as core;

/// The runtime's main items (the gen_server reply handle is `ergo::core::From`, not re-exported
/// here so it does not shadow `std::convert::From`).
pub use ergo_core::{
    CallError, CallOutcome, Context, Dest, DistOptions, Envelope, GenServer, Init, NetError, Node,
    NodeError, NodeOptions, Payload, ProcessInfo, ProxyOptions, ProxyRoute, Reply, SendError,
    SpawnError, SpawnOptions, Status, TimerHandle,
};

/// Remote procedure calls and remote spawn: `node.provide_rpc`, `node.rpc_call`,
/// `node.make_spawnable`, `node.spawn_request` and their types.
pub use ergo_core::{
    Exception, RemoteSpawnError, RemoteSpawnOptions, RemoteSpawned, RpcArgs, RpcError,
};

/// Applications (OTP's application controller): specs, start types, `node.applications()`.
pub use ergo_core::gen::application;
pub use ergo_core::{Application, ApplicationError, ApplicationSpec, Applications, StartType};

/// Supervisors (OTP's supervisor behaviour): specs, strategies, the runtime API.
pub use ergo_core::gen::supervisor;
pub use ergo_core::{
    AutoShutdown, ChildKind, ChildSpec, ChildStart, Restart, Shutdown, Strategy, Supervisor,
    SupervisorError, SupervisorRef, SupervisorSpec,
};

/// Items the macros' generated code needs; not part of the public API.
///
/// `#[gen_server]` checks the user's types through the traits here rather than by their
/// spelling, so a type alias of `Reply<R>`, `Context` or the reply handle works, and a wrong
/// type is an error at the user's type. Each trait converts the user's value into what
/// [`GenServer`] takes or gives, delegating to ergo-core's own conversions.
#[doc(hidden)]
pub mod __private {
    pub use ergo_etf::__private::*;

    use ergo_core::gen::server::{IntoCallOutcome, IntoInit, IntoStatus};

    use crate::{CallOutcome, Context, FromTerm, Init, IntoTerm, Payload, Reply, Status, Term};

    /// The gen_server reply handle (`handle_call`'s `from`).
    pub use ergo_core::From as ReplyTo;

    /// Logs an info message that a typed `handle_info` could not decode, then drops it.
    pub use ergo_core::__private_warn_unexpected_info as warn_unexpected_info;

    /// A callback's message (or request) of type `T`, or the term it could not be decoded from.
    pub fn take<T: FromTerm + 'static>(payload: Payload) -> Result<T, Term> {
        payload.take::<T>().map_err(|undecodable| undecodable.term)
    }

    /// What `handle_call` returns: `Reply<R>` or `CallOutcome`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a handle_call result: handle_call returns `Reply<R>` (R: IntoTerm) or `CallOutcome`",
        label = "handle_call returns this type"
    )]
    pub trait CallReturn {
        /// The untyped outcome the run loop acts on.
        fn into_outcome(self) -> CallOutcome;
    }

    impl<R: IntoTerm + Send + 'static> CallReturn for Reply<R> {
        fn into_outcome(self) -> CallOutcome {
            IntoCallOutcome::into_outcome(self)
        }
    }

    impl CallReturn for CallOutcome {
        fn into_outcome(self) -> CallOutcome {
            self
        }
    }

    /// What `handle_cast` and `handle_info` return: `Status`, or nothing.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a handle_cast/handle_info result: they return `Status` (or nothing)",
        label = "returns this type"
    )]
    pub trait StatusReturn {
        /// The status the run loop acts on.
        fn into_status(self) -> Status;
    }

    impl StatusReturn for Status {
        fn into_status(self) -> Status {
            self
        }
    }

    impl StatusReturn for () {
        fn into_status(self) -> Status {
            IntoStatus::into_status(self)
        }
    }

    /// What `init` returns: `Result<Self, E>` (E: IntoTerm) or `Init<Self>`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an init result for `{S}`: init returns `Result<Self, E>` (E: IntoTerm) or `Init<Self>`",
        label = "init returns this type"
    )]
    pub trait InitReturn<S> {
        /// The start decision.
        fn into_init(self) -> Init<S>;
    }

    impl<S> InitReturn<S> for Init<S> {
        fn into_init(self) -> Init<S> {
            self
        }
    }

    impl<S, E: IntoTerm> InitReturn<S> for Result<S, E> {
        fn into_init(self) -> Init<S> {
            IntoInit::into_init(self)
        }
    }

    /// What `handle_direct` returns: any `Send + 'static` value, handed back boxed.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a handle_direct result: it goes back to the caller, so it must be `Send + 'static`",
        label = "handle_direct returns this type"
    )]
    pub trait DirectReturn {
        /// The value, boxed for `Node::direct` to downcast.
        fn into_any(self) -> Box<dyn std::any::Any + Send>;
    }

    impl<T: std::any::Any + Send> DirectReturn for T {
        fn into_any(self) -> Box<dyn std::any::Any + Send> {
            Box::new(self)
        }
    }

    /// A callback's context parameter: `ctx: &mut Context`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not the gen_server context: a callback's `&mut` parameter after self is `ctx: &mut Context`",
        label = "expected `&mut Context`"
    )]
    pub trait ContextParam<'a> {
        /// The context, as the callback's parameter type.
        fn from_context(ctx: &'a mut Context) -> Self;
    }

    impl<'a> ContextParam<'a> for &'a mut Context {
        fn from_context(ctx: &'a mut Context) -> Self {
            ctx
        }
    }

    /// `handle_call`'s reply handle parameter: `from: From`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not the reply handle: handle_call's last parameter is `from: From` (ergo-core's reply handle)",
        label = "expected the reply handle"
    )]
    pub trait ReplyToParam {
        /// The handle, as the callback's parameter type.
        fn from_reply_to(from: ReplyTo) -> Self;
    }

    impl ReplyToParam for ReplyTo {
        fn from_reply_to(from: ReplyTo) -> Self {
            from
        }
    }

    /// `terminate`'s reason parameter: `reason: &Term`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not terminate's reason: terminate takes `reason: &Term`",
        label = "expected `&Term`"
    )]
    pub trait ReasonParam<'a> {
        /// The reason, as the callback's parameter type.
        fn from_reason(reason: &'a Term) -> Self;
    }

    impl<'a> ReasonParam<'a> for &'a Term {
        fn from_reason(reason: &'a Term) -> Self {
            reason
        }
    }
}
