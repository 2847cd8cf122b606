//! What the macros' generated code names through `::ergo::__private` (not part of the public
//! API): the term layer's own private items, and for `#[gen_server]` one trait per callback
//! position, so a wrong type is reported at the user's type with a message that says what fits
//! (`#[diagnostic::on_unimplemented]`), and an alias of an accepted type is accepted.

pub use ergo_etf::__private::*;

use ergo_core::gen::server::{IntoCallOutcome, IntoInit, IntoStatus};

use crate::{
    CallOutcome, Context, DirectEnvelope, DirectReplyTo, DirectRequest, FromTerm, Init, IntoTerm,
    Payload, Reply, Status, Term,
};

/// The gen_server reply handle (`handle_call`'s `from`).
pub use crate::ReplyTo;

/// Logs a message a typed callback could not decode as `T` (the runtime's one policy for call,
/// cast and info: the server keeps running; a call is refused at once, see
/// `docs/runtime-semantics.md`).
pub fn log_bad_message<T>(kind: &'static str, message: &Term) {
    ergo_core::gen::server::log_bad_message(kind, std::any::type_name::<T>(), message);
}

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

/// `handle_direct`'s message type: a [`DirectRequest`], whose `Reply` handle_direct returns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a direct request: handle_direct's message type implements `ergo::DirectRequest` (its `Reply` is what handle_direct returns)",
    label = "handle_direct takes this type"
)]
pub trait DirectMessage: DirectRequest {}

impl<T: DirectRequest> DirectMessage for T {}

/// The request as `M` and its typed reply handle, or the envelope back.
pub fn take_direct<M: DirectMessage>(
    request: DirectEnvelope,
) -> Result<(M, DirectReplyTo<M::Reply>), DirectEnvelope> {
    request.take::<M>()
}

/// What `handle_direct` returns for request type `M`: `M::Reply`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the reply of direct request `{M}`: handle_direct returns `<{M} as DirectRequest>::Reply`",
    label = "handle_direct returns this type"
)]
pub trait DirectReturn<M: DirectRequest> {
    /// The value, as the request's reply.
    fn into_reply(self) -> M::Reply;
}

impl<M: DirectRequest> DirectReturn<M> for <M as DirectRequest>::Reply {
    fn into_reply(self) -> M::Reply {
        self
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

/// `handle_call`'s reply handle parameter: `from: ReplyTo`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the reply handle: handle_call's last parameter is `from: ReplyTo` (or `ReplyTo<R>` to reply later with an `R`)",
    label = "expected the reply handle"
)]
pub trait ReplyToParam {
    /// The handle, as the callback's parameter type.
    fn from_reply_to(from: ReplyTo) -> Self;
}

impl<R: IntoTerm + Send + 'static> ReplyToParam for ReplyTo<R> {
    fn from_reply_to(from: ReplyTo) -> Self {
        from.typed()
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

// ---------------------------------------------------------------- #[gen_stage]

use ergo_core::gen::stage::{Emit, EventBatch, StageInit, StageReply, SubscribeMode};

/// What `init` of a `#[gen_stage]` returns: `StageInit<Self>`, or `Result<StageInit<Self>, E>`
/// (an `Err` stops the start with that reason).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a gen_stage init result for `{S}`: init returns `StageInit<Self>` (or `Result<StageInit<Self>, E>`, E: IntoTerm)",
    label = "init returns this type"
)]
pub trait StageInitReturn<S> {
    /// The start decision.
    fn into_stage_init(self) -> StageInit<S>;
}

impl<S> StageInitReturn<S> for StageInit<S> {
    fn into_stage_init(self) -> StageInit<S> {
        self
    }
}

impl<S, E: IntoTerm> StageInitReturn<S> for Result<StageInit<S>, E> {
    fn into_stage_init(self) -> StageInit<S> {
        match self {
            Ok(init) => init,
            Err(e) => StageInit::Stop(e.into_term()),
        }
    }
}

