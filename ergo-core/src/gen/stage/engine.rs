//! The stage engine: one stage's protocol state (its consumers and their monitors, its
//! producers and their demand, the dispatcher, the buffer, the accumulated demand, a
//! producer_consumer's queue of upstream events) and GenStage's rules for every protocol
//! message, control call and DOWN. `Err(reason)` from any step means the stage stops with that
//! reason. Bad input from the network cancels only the subscription it names, with a reason,
//! and is logged. Owns those rules; must not run the receive loop (run.rs) nor know a
//! dispatcher's policy.

use std::collections::{HashMap, VecDeque};

use ergo_etf::{IntoTerm, Pid, Reference, Term};

use super::batches::{split_batches, AutoDemand, Batch};
use super::behaviour::GenStage;
use super::buffer::Buffer;
use super::dispatcher::{Dispatcher, Outbox};
use super::event_batch::EventBatch;
use super::messages::{
    ConsumerPayload, Malformed, ProducerRequest, StageFrom, ToConsumer, ToProducer,
};
use super::options::{CancelMode, SubscribeOptions};
use super::types::{CancelKind, DemandMode, Emit, Role, StageKind, SubscribeMode};
use crate::node::{Context, Dest};

/// A step's outcome: go on, or stop with a reason.
pub(super) type Flow = Result<(), Term>;

/// The outbox of a running stage: sends from its own pid.
struct ContextOutbox<'a> {
    ctx: &'a Context,
}

impl Outbox for ContextOutbox<'_> {
    fn send_events(&mut self, to: &StageFrom, events: Vec<Term>) {
        self.send_batch(to, EventBatch::Terms(events));
    }

    fn send_batch(&mut self, to: &StageFrom, events: EventBatch) {
        let message = ToConsumer {
            from: StageFrom {
                pid: Term::Pid(self.ctx.pid().clone()),
                tag: to.tag.clone(),
            },
            payload: ConsumerPayload::Events(events),
        };
        send_noconnect(self.ctx, &to.dest(), message);
    }

    fn send_self(&mut self, message: Term) {
        send_noconnect(self.ctx, &Dest::Pid(self.ctx.pid().clone()), message);
    }
}

/// A plain send that never fails the stage (GenStage's `[:noconnect]` sends): a lost message
/// is logged; the monitor's DOWN tells the rest.
fn send_noconnect(ctx: &Context, to: &Dest, message: impl IntoTerm + Send + 'static) {
    if let Err(error) = ctx.send(to.clone(), message) {
        tracing::debug!(to = %to, %error, "gen_stage: send failed");
    }
}

/// What a consumer knows of one of its producers.
struct ProducerEntry {
    /// The producer (its pid once known; `{Name, Node}` before).
    pid: Term,
    cancel: CancelMode,
    /// `None`: manual demand.
    demand: Option<AutoDemand>,
}

/// One entry of a producer_consumer's queue: upstream events wait here while it has no demand
/// downstream, with the infos and cancels that came after them.
enum Queued {
    Events(EventBatch, StageFrom),
    Info(Term),
    Cancel(CancelMode, CancelKind, StageFrom),
}

enum Accumulated {
    Demand(u64),
    Dispatch(EventBatch),
}

/// One stage's state and its protocol.
pub(super) struct Engine<S> {
    pub(super) ctx: Context,
    pub(super) state: S,
    pub(super) kind: StageKind,
    /// Producer side: subscription tag -> (consumer pid, monitor of it).
    consumers: HashMap<Term, (Pid, Reference)>,
    /// Producer side: monitor -> subscription tag.
    monitors: HashMap<Reference, Term>,
    dispatcher: Box<dyn Dispatcher>,
    buffer: Buffer,
    /// Producers in accumulate mode: what waits for `forward`.
    accumulated: Option<Vec<Accumulated>>,
    /// Consumer side: subscription tag (our monitor of the producer) -> entry.
    producers: HashMap<Term, ProducerEntry>,
    /// producer_consumer: upstream events waiting for downstream demand, and that demand.
    pc_queue: VecDeque<Queued>,
    pc_demand: u64,
}

fn atom(text: &str) -> Term {
    Term::atom(text)
}

