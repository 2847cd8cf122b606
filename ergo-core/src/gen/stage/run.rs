//! The stage's receive loop and starting a stage: `init` (its kind and options checked, the
//! initial subscriptions made), then every envelope: the protocol messages, the control calls
//! and casts GenStage wraps in gen_server messages (`'$subscribe'`, `'$demand'`,
//! `'$estimate_buffered_count'`, `'$info'`), DOWNs, system messages, and the user's calls,
//! casts and infos; until a step stops it (terminate runs) or an exit signal kills it. Owns the
//! loop and the recognition of control requests; must not hold protocol rules (engine.rs).

use ergo_etf::{Atom, Pid, Term};

use super::behaviour::GenStage;
use super::buffer::Buffer;
use super::demand_dispatcher::DemandDispatcher;
use super::dispatcher::Dispatcher;
use super::engine::{Engine, Flow};
use super::messages::{recognise, StageMessage};
use super::options::SubscribeOptions;
use super::types::{DemandMode, StageInit, StageKind, StageOptions, StageReply};
use crate::gen::server::system::{Intercepted, SystemState};
use crate::node::{Context, Dest, Node, SpawnError, SpawnOptions};
use crate::process::{panic_reason, CatchUnwind, Envelope, Payload, ReplyTo};

type Ack = tokio::sync::oneshot::Sender<Result<(), SpawnError>>;

/// A control request GenStage sends inside `'$gen_call'` or `'$gen_cast'`.
enum Control {
    Subscribe(Option<(Term, Term)>, Term, Term),
    Demand,
    SetDemand(DemandMode),
    EstimateBufferedCount,
    Info(Term),
}

/// Reads a control request, or hands the payload back.
fn control(payload: Payload) -> Result<Control, Payload> {
    let Payload::Term(term) = payload else {
        return Err(payload);
    };
    if term.is_atom("$demand") {
        return Ok(Control::Demand);
    }
    if term.is_atom("$estimate_buffered_count") {
        return Ok(Control::EstimateBufferedCount);
    }
    let parsed = match term.as_tuple() {
        Some([tag, msg]) if tag.is_atom("$info") => Some(Control::Info(msg.clone())),
        Some([tag, mode]) if tag.is_atom("$demand") && mode.is_atom("forward") => {
            Some(Control::SetDemand(DemandMode::Forward))
        }
        Some([tag, mode]) if tag.is_atom("$demand") && mode.is_atom("accumulate") => {
            Some(Control::SetDemand(DemandMode::Accumulate))
        }
        Some([tag, current, to, opts]) if tag.is_atom("$subscribe") => {
            let current = match current.as_tuple() {
                Some([old, reason]) => Some((old.clone(), reason.clone())),
                _ => None,
            };
            Some(Control::Subscribe(current, to.clone(), opts.clone()))
        }
        _ => None,
    };
    parsed.ok_or(Payload::Term(term))
}

fn bad_opts(message: &str) -> Term {
    Term::tuple(vec![
        Term::atom("bad_opts"),
        Term::binary(message.as_bytes().to_vec()),
    ])
}

/// What a stage's options become: its dispatcher, buffer, demand mode and first subscriptions.
struct Parts {
    dispatcher: Box<dyn Dispatcher>,
    buffer: Buffer,
    demand: DemandMode,
    subscribe_to: Vec<(Dest, SubscribeOptions)>,
}

/// Checks `options` against `kind` and builds the engine's parts.
fn configure(kind: StageKind, options: StageOptions) -> Result<Parts, Term> {
    let StageOptions {
        dispatcher,
        buffer_size,
        buffer_keep,
        demand,
        subscribe_to,
    } = options;
    match kind {
        StageKind::Consumer => {
            if dispatcher.is_some() || buffer_size.is_some() {
                return Err(bad_opts("a consumer takes no :dispatcher nor :buffer_size"));
            }
        }
        StageKind::Producer => {
            if !subscribe_to.is_empty() {
                return Err(bad_opts("a producer takes no :subscribe_to"));
            }
        }
        StageKind::ProducerConsumer => {
            if demand == DemandMode::Accumulate {
                return Err(bad_opts("the :demand option is for producers only"));
            }
        }
    }
    let capacity = match (kind, buffer_size) {
        (_, Some(size)) => size,
        (StageKind::Producer, None) => Some(10_000),
        (_, None) => None,
    };
    let dispatcher =
        dispatcher.unwrap_or_else(|| Box::new(DemandDispatcher::new()) as Box<dyn Dispatcher>);
    Ok(Parts {
        dispatcher,
        buffer: Buffer::new(capacity, buffer_keep),
        demand,
        subscribe_to,
    })
}