/// What `handle_demand`, `handle_events`, `handle_cancel`, `handle_cast` and `handle_info` of
/// a `#[gen_stage]` return: `Emit<E>` or `Vec<E>` (E: IntoTerm, typed events), or nothing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a gen_stage callback result: it returns `Emit<E>` or `Vec<E>` (E: IntoTerm), or nothing",
    label = "returns this type"
)]
pub trait EmitReturn {
    /// The events as terms, or the stop.
    fn into_emit(self) -> Emit;
    /// The events as one batch, typed as the callback returned them (`Err`: the stop).
    fn into_batch(self) -> Result<EventBatch, Term>;
}

impl<E: IntoTerm + Send + 'static> EmitReturn for Emit<E> {
    fn into_emit(self) -> Emit {
        self.into_terms()
    }
    fn into_batch(self) -> Result<EventBatch, Term> {
        Emit::into_batch(self)
    }
}

impl<E: IntoTerm + Send + 'static> EmitReturn for Vec<E> {
    fn into_emit(self) -> Emit {
        Emit::Events(self).into_terms()
    }
    fn into_batch(self) -> Result<EventBatch, Term> {
        Ok(EventBatch::typed(self))
    }
}

impl EmitReturn for () {
    fn into_emit(self) -> Emit {
        Emit::none()
    }
    fn into_batch(self) -> Result<EventBatch, Term> {
        Ok(EventBatch::default())
    }
}

/// `handle_events`'s events parameter: `events: Vec<T>` (T: FromTerm; `Vec<Term>` untyped).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not handle_events' events: it takes `events: Vec<T>` (T: FromTerm, e.g. a `#[derive(Term)]` type or `Term`)",
    label = "expected `Vec<T>`"
)]
pub trait EventsParam: Sized {
    /// The events as this type: a batch of this very type is taken as it is, anything else
    /// converted through terms; an event that does not decode is logged and dropped.
    fn from_batch(events: EventBatch) -> Self;
}

impl<T: FromTerm + 'static> EventsParam for Vec<T> {
    fn from_batch(events: EventBatch) -> Self {
        events.into_vec::<T>()
    }
}

/// What `handle_subscribe` of a `#[gen_stage]` returns: `SubscribeMode`, or nothing (automatic).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handle_subscribe result: it returns `SubscribeMode` (or nothing: automatic demand)",
    label = "returns this type"
)]
pub trait SubscribeReturn {
    /// The subscription mode.
    fn into_mode(self) -> SubscribeMode;
}

impl SubscribeReturn for SubscribeMode {
    fn into_mode(self) -> SubscribeMode {
        self
    }
}

impl SubscribeReturn for () {
    fn into_mode(self) -> SubscribeMode {
        SubscribeMode::Automatic
    }
}

/// What `handle_call` of a `#[gen_stage]` returns: `Reply<R>` or `StageReply`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a gen_stage handle_call result: it returns `Reply<R>` (R: IntoTerm) or `StageReply`",
    label = "handle_call returns this type"
)]
pub trait StageCallReturn {
    /// The untyped reply the stage acts on.
    fn into_stage_reply(self) -> StageReply;
}

impl StageCallReturn for StageReply {
    fn into_stage_reply(self) -> StageReply {
        self
    }
}

impl<R: IntoTerm + Send + 'static> StageCallReturn for Reply<R> {
    fn into_stage_reply(self) -> StageReply {
        match self {
            Reply::Reply(r) => StageReply::Reply(Payload::new(r), Vec::new()),
            Reply::NoReply => StageReply::NoReply(Vec::new()),
            Reply::Stop(reason, r) => StageReply::Stop(reason, r.map(Payload::new)),
        }
    }
}

/// What `#[gen_saga]`'s `handle_tx_done` returns: the final value, any `IntoTerm`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a final value: handle_tx_done returns a value that implements `IntoTerm`",
    label = "handle_tx_done returns this type"
)]
pub trait DoneReturn {
    /// The final value as a term.
    fn into_final(self) -> Term;
}

impl<T: IntoTerm> DoneReturn for T {
    fn into_final(self) -> Term {
        self.into_term()
    }
}