fn log_error(what: &'static str, message: &Term) {
    tracing::error!(%message, "gen_stage: {what}");
}

impl<S: GenStage> Engine<S> {
    pub(super) fn new(
        ctx: Context,
        state: S,
        kind: StageKind,
        dispatcher: Box<dyn Dispatcher>,
        buffer: Buffer,
        demand: DemandMode,
    ) -> Engine<S> {
        Engine {
            ctx,
            state,
            kind,
            consumers: HashMap::new(),
            monitors: HashMap::new(),
            dispatcher,
            buffer,
            accumulated: (demand == DemandMode::Accumulate).then(Vec::new),
            producers: HashMap::new(),
            pc_queue: VecDeque::new(),
            pc_demand: 0,
        }
    }

    fn me(&self) -> Term {
        Term::Pid(self.ctx.pid().clone())
    }

    // ---------------------------------------------------------------- producer side

    /// `{'$gen_producer', From, Request}`: a message from a consumer.
    pub(super) async fn consumer_message(&mut self, message: ToProducer) -> Flow {
        if self.kind == StageKind::Consumer {
            log_error(
                "a consumer received a $gen_producer message",
                &message.into_term(),
            );
            return Ok(());
        }
        let ToProducer { from, request } = message;
        match request {
            ProducerRequest::Subscribe { current, options } => {
                self.producer_subscribe(from, current, options).await
            }
            ProducerRequest::Ask(counter) => {
                if !self.consumers.contains_key(&from.tag) {
                    self.send_cancel_to_consumer(&from, atom("unknown_subscription"));
                    return Ok(());
                }
                if counter == 0 {
                    return Ok(());
                }
                let mut out = ContextOutbox { ctx: &self.ctx };
                let demand = self.dispatcher.ask(counter, &from, &mut out);
                self.dispatcher_result(demand).await
            }
            ProducerRequest::Cancel(reason) => {
                self.producer_cancel(&from.tag, CancelKind::Cancel(reason))
                    .await
            }
        }
    }

    fn send_cancel_to_consumer(&self, from: &StageFrom, reason: Term) {
        let message = ToConsumer {
            from: StageFrom {
                pid: self.me(),
                tag: from.tag.clone(),
            },
            payload: ConsumerPayload::Cancel(reason),
        };
        send_noconnect(&self.ctx, &from.dest(), message);
    }

    async fn producer_subscribe(
        &mut self,
        from: StageFrom,
        current: Option<(Term, Term)>,
        options: Term,
    ) -> Flow {
        let Term::Pid(consumer) = from.pid.clone() else {
            return Ok(());
        };
        if self.consumers.contains_key(&from.tag) {
            tracing::error!(from = %from.to_term(), "gen_stage: producer received a duplicated subscription");
            self.send_cancel_to_consumer(&from, atom("duplicated_subscription"));
            return Ok(());
        }
        if let Some((old, reason)) = current {
            self.producer_cancel(&old, CancelKind::Cancel(reason))
                .await?;
        }
        let monitor = self.ctx.monitor(consumer.clone());
        self.monitors.insert(monitor.clone(), from.tag.clone());
        self.consumers.insert(from.tag.clone(), (consumer, monitor));
        let mode = self
            .state
            .handle_subscribe(&mut self.ctx, Role::Consumer, &options, &from)
            .await;
        match mode {
            SubscribeMode::Automatic => {}
            SubscribeMode::Stop(reason) => return Err(reason),
            // A producer's demand is always automatic: GenStage stops on any other answer.
            SubscribeMode::Manual => {
                return Err(Term::tuple(vec![atom("bad_return_value"), atom("manual")]))
            }
        }
        let mut out = ContextOutbox { ctx: &self.ctx };
        match self.dispatcher.subscribe(&options, &from, &mut out) {
            Ok(demand) => self.dispatcher_result(demand).await,
            Err(reason) => {
                self.producer_cancel(&from.tag, CancelKind::Cancel(reason))
                    .await
            }
        }
    }

