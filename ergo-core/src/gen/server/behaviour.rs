//! The `GenServer` trait: the untyped callback interface the run loop drives. `#[gen_server]`
//! implements it from typed callbacks; it can also be implemented by hand. Must not run a loop.

use std::future::Future;

use ergo_etf::Term;

use super::{CallOutcome, Init, ReplyTo, Status};
use crate::node::Context;
use crate::process::{DirectEnvelope, Payload};

/// A gen_server's callbacks, on untyped payloads (typed values are taken with `Payload::take`).
pub trait GenServer: Sized + Send + 'static {
    /// What `init` receives.
    type Args: Send + 'static;

    /// Builds the state, or refuses to start.
    fn init(ctx: &mut Context, args: Self::Args) -> impl Future<Output = Init<Self>> + Send;

    /// Handles a call. The default refuses it (`CallError::BadRequest`).
    fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> impl Future<Output = CallOutcome> + Send {
        let _ = (ctx, from);
        async move { CallOutcome::Refuse(request.into_term()) }
    }

    /// Handles a cast. The default ignores it with a warning.
    fn handle_cast(
        &mut self,
        ctx: &mut Context,
        request: Payload,
    ) -> impl Future<Output = Status> + Send {
        let _ = ctx;
        async move {
            tracing::warn!(request = %request.into_term(), "unhandled cast");
            Status::Continue
        }
    }

    /// Handles any other message (including trapped `{'EXIT', ...}` and `{'DOWN', ...}`). The
    /// default logs and drops it, as OTP's default `handle_info` does.
    fn handle_info(
        &mut self,
        ctx: &mut Context,
        message: Payload,
    ) -> impl Future<Output = Status> + Send {
        let _ = ctx;
        async move {
            tracing::warn!(message = %message.into_term(), "unhandled info message");
            Status::Continue
        }
    }

    /// Handles a request from plain Rust code (`Node::direct`): take it as the request type it
    /// is ([`DirectEnvelope::take`]) and answer through the handle that comes with it, or
    /// refuse it. The default refuses every request.
    fn handle_direct(
        &mut self,
        ctx: &mut Context,
        request: DirectEnvelope,
    ) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        request.refuse(Term::atom("handle_direct_not_implemented"));
        async {}
    }

    /// The state as Erlang's tools see it (`sys:get_state/1`, `sys:get_status/1`). The default
    /// is a binary naming the state's Rust type; override it to show the state itself.
    fn format_state(&self) -> Term {
        Term::binary(format!("#{}{{}}", std::any::type_name::<Self>()).into_bytes())
    }

    /// What the server says of itself to the inspect API and the observer's process page:
    /// key/value pairs, asked while the server waits between messages (so keep it quick). The
    /// default says nothing; `#[gen_server]` wires an `inspect` method of the block.
    fn inspect(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Runs once when the server stops with `reason`: a callback returned a stop, or (while it
    /// traps exits) its parent's exit signal arrived. Not when an exit signal kills it (an
    /// untrapped one, or `kill`), as in OTP.
    fn terminate(&mut self, ctx: &mut Context, reason: &Term) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}
