//! The `GenStage` trait: the callback interface the stage engine drives. Events are terms in
//! the plain callbacks; the engine calls them through `handle_demand_batch` and
//! `handle_events_batch`, which `#[gen_stage]` overrides so that typed events stay typed between
//! stages of one node. Must not run a loop.

use std::future::Future;

use ergo_etf::Term;

use super::event_batch::EventBatch;
use super::messages::StageFrom;
use super::types::{CancelKind, Emit, Role, StageInit, StageReply, SubscribeMode};
use crate::node::Context;
use crate::process::{Payload, ReplyTo};

/// A stage's callbacks. Producers implement `handle_demand`, consumers and producer_consumers
/// `handle_events`; the rest have GenStage's defaults.
pub trait GenStage: Sized + Send + 'static {
    /// What `init` receives.
    type Args: Send + 'static;

    /// Builds the state and says which kind of stage this is.
    fn init(ctx: &mut Context, args: Self::Args) -> impl Future<Output = StageInit<Self>> + Send;

    /// A producer's consumers asked `demand` more events. The default emits nothing.
    fn handle_demand(
        &mut self,
        ctx: &mut Context,
        demand: u64,
    ) -> impl Future<Output = Emit> + Send {
        let _ = (ctx, demand);
        async { Emit::none() }
    }

    /// Events from the producer of `from`. The default stops the stage, as a stage that
    /// receives events must handle them.
    fn handle_events(
        &mut self,
        ctx: &mut Context,
        events: Vec<Term>,
        from: &StageFrom,
    ) -> impl Future<Output = Emit> + Send {
        let _ = (ctx, events, from);
        async { Emit::Stop(Term::atom("handle_events_not_implemented")) }
    }

    /// `handle_demand` with its events as one batch (`Err`: stop with that reason): what the
    /// engine calls. The default calls `handle_demand`; `#[gen_stage]` overrides it to emit a
    /// typed stage's events as its own `Vec<E>`, turned into terms only where needed.
    fn handle_demand_batch(
        &mut self,
        ctx: &mut Context,
        demand: u64,
    ) -> impl Future<Output = Result<EventBatch, Term>> + Send {
        async move { self.handle_demand(ctx, demand).await.into_batch() }
    }

    /// `handle_events` with the events as one batch, and what it emits as one batch: what the
    /// engine calls. The default hands `handle_events` the events as terms; `#[gen_stage]`
    /// overrides it to take a batch of its own event type as it is.
    fn handle_events_batch(
        &mut self,
        ctx: &mut Context,
        events: EventBatch,
        from: &StageFrom,
    ) -> impl Future<Output = Result<EventBatch, Term>> + Send {
        async move {
            self.handle_events(ctx, events.into_terms(), from)
                .await
                .into_batch()
        }
    }

    /// A subscription starts: `Role::Producer` when this stage subscribed to a producer,
    /// `Role::Consumer` when a consumer subscribed to it. The default is automatic demand.
    fn handle_subscribe(
        &mut self,
        ctx: &mut Context,
        role: Role,
        options: &Term,
        from: &StageFrom,
    ) -> impl Future<Output = SubscribeMode> + Send {
        let _ = (ctx, role, options, from);
        async { SubscribeMode::Automatic }
    }

    /// A subscription ended. The default emits nothing.
    fn handle_cancel(
        &mut self,
        ctx: &mut Context,
        cancel: CancelKind,
        from: &StageFrom,
    ) -> impl Future<Output = Emit> + Send {
        let _ = (ctx, cancel, from);
        async { Emit::none() }
    }

    /// A call. The default refuses it.
    fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> impl Future<Output = StageReply> + Send {
        let _ = (ctx, from);
        async move {
            StageReply::Stop(
                Term::tuple(vec![Term::atom("bad_call"), request.into_term()]),
                None,
            )
        }
    }

    /// A cast. The default logs and drops it.
    fn handle_cast(
        &mut self,
        ctx: &mut Context,
        request: Payload,
    ) -> impl Future<Output = Emit> + Send {
        let _ = ctx;
        async move {
            tracing::warn!(request = %request.into_term(), "gen_stage: unhandled cast");
            Emit::none()
        }
    }

    /// Any other message. The default logs and drops it.
    fn handle_info(
        &mut self,
        ctx: &mut Context,
        message: Payload,
    ) -> impl Future<Output = Emit> + Send {
        let _ = ctx;
        async move {
            tracing::warn!(message = %message.into_term(), "gen_stage: unhandled info message");
            Emit::none()
        }
    }

    /// The state as `sys:get_state/1` shows it.
    fn format_state(&self) -> Term {
        Term::binary(format!("#{}{{}}", std::any::type_name::<Self>()).into_bytes())
    }

    /// Runs once when the stage stops with `reason` (not when an exit signal kills it).
    fn terminate(&mut self, ctx: &mut Context, reason: &Term) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}