    /// Ends the subscription `tag` on the producer side: demonitor, echo the cancel to the
    /// consumer, `handle_cancel`, then the dispatcher.
    pub(super) async fn producer_cancel(&mut self, tag: &Term, cancel: CancelKind) -> Flow {
        let Some((pid, monitor)) = self.consumers.remove(tag) else {
            return Ok(());
        };
        self.ctx.demonitor(&monitor);
        self.monitors.remove(&monitor);
        let from = StageFrom::new(pid, tag.clone());
        self.send_cancel_to_consumer(&from, cancel.reason().clone());
        let emit = self.state.handle_cancel(&mut self.ctx, cancel, &from).await;
        self.emitted(emit).await?;
        let mut out = ContextOutbox { ctx: &self.ctx };
        let demand = self.dispatcher.cancel(&from, &mut out);
        self.dispatcher_result(demand).await
    }

    async fn dispatcher_result(&mut self, demand: u64) -> Flow {
        if self.kind == StageKind::ProducerConsumer {
            self.pc_demand += demand;
            self.take_from_buffer(self.pc_demand);
            return self.take_pc_events().await;
        }
        self.take_from_buffer_or_handle_demand(demand).await
    }

    async fn take_from_buffer_or_handle_demand(&mut self, demand: u64) -> Flow {
        let demand = self.take_from_buffer(demand);
        if demand == 0 {
            return Ok(());
        }
        if let Some(acc) = self.accumulated.as_mut() {
            acc.push(Accumulated::Demand(demand));
            return Ok(());
        }
        let emit = self.state.handle_demand_batch(&mut self.ctx, demand).await;
        self.emitted_batch(emit)
    }

    /// Dispatches up to `demand` buffered events (with the infos behind them); returns the
    /// demand left.
    fn take_from_buffer(&mut self, mut demand: u64) -> u64 {
        while let Some(taken) = self.buffer.take(demand) {
            demand -= (taken.events.len() as u64).min(demand);
            self.dispatch_events(EventBatch::Terms(taken.events));
            let mut out = ContextOutbox { ctx: &self.ctx };
            for info in taken.infos {
                self.dispatcher.info(info, &mut out);
            }
        }
        demand
    }

    /// What a callback returned: events to dispatch, or a stop.
    pub(super) async fn emitted(&mut self, emit: Emit) -> Flow {
        match emit {
            Emit::Events(events) => {
                self.dispatch_events(EventBatch::Terms(events));
                Ok(())
            }
            Emit::Stop(reason) => Err(reason),
        }
    }

    /// What a batch callback returned: a batch to dispatch, or a stop.
    fn emitted_batch(&mut self, emit: Result<EventBatch, Term>) -> Flow {
        self.dispatch_events(emit?);
        Ok(())
    }

    pub(super) fn dispatch_events(&mut self, events: EventBatch) {
        if events.is_empty() {
            return;
        }
        match self.kind {
            StageKind::Consumer => {
                tracing::error!(
                    count = events.len(),
                    "gen_stage: a consumer cannot dispatch events (an empty list must be returned); dropped"
                );
                return;
            }
            StageKind::Producer => {
                if let Some(acc) = self.accumulated.as_mut() {
                    acc.push(Accumulated::Dispatch(events));
                    return;
                }
            }
            StageKind::ProducerConsumer => {}
        }
        let length = events.len() as u64;
        let mut out = ContextOutbox { ctx: &self.ctx };
        let rest = self.dispatcher.dispatch_batch(events, &mut out);
        if self.kind == StageKind::ProducerConsumer {
            let sent = length - rest.len() as u64;
            self.pc_demand = self.pc_demand.saturating_sub(sent);
        }
        self.buffer_events(rest);
    }

    fn buffer_events(&mut self, events: EventBatch) {
        if events.is_empty() {
            return;
        }
        let (dropped, freed) = self.buffer.store(events.into_terms());
        if dropped > 0 {
            tracing::warn!(
                stage = %self.me(),
                dropped,
                "gen_stage: producer has discarded events from its buffer"
            );
        }
        let mut out = ContextOutbox { ctx: &self.ctx };
        for info in freed {
            self.dispatcher.info(info, &mut out);
        }
    }

