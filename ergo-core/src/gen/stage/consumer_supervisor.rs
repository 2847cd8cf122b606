//! Elixir's `ConsumerSupervisor`: a consumer stage that starts one child process per event
//! (the child's body gets the event), linked to it and supervised `one_for_one`. It asks its
//! producers manually: `max_demand` at subscription, then again once at least `min_demand` of
//! the children started from a producer's events have exited, so at most `max_demand` children
//! per producer are alive. Restart: `Temporary` (the default: an exited child is not restarted),
//! `Transient` (restarted after an abnormal exit) or `Permanent`, with the event it was started
//! with; more than `max_restarts` restarts within `max_seconds` stop the supervisor with
//! `shutdown`. Owns the children table and the demand bookkeeping; must not know the protocol
//! (the stage engine runs it).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ergo_etf::{Pid, Term};

use super::behaviour::GenStage;
use super::control;
use super::messages::StageFrom;
use super::options::SubscribeOptions;
use super::types::{CancelKind, Emit, Role, StageInit, StageKind, StageOptions, SubscribeMode};
use crate::gen::supervisor::Restart;
use crate::node::{Context, Dest, SpawnOptions};
use crate::process::Payload;

/// A child's body: runs in a new process with the event it was started for; its return value
/// is its exit reason.
pub type ChildBody =
    Arc<dyn Fn(Context, Term) -> Pin<Box<dyn Future<Output = Term> + Send>> + Send + Sync>;

/// What a consumer supervisor starts, and how it restarts.
#[derive(Clone)]
pub struct ConsumerSupervisorSpec {
    /// The child's body.
    pub child: ChildBody,
    /// The children's restart type (`Temporary` by default).
    pub restart: Restart,
    /// Restarts allowed within `max_seconds` (3 by default).
    pub max_restarts: usize,
    /// The restart window (5 s by default).
    pub max_seconds: u64,
    /// Producers to subscribe to at start.
    pub subscribe_to: Vec<(Dest, SubscribeOptions)>,
}

impl ConsumerSupervisorSpec {
    /// Temporary children running `child`, ConsumerSupervisor's default limits.
    pub fn new(child: ChildBody) -> ConsumerSupervisorSpec {
        ConsumerSupervisorSpec {
            child,
            restart: Restart::Temporary,
            max_restarts: 3,
            max_seconds: 5,
            subscribe_to: Vec::new(),
        }
    }

    /// Sets the restart type.
    pub fn restart(mut self, restart: Restart) -> ConsumerSupervisorSpec {
        self.restart = restart;
        self
    }

    /// Subscribes to `to` at start.
    pub fn subscribe_to(
        mut self,
        to: impl Into<Dest>,
        options: SubscribeOptions,
    ) -> ConsumerSupervisorSpec {
        self.subscribe_to.push((to.into(), options));
        self
    }
}

/// Per producer: its subscription, the children alive from its events, exits not yet asked
/// for again, and its bounds.
struct Producer {
    from: StageFrom,
    count: u64,
    pending: u64,
    min: u64,
    max: u64,
}

/// The consumer supervisor stage (start it with `node.start_stage::<ConsumerSupervisor>(spec, ..)`).
pub struct ConsumerSupervisor {
    spec: ConsumerSupervisorSpec,
    /// Child -> (the subscription tag its event came from, the event).
    children: HashMap<Pid, (Term, Term)>,
    producers: HashMap<Term, Producer>,
    restarts: VecDeque<Instant>,
}

impl ConsumerSupervisor {
    fn start_child(&mut self, ctx: &Context, tag: Term, event: Term) -> bool {
        let body = self.spec.child.clone();
        let child_event = event.clone();
        let options = SpawnOptions {
            link: Some(ctx.pid().clone()),
            ..SpawnOptions::default()
        };
        match ctx
            .node()
            .spawn(options, move |cctx| body(cctx, child_event))
        {
            Ok(pid) => {
                self.children.insert(pid, (tag, event));
                true
            }
            Err(error) => {
                tracing::error!(%error, "ConsumerSupervisor failed to start child");
                false
            }
        }
    }

