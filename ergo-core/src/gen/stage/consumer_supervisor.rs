//! Elixir's `ConsumerSupervisor`: a consumer stage that starts one child process per event
//! (the child's body gets the event), linked to it and supervised `one_for_one`. It asks its
//! producers manually: `max_demand` at subscription, then again once at least `min_demand` of
//! the children started from a producer's events have exited, so at most `max_demand` children
//! per producer are alive. Restart: `Temporary` (the default: an exited child is not restarted),
//! `Transient` (restarted after an abnormal exit) or `Permanent`, with the event it was started
//! with; more than `max_restarts` restarts within `max_seconds` stop the supervisor with
//! `shutdown`. It answers ConsumerSupervisor's calls (`which_children`, `count_children`,
//! `{start_child, [Event]}`: a child outside of demand) with the terms Elixir's replies carry.
//! Owns the children table and the demand bookkeeping; must not know the protocol (the stage
//! engine runs it) nor the callers' side of those calls (`consumer_supervisor_calls`).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ergo_etf::{Atom, Map, Pid, Term};

use super::behaviour::GenStage;
use super::control;
use super::messages::StageFrom;
use super::options::SubscribeOptions;
use super::types::StageReply;
use super::types::{CancelKind, Emit, Role, StageInit, StageKind, StageOptions, SubscribeMode};
use crate::gen::supervisor::{ChildKind, Restart};
use crate::node::{Context, Dest, SpawnOptions};
use crate::process::{Payload, ReplyTo};

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
    /// The children's type as `which_children`/`count_children` report it (`Worker` by default).
    pub kind: ChildKind,
    /// The children's modules as `which_children` reports them (none by default).
    pub modules: Vec<Atom>,
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
            kind: ChildKind::Worker,
            modules: Vec::new(),
        }
    }

    /// Sets the children's type (reported by `which_children`/`count_children` only).
    pub fn kind(mut self, kind: ChildKind) -> ConsumerSupervisorSpec {
        self.kind = kind;
        self
    }

    /// Sets the children's modules (reported by `which_children` only).
    pub fn modules(mut self, modules: Vec<Atom>) -> ConsumerSupervisorSpec {
        self.modules = modules;
        self
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

/// One child: the subscription tag its event came from (`None`: started by `start_child`,
/// outside of demand) and the event it was started with.
struct Child {
    origin: Option<Term>,
    event: Term,
}

/// The consumer supervisor stage (start it with `node.start_stage::<ConsumerSupervisor>(spec, ..)`).
pub struct ConsumerSupervisor {
    spec: ConsumerSupervisorSpec,
    children: HashMap<Pid, Child>,
    producers: HashMap<Term, Producer>,
    restarts: VecDeque<Instant>,
}

impl ConsumerSupervisor {
    /// Starts a child for `event`; its pid, or why it could not start.
    fn start_child(&mut self, ctx: &Context, origin: Option<Term>, event: Term) -> Option<Pid> {
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
                self.children.insert(pid.clone(), Child { origin, event });
                Some(pid)
            }
            Err(error) => {
                tracing::error!(%error, "ConsumerSupervisor failed to start child");
                None
            }
        }
    }

    /// `which_children`: `[{undefined, Pid, worker | supervisor, Modules}]`.
    fn which_children(&self) -> Term {
        let kind = kind_atom(self.spec.kind);
        let modules = Term::List(self.spec.modules.iter().cloned().map(Term::Atom).collect());
        Term::List(
            self.children
                .keys()
                .map(|pid| {
                    Term::tuple(vec![
                        Term::atom("undefined"),
                        Term::Pid(pid.clone()),
                        kind.clone(),
                        modules.clone(),
                    ])
                })
                .collect(),
        )
    }

    /// `count_children`: `%{specs: 1, active: N, workers: N | 0, supervisors: 0 | N}` (a
    /// child is restarted at once or dropped here, so every child counted is active).
    fn count_children(&self) -> Term {
        let n = Term::Int(self.children.len() as i64);
        let (workers, supervisors) = match self.spec.kind {
            ChildKind::Worker => (n.clone(), Term::Int(0)),
            ChildKind::Supervisor => (Term::Int(0), n.clone()),
        };
        Term::Map(Map::from_pairs([
            (Term::atom("specs"), Term::Int(1)),
            (Term::atom("active"), n),
            (Term::atom("workers"), workers),
            (Term::atom("supervisors"), supervisors),
        ]))
    }

    /// `{start_child, Args}`: Elixir applies the template to `Args`; a Rust child takes one
    /// event, so `Args` is `[Event]`. `{ok, Pid}`, or `{error, Reason}`.
    fn start_child_call(&mut self, ctx: &Context, args: &Term) -> Term {
        let event = match args {
            Term::List(items) if items.len() == 1 => items[0].clone(),
            _ => {
                return Term::tuple(vec![
                    Term::atom("error"),
                    Term::tuple(vec![Term::atom("badarity"), args.clone()]),
                ])
            }
        };
        match self.start_child(ctx, None, event) {
            Some(pid) => Term::tuple(vec![Term::atom("ok"), Term::Pid(pid)]),
            None => Term::tuple(vec![Term::atom("error"), Term::atom("spawn_failed")]),
        }
    }

    /// GenStage's `maybe_ask`: `events` started (or failed), `down` exited; ask again once
    /// `min` exits accumulated.
    fn maybe_ask(&mut self, ctx: &Context, tag: Option<&Term>, events: u64, down: u64) {
        let Some(p) = tag.and_then(|tag| self.producers.get_mut(tag)) else {
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

fn kind_atom(kind: ChildKind) -> Term {
    Term::atom(match kind {
        ChildKind::Worker => "worker",
        ChildKind::Supervisor => "supervisor",
    })
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
            if self
                .start_child(ctx, Some(from.tag.clone()), event)
                .is_none()
            {
                errors += 1;
            }
        }
        self.maybe_ask(ctx, Some(&from.tag), total, errors);
        Emit::none()
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Emit {
        let Some((pid, reason)) = exit_of(message) else {
            return Emit::none();
        };
        let Some(Child { origin, event }) = self.children.remove(&pid) else {
            return Emit::none();
        };
        if self.spec.restart.restarts_after(&reason) {
            if !self.may_restart() {
                tracing::error!(%reason, "ConsumerSupervisor: restart intensity reached; shutting down");
                return Emit::Stop(Term::atom("shutdown"));
            }
            if self.start_child(ctx, origin.clone(), event).is_some() {
                return Emit::none();
            }
        }
        self.maybe_ask(ctx, origin.as_ref(), 0, 1);
        Emit::none()
    }

    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Payload,
        _from: ReplyTo,
    ) -> StageReply {
        let request = request.into_term();
        let reply = if request.is_atom("which_children") {
            self.which_children()
        } else if request.is_atom("count_children") {
            self.count_children()
        } else {
            match request.as_tuple() {
                Some([tag, args]) if tag.is_atom("start_child") => self.start_child_call(ctx, args),
                _ => return StageReply::Refuse(request),
            }
        };
        StageReply::Reply(Payload::Term(reply), Vec::new())
    }

    async fn terminate(&mut self, ctx: &mut Context, _reason: &Term) {
        for pid in self.children.keys() {
            ctx.exit(pid, Term::atom("shutdown"));
        }
    }
}