    /// `{'$info', Msg}`: delivered after the events emitted before it.
    pub(super) fn producer_info(&mut self, message: Term) {
        match self.kind {
            StageKind::Consumer => {
                send_noconnect(&self.ctx, &Dest::Pid(self.ctx.pid().clone()), message);
            }
            StageKind::ProducerConsumer if !self.pc_queue.is_empty() => {
                self.pc_queue.push_back(Queued::Info(message));
            }
            _ => self.buffer_or_dispatch_info(message),
        }
    }

    fn buffer_or_dispatch_info(&mut self, message: Term) {
        if let Some(message) = self.buffer.store_info(message) {
            let mut out = ContextOutbox { ctx: &self.ctx };
            self.dispatcher.info(message, &mut out);
        }
    }

    /// `'$demand'`: the producer's demand mode.
    pub(super) fn demand_mode(&self) -> Term {
        atom(if self.accumulated.is_some() {
            "accumulate"
        } else {
            "forward"
        })
    }

    /// `{'$demand', Mode}`.
    pub(super) async fn set_demand_mode(&mut self, mode: DemandMode) -> Flow {
        if self.kind != StageKind::Producer {
            if self.kind == StageKind::Consumer || mode == DemandMode::Accumulate {
                tracing::error!(
                    kind = self.kind.as_atom(),
                    "gen_stage: demand mode can only be set for producers"
                );
            }
            return Ok(());
        }
        match mode {
            DemandMode::Accumulate => {
                if self.accumulated.is_none() {
                    self.accumulated = Some(Vec::new());
                }
                Ok(())
            }
            DemandMode::Forward => {
                let Some(held) = self.accumulated.take() else {
                    return Ok(());
                };
                for item in held {
                    match item {
                        Accumulated::Demand(d) => self.take_from_buffer_or_handle_demand(d).await?,
                        Accumulated::Dispatch(events) => self.dispatch_events(events),
                    }
                }
                Ok(())
            }
        }
    }

    /// `'$estimate_buffered_count'`.
    pub(super) fn estimate_buffered_count(&self) -> u64 {
        if self.kind == StageKind::Consumer {
            tracing::error!("gen_stage: buffered count can only be requested for producers");
            return 0;
        }
        self.buffer.len() as u64
    }

    // ---------------------------------------------------------------- consumer side

    /// `{'$gen_consumer', From, Events | {cancel, Reason}}` from a producer.
    pub(super) async fn producer_message(&mut self, message: ToConsumer) -> Flow {
        if self.kind == StageKind::Producer {
            log_error(
                "a producer received a $gen_consumer message",
                &message.into_term(),
            );
            return Ok(());
        }
        let ToConsumer { from, payload } = message;
        match payload {
            ConsumerPayload::Cancel(reason) => {
                self.consumer_cancel(&from.tag, CancelKind::Cancel(reason))
                    .await
            }
            ConsumerPayload::Events(events) => {
                let Some(entry) = self.producers.get_mut(&from.tag) else {
                    let cancel = ToProducer {
                        from: StageFrom {
                            pid: self.me(),
                            tag: from.tag.clone(),
                        },
                        request: ProducerRequest::Cancel(atom("unknown_subscription")),
                    };
                    send_noconnect(&self.ctx, &from.dest(), cancel);
                    return Ok(());
                };
                // Now the producer's pid is known (a subscription by name starts without it).
                entry.pid = from.pid.clone();
                if self.kind == StageKind::ProducerConsumer {
                    self.pc_queue.push_back(Queued::Events(events, from));
                    return self.take_pc_events().await;
                }
                let batches = self.consumer_receive(&from, events);
                self.consumer_dispatch(batches, &from).await
            }
        }
    }

    fn consumer_receive(&mut self, from: &StageFrom, events: EventBatch) -> Vec<Batch> {
        let Some(entry) = self.producers.get_mut(&from.tag) else {
            return vec![Batch { events, ask: 0 }];
        };
        match entry.demand {
            None => vec![Batch { events, ask: 0 }],
            Some(demand) => {
                let (batches, demand, excess) = split_batches(events, demand);
                entry.demand = Some(demand);
                if excess > 0 {
                    tracing::error!(
                        excess,
                        from = %from.to_term(),
                        "gen_stage: consumer has received events in excess"
                    );
                }
                batches
            }
        }
    }