async fn run<S: GenStage>(mut ctx: Context, args: S::Args, parent: Option<Pid>, ack: Ack) -> Term {
    let init = {
        let init = std::pin::pin!(S::init(&mut ctx, args));
        CatchUnwind::new(init).await
    };
    let (kind, state, options) = match init {
        Ok(StageInit::Ok(kind, state, options)) => (kind, state, options),
        Ok(StageInit::Ignore) => {
            let _ = ack.send(Err(SpawnError::Ignored));
            return Term::atom("normal");
        }
        Ok(StageInit::Stop(reason)) => {
            let _ = ack.send(Err(SpawnError::InitFailed(reason.clone())));
            return reason;
        }
        Err(message) => {
            let reason = panic_reason(&message);
            let _ = ack.send(Err(SpawnError::InitFailed(reason.clone())));
            return reason;
        }
    };
    let Parts {
        dispatcher,
        buffer,
        demand,
        subscribe_to,
    } = match configure(kind, options) {
        Ok(parts) => parts,
        Err(reason) => {
            let _ = ack.send(Err(SpawnError::InitFailed(reason.clone())));
            return reason;
        }
    };
    let mut engine = Engine::new(ctx, state, kind, dispatcher, buffer, demand);
    for (to, options) in subscribe_to {
        let (_, flow) = engine
            .consumer_subscribe(None, &to.to_term(), &options.to_keyword())
            .await;
        if let Err(reason) = flow {
            let _ = ack.send(Err(SpawnError::InitFailed(reason.clone())));
            return reason;
        }
    }
    let _ = ack.send(Ok(()));
    let mut system = SystemState::default();
    loop {
        let envelope = match system.next(&mut engine.ctx).await {
            Ok(e) => e,
            Err(reason) => return reason,
        };
        let intercepted = {
            let state = &engine.state;
            let format_state = || state.format_state();
            system.intercept(&engine.ctx, envelope, parent.as_ref(), &format_state)
        };
        let flow = match intercepted {
            Intercepted::Pass(envelope) => step(&mut engine, envelope, parent.as_ref()).await,
            Intercepted::Handled => Ok(()),
            Intercepted::Terminate(reason) => Err(reason),
        };
        if let Err(reason) = flow {
            engine.state.terminate(&mut engine.ctx, &reason).await;
            return reason;
        }
    }
}

async fn step<S: GenStage>(
    engine: &mut Engine<S>,
    envelope: Envelope,
    parent: Option<&Pid>,
) -> Flow {
    match envelope {
        Envelope::Exit(exit) if parent == Some(&exit.from) => Err(exit.reason),
        Envelope::Message(payload) => match recognise(payload) {
            Ok(StageMessage::ToConsumer(m)) => engine.producer_message(m).await,
            Ok(StageMessage::ToProducer(m)) => engine.consumer_message(m).await,
            Ok(StageMessage::Malformed(bad)) => engine.malformed(bad).await,
            Err(payload) => {
                let emit = engine.state.handle_info(&mut engine.ctx, payload).await;
                engine.emitted(emit).await
            }
        },
        Envelope::Down(down) => {
            if engine
                .down(down.reference.clone(), down.reason.clone())
                .await?
            {
                return Ok(());
            }
            let down = Envelope::Down(down);
            let emit = engine
                .state
                .handle_info(&mut engine.ctx, Payload::Term(down.into_term()))
                .await;
            engine.emitted(emit).await
        }
        Envelope::Call { from, request } => match control(request) {
            Ok(c) => call_control(engine, c, from).await,
            Err(request) => {
                let keep = from.clone();
                match engine
                    .state
                    .handle_call(&mut engine.ctx, request, from)
                    .await
                {
                    StageReply::Reply(reply, events) => {
                        keep.reply_payload(reply);
                        engine.dispatch_events(events.into());
                        Ok(())
                    }
                    StageReply::NoReply(events) => {
                        engine.dispatch_events(events.into());
                        Ok(())
                    }
                    StageReply::Stop(reason, reply) => {
                        if let Some(reply) = reply {
                            keep.reply_payload(reply);
                        }
                        Err(reason)
                    }
                    StageReply::Refuse(request) => {
                        keep.refuse(Term::tuple(vec![Term::atom("bad_request"), request]));
                        Ok(())
                    }
                }
            }
        },
        Envelope::Cast(request) => match control(request) {
            Ok(Control::Info(message)) => {
                engine.producer_info(message);
                Ok(())
            }
            Ok(Control::SetDemand(mode)) => engine.set_demand_mode(mode).await,
            Ok(Control::Subscribe(current, to, opts)) => {
                engine.consumer_subscribe(current, &to, &opts).await.1
            }
            Ok(Control::Demand | Control::EstimateBufferedCount) => {
                tracing::warn!("gen_stage: a control call sent as a cast; ignored");
                Ok(())
            }
            Err(request) => {
                let emit = engine.state.handle_cast(&mut engine.ctx, request).await;
                engine.emitted(emit).await
            }
        },
        Envelope::Direct(request) => {
            request.refuse(Term::atom("gen_stage_takes_no_direct_requests"));
            Ok(())
        }
        other => {
            let emit = engine
                .state
                .handle_info(&mut engine.ctx, Payload::Term(other.into_term()))
                .await;
            engine.emitted(emit).await
        }
    }
}

async fn call_control<S: GenStage>(
    engine: &mut Engine<S>,
    control: Control,
    from: ReplyTo,
) -> Flow {
    match control {
        Control::Subscribe(current, to, opts) => {
            let (reply, flow) = engine.consumer_subscribe(current, &to, &opts).await;
            from.reply(reply);
            flow
        }
        Control::Demand => {
            from.reply(engine.demand_mode());
            Ok(())
        }
        Control::SetDemand(mode) => {
            let flow = engine.set_demand_mode(mode).await;
            from.reply(Term::atom("ok"));
            flow
        }
        Control::EstimateBufferedCount => {
            from.reply(Term::from(engine.estimate_buffered_count()));
            Ok(())
        }
        Control::Info(message) => {
            engine.producer_info(message);
            from.reply(Term::Atom(Atom::new("ok")));
            Ok(())
        }
    }
}

impl Node {
    /// Starts a stage and waits until its `init` has run and its `subscribe_to` subscriptions
    /// were sent (like `GenStage.start`). With `options.link` set, that pid is its parent.
    pub async fn start_stage<S: GenStage>(
        &self,
        args: S::Args,
        options: SpawnOptions,
    ) -> Result<Pid, SpawnError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let parent = options.link.clone();
        let pid = self.spawn_behaviour(std::any::type_name::<S>(), options, move |ctx| {
            run::<S>(ctx, args, parent, tx)
        })?;
        match rx.await {
            Ok(Ok(())) => Ok(pid),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SpawnError::InitFailed(Term::atom("killed"))),
        }
    }
}