    /// GenStage's `maybe_ask`: `events` started (or failed), `down` exited; ask again once
    /// `min` exits accumulated.
    fn maybe_ask(&mut self, ctx: &Context, tag: &Term, events: u64, down: u64) {
        let Some(p) = self.producers.get_mut(tag) else {
            return;
        };
        if p.count + events > p.max {
            tracing::error!(
                excess = p.count + events - p.max,
                "ConsumerSupervisor has received events in excess"
            );
        }
        let ask = p.pending + down;
        if ask >= p.min && ask > 0 {
            if let Err(error) = control::ask(ctx, &p.from, ask) {
                tracing::debug!(%error, "ConsumerSupervisor: ask not sent");
            }
            p.pending = 0;
        } else {
            p.pending = ask;
        }
        p.count = (p.count + events).saturating_sub(down);
    }

    /// Whether one more restart fits the intensity.
    fn may_restart(&mut self) -> bool {
        let now = Instant::now();
        let window = Duration::from_secs(self.spec.max_seconds);
        while self
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > window)
        {
            self.restarts.pop_front();
        }
        self.restarts.push_back(now);
        self.restarts.len() <= self.spec.max_restarts
    }
}

fn exit_of(payload: Payload) -> Option<(Pid, Term)> {
    let Payload::Term(Term::Tuple(t)) = payload else {
        return None;
    };
    match t.as_slice() {
        [tag, Term::Pid(pid), reason] if tag.is_atom("EXIT") => Some((pid.clone(), reason.clone())),
        _ => None,
    }
}

impl GenStage for ConsumerSupervisor {
    type Args = ConsumerSupervisorSpec;

    async fn init(ctx: &mut Context, spec: ConsumerSupervisorSpec) -> StageInit<Self> {
        ctx.trap_exit(true);
        let options = StageOptions {
            subscribe_to: spec.subscribe_to.clone(),
            ..StageOptions::default()
        };
        StageInit::Ok(
            StageKind::Consumer,
            ConsumerSupervisor {
                spec,
                children: HashMap::new(),
                producers: HashMap::new(),
                restarts: VecDeque::new(),
            },
            options,
        )
    }

    async fn handle_subscribe(
        &mut self,
        ctx: &mut Context,
        role: Role,
        options: &Term,
        from: &StageFrom,
    ) -> SubscribeMode {
        if role != Role::Producer {
            return SubscribeMode::Automatic;
        }
        let options = SubscribeOptions::from_keyword(options).unwrap_or_default();
        if let Err(error) = control::ask(ctx, from, options.max_demand) {
            tracing::debug!(%error, "ConsumerSupervisor: first ask not sent");
        }
        self.producers.insert(
            from.tag.clone(),
            Producer {
                from: from.clone(),
                count: 0,
                pending: 0,
                min: options.min_demand,
                max: options.max_demand,
            },
        );
        SubscribeMode::Manual
    }

    async fn handle_cancel(
        &mut self,
        _ctx: &mut Context,
        _cancel: CancelKind,
        from: &StageFrom,
    ) -> Emit {
        self.producers.remove(&from.tag);
        Emit::none()
    }

    async fn handle_events(
        &mut self,
        ctx: &mut Context,
        events: Vec<Term>,
        from: &StageFrom,
    ) -> Emit {
        let total = events.len() as u64;
        let mut errors = 0;
        for event in events {
            if !self.start_child(ctx, from.tag.clone(), event) {
                errors += 1;
            }
        }
        self.maybe_ask(ctx, &from.tag, total, errors);
        Emit::none()
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Emit {
        let Some((pid, reason)) = exit_of(message) else {
            return Emit::none();
        };
        let Some((tag, event)) = self.children.remove(&pid) else {
            return Emit::none();
        };
        if self.spec.restart.restarts_after(&reason) {
            if !self.may_restart() {
                tracing::error!(%reason, "ConsumerSupervisor: restart intensity reached; shutting down");
                return Emit::Stop(Term::atom("shutdown"));
            }
            if self.start_child(ctx, tag.clone(), event) {
                return Emit::none();
            }
        }
        self.maybe_ask(ctx, &tag, 0, 1);
        Emit::none()
    }

    async fn terminate(&mut self, ctx: &mut Context, _reason: &Term) {
        for pid in self.children.keys() {
            ctx.exit(pid, Term::atom("shutdown"));
        }
    }
}