    async fn consumer_dispatch(&mut self, batches: Vec<Batch>, from: &StageFrom) -> Flow {
        for batch in batches {
            let emit = self
                .state
                .handle_events_batch(&mut self.ctx, batch.events, from)
                .await;
            self.emitted_batch(emit)?;
            if batch.ask > 0 {
                self.send_ask(from, batch.ask);
            }
        }
        Ok(())
    }

    fn send_ask(&self, from: &StageFrom, counter: u64) {
        let message = ToProducer {
            from: StageFrom {
                pid: self.me(),
                tag: from.tag.clone(),
            },
            request: ProducerRequest::Ask(counter),
        };
        send_noconnect(&self.ctx, &from.dest(), message);
    }

    /// Ends the subscription `tag` on the consumer side, then applies its cancel mode.
    pub(super) async fn consumer_cancel(&mut self, tag: &Term, cancel: CancelKind) -> Flow {
        let Some(entry) = self.producers.remove(tag) else {
            return Ok(());
        };
        if let Term::Reference(r) = tag {
            self.ctx.demonitor(r);
        }
        let from = StageFrom {
            pid: entry.pid,
            tag: tag.clone(),
        };
        if self.kind == StageKind::ProducerConsumer && !self.pc_queue.is_empty() {
            self.pc_queue
                .push_back(Queued::Cancel(entry.cancel, cancel, from));
            return Ok(());
        }
        self.invoke_cancel(entry.cancel, cancel, &from).await
    }

    async fn invoke_cancel(
        &mut self,
        mode: CancelMode,
        cancel: CancelKind,
        from: &StageFrom,
    ) -> Flow {
        let reason = cancel.reason().clone();
        let emit = self.state.handle_cancel(&mut self.ctx, cancel, from).await;
        self.emitted(emit).await?;
        if mode.stops_on(&reason) {
            tracing::info!(
                stage = %self.me(),
                producer = %from.pid,
                %reason,
                "gen_stage: consumer is stopping after receiving cancel from producer"
            );
            return Err(reason);
        }
        Ok(())
    }

    /// `{'$subscribe', Current, To, Opts}`: subscribes this stage to `to`. The reply, and
    /// whether the stage stops (a dead producer under permanent/transient: `noproc`).
    pub(super) async fn consumer_subscribe(
        &mut self,
        current: Option<(Term, Term)>,
        to: &Term,
        options: &Term,
    ) -> (Term, Flow) {
        if self.kind == StageKind::Producer {
            tracing::error!(to = %to, "gen_stage: a producer cannot be subscribed to another stage");
            return (
                Term::tuple(vec![atom("error"), atom("not_a_consumer")]),
                Ok(()),
            );
        }
        let parsed = match SubscribeOptions::from_keyword(options) {
            Ok(p) => p,
            Err(bad) => {
                tracing::error!(error = %bad, "gen_stage: consumer subscribe received invalid option");
                return (Term::tuple(vec![atom("error"), bad.to_term()]), Ok(()));
            }
        };
        let producer = self.resolve(to);
        let Some((dest, pid_term)) = producer else {
            let reply = Term::tuple(vec![atom("ok"), Term::Reference(self.make_ref())]);
            if parsed.cancel == CancelMode::Temporary {
                return (reply, Ok(()));
            }
            tracing::error!(to = %to, "gen_stage: consumer was not able to subscribe to a process that is not alive");
            return (reply, Err(atom("noproc")));
        };
        let monitor = self.ctx.monitor(dest.clone());
        let tag = Term::Reference(monitor);
        let from = StageFrom {
            pid: pid_term,
            tag: tag.clone(),
        };
        let keyword = match options {
            Term::List(_) => options.clone(),
            _ => Term::nil(),
        };
        let subscribe = ToProducer {
            from: StageFrom {
                pid: self.me(),
                tag: tag.clone(),
            },
            request: ProducerRequest::Subscribe {
                current,
                options: keyword.clone(),
            },
        };
        send_noconnect(&self.ctx, &dest, subscribe);
        let mode = self
            .state
            .handle_subscribe(&mut self.ctx, Role::Producer, &keyword, &from)
            .await;
        let reply = Term::tuple(vec![atom("ok"), tag.clone()]);
        let demand = match mode {
            SubscribeMode::Automatic => {
                self.send_ask(&from, parsed.max_demand);
                Some(AutoDemand {
                    outstanding: parsed.max_demand,
                    min: parsed.min_demand,
                    max: parsed.max_demand,
                })
            }
            SubscribeMode::Manual => None,
            SubscribeMode::Stop(reason) => return (reply, Err(reason)),
        };
        self.producers.insert(
            tag,
            ProducerEntry {
                pid: from.pid,
                cancel: parsed.cancel,
                demand,
            },
        );
        (reply, Ok(()))
    }