/// A transaction value a `#[gen_saga]` callback could not decode as `T` (the runtime's policy:
/// logged; an interim dropped, any other value cancels the transaction).
pub fn saga_bad_value<T>(
    saga: &mut crate::saga::SagaContext<'_>,
    tx: &crate::saga::TxId,
    callback: &'static str,
    value: Term,
) -> Status {
    crate::saga::reject_tx_value(saga, tx, callback, std::any::type_name::<T>(), value)
}

/// A job value a `#[saga_worker]` callback could not decode as `T` (logged; the job fails).
pub fn job_bad_value<T>(callback: &'static str, value: Term) -> Status {
    crate::saga::reject_job_value(callback, std::any::type_name::<T>(), value)
}

/// A `#[gen_saga]` callback's handle parameter: `saga: &mut SagaContext<'_>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the saga context: a saga callback's `&mut` parameter after self is `saga: &mut SagaContext<'_>`",
    label = "expected `&mut SagaContext<'_>`"
)]
pub trait SagaContextParam<'b, 'a> {
    /// The context, as the callback's parameter type.
    fn from_saga(saga: &'b mut crate::saga::SagaContext<'a>) -> Self;
}

impl<'b, 'a> SagaContextParam<'b, 'a> for &'b mut crate::saga::SagaContext<'a> {
    fn from_saga(saga: &'b mut crate::saga::SagaContext<'a>) -> Self {
        saga
    }
}

/// A `#[saga_worker]` callback's handle parameter: `job: &mut Job`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the job: a worker callback's `&mut` parameter after self is `job: &mut Job`",
    label = "expected `&mut Job`"
)]
pub trait JobParam<'a> {
    /// The job, as the callback's parameter type.
    fn from_job(job: &'a mut crate::saga::Job) -> Self;
}

impl<'a> JobParam<'a> for &'a mut crate::saga::Job {
    fn from_job(job: &'a mut crate::saga::Job) -> Self {
        job
    }
}

// ---------------------------------------------------------------- #[gen_raft]

/// A `#[gen_raft]` callback's handle parameter: `raft: &mut RaftContext<'_>`.
#[cfg(feature = "raft")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the raft context: a gen_raft callback's `&mut` parameter after self is `raft: &mut RaftContext<'_>` (its `ctx()` is the process's `Context`)",
    label = "expected `&mut RaftContext<'_>`"
)]
pub trait RaftContextParam<'b, 'a> {
    /// The context, as the callback's parameter type.
    fn from_raft(raft: &'b mut crate::RaftContext<'a>) -> Self;
}

#[cfg(feature = "raft")]
impl<'b, 'a> RaftContextParam<'b, 'a> for &'b mut crate::RaftContext<'a> {
    fn from_raft(raft: &'b mut crate::RaftContext<'a>) -> Self {
        raft
    }
}

/// What `init` of a `#[gen_raft]` returns: `Result<(Self, RaftStart), E>` (E: IntoTerm) or
/// `Init<(Self, RaftStart)>`.
#[cfg(feature = "raft")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a gen_raft init result for `{S}`: init returns `Result<(Self, RaftStart), E>` (E: IntoTerm) or `Init<(Self, RaftStart)>`",
    label = "init returns this type"
)]
pub trait RaftInitReturn<S> {
    /// The start decision.
    fn into_init(self) -> Init<(S, crate::RaftStart)>;
}

#[cfg(feature = "raft")]
impl<S> RaftInitReturn<S> for Init<(S, crate::RaftStart)> {
    fn into_init(self) -> Init<(S, crate::RaftStart)> {
        self
    }
}

#[cfg(feature = "raft")]
impl<S, E: IntoTerm> RaftInitReturn<S> for Result<(S, crate::RaftStart), E> {
    fn into_init(self) -> Init<(S, crate::RaftStart)> {
        IntoInit::into_init(self)
    }
}

/// A committed key or value `handle_append` could not decode as `T`: logged, and that append
/// skipped by the callback (the process runs on; the entry stays committed in the log).
#[cfg(feature = "raft")]
pub fn raft_bad_value<T>(serial: u64, term: &Term) -> Status {
    tracing::warn!(
        serial,
        expected = std::any::type_name::<T>(),
        %term,
        "gen_raft: a committed append does not decode; handle_append skipped it"
    );
    Status::Continue
}