    fn make_ref(&self) -> Reference {
        // A reference no subscription holds: a monitor of ourselves, removed at once.
        let r = self.ctx.monitor(self.ctx.pid().clone());
        self.ctx.demonitor(&r);
        r
    }

    /// `To` as GenServer.whereis reads it: a pid, a local name, `{Name, Node}`. `None` when no
    /// such process is alive (a local name not registered, a local pid gone).
    fn resolve(&self, to: &Term) -> Option<(Dest, Term)> {
        let node = self.ctx.node();
        match to {
            Term::Pid(p) => {
                if p.node == *node.name() && node.process_info(p).is_none() {
                    return None;
                }
                Some((Dest::Pid(p.clone()), to.clone()))
            }
            Term::Atom(name) => node
                .whereis(name.as_str())
                .map(|p| (Dest::Pid(p.clone()), Term::Pid(p))),
            Term::Tuple(t) => match t.as_slice() {
                [Term::Atom(name), Term::Atom(n)] if n == node.name() => node
                    .whereis(name.as_str())
                    .map(|p| (Dest::Pid(p.clone()), Term::Pid(p))),
                [Term::Atom(name), Term::Atom(n)] => Some((
                    Dest::Remote {
                        name: name.clone(),
                        node: n.clone(),
                    },
                    to.clone(),
                )),
                _ => None,
            },
            _ => None,
        }
    }

    // ---------------------------------------------------------------- producer_consumer

    async fn take_pc_events(&mut self) -> Flow {
        while self.pc_demand > 0 {
            let Some(item) = self.pc_queue.pop_front() else {
                break;
            };
            match item {
                Queued::Info(message) => self.buffer_or_dispatch_info(message),
                Queued::Cancel(mode, cancel, from) => {
                    self.invoke_cancel(mode, cancel, &from).await?
                }
                Queued::Events(events, from) => {
                    let batches = self.consumer_receive(&from, events);
                    self.consumer_dispatch(batches, &from).await?;
                }
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- both sides

    /// A `DOWN`: the end of a subscription on either side, or the user's message.
    pub(super) async fn down(&mut self, reference: Reference, reason: Term) -> Result<bool, Term> {
        let tag = Term::Reference(reference.clone());
        if self.producers.contains_key(&tag) {
            self.consumer_cancel(&tag, CancelKind::Down(reason)).await?;
            return Ok(true);
        }
        if let Some(tag) = self.monitors.get(&reference).cloned() {
            self.producer_cancel(&tag, CancelKind::Down(reason)).await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// A message tagged as the protocol's but malformed: cancel the subscription it names (on
    /// the side this stage plays for it), tell the other side, log it.
    pub(super) async fn malformed(&mut self, bad: Malformed) -> Flow {
        tracing::warn!(
            kind = bad.kind,
            reason = %bad.reason,
            message = %bad.message,
            "gen_stage: malformed protocol message; its subscription is cancelled"
        );
        let Some(from) = bad.from else {
            return Ok(());
        };
        if bad.kind == "$gen_producer" {
            if self.consumers.contains_key(&from.tag) {
                return self
                    .producer_cancel(&from.tag, CancelKind::Cancel(bad.reason))
                    .await;
            }
            self.send_cancel_to_consumer(&from, bad.reason);
            Ok(())
        } else {
            let cancel = ToProducer {
                from: StageFrom {
                    pid: self.me(),
                    tag: from.tag.clone(),
                },
                request: ProducerRequest::Cancel(bad.reason.clone()),
            };
            send_noconnect(&self.ctx, &from.dest(), cancel);
            self.consumer_cancel(&from.tag, CancelKind::Cancel(bad.reason))
                .await
        }
    }
}
