//! The supervisor process: init (start children in order, undo on failure), then a loop over
//! its mailbox: a child's `EXIT` is restarted by restart type and strategy within the intensity
//! window (or leads to auto_shutdown), the parent's `EXIT` stops it, API requests are answered.
//! On stop, children are stopped in reverse start order. What it supervises (static children,
//! or simple_one_for_one's template and dynamic children) is `children.rs`'s. Must not talk to
//! other supervisors except through their pids, and must not touch node internals.

use std::collections::HashSet;

use ergo_etf::{Atom, Pid, Term};

use super::api::{ChildCounts, ChildInfo, ChildPid, Request, Response, SupervisorReport};
use super::children::{find, Child, Children, Dynamic};
use super::inbox::Inbox;
use super::shutdown::{stop_child, stop_children_together};
use super::spec::is_normal_exit;
use super::{
    AutoShutdown, ChildKind, ChildSpec, Restart, RestartWindow, StartContext, StartOutcome,
    Strategy, Supervisor, SupervisorError, SupervisorSpec,
};
use crate::node::Context;
use crate::node::InspectProcess;
use crate::node::{Node, SpawnOptions};
use crate::process::Envelope;

type Ack = tokio::sync::oneshot::Sender<Result<(), SupervisorError>>;

/// What the loop does next.
enum Flow {
    Continue,
    Stop(Term),
}

/// The supervisor's own side: its mailbox, who it is, its flags and its restart window.
struct Core {
    inbox: Inbox,
    node: Node,
    me: Pid,
    parent: Option<Pid>,
    strategy: Strategy,
    auto_shutdown: AutoShutdown,
    window: RestartWindow,
    /// Its flags as given (the report shows them).
    intensity: u32,
    period: std::time::Duration,
    /// Restarts since it started.
    restarts: u64,
}

/// The supervisor process's state: itself, and what it supervises.
struct Sup {
    core: Core,
    children: Children,
}

fn shutdown() -> Term {
    Term::atom("shutdown")
}

/// Maps a supervisor start result to a child start outcome (for nested supervisors).
pub(super) fn start_outcome(result: Result<Pid, SupervisorError>) -> StartOutcome {
    match result {
        Ok(pid) => Ok(Some(pid)),
        Err(SupervisorError::InitFailed(reason)) => Err(reason),
        Err(other) => Err(Term::binary(other.to_string().into_bytes())),
    }
}

impl Node {
    /// Starts supervisor `S`: runs its `init` in the new process, starts its children in order,
    /// and returns once all have started (like `supervisor:start_link`). With
    /// `options.link` set, that pid is the supervisor's parent: its `EXIT` stops the supervisor.
    pub async fn start_supervisor<S: Supervisor>(
        &self,
        args: S::Args,
        options: SpawnOptions,
    ) -> Result<Pid, SupervisorError> {
        self.start_supervisor_with(move || S::init(args), options, std::any::type_name::<S>())
            .await
    }

    /// Starts a supervisor from a spec built in plain Rust (see [`Node::start_supervisor`]).
    pub async fn start_supervisor_spec(
        &self,
        spec: SupervisorSpec,
        options: SpawnOptions,
    ) -> Result<Pid, SupervisorError> {
        self.start_supervisor_with(move || Ok(spec), options, "supervisor")
            .await
    }

    async fn start_supervisor_with<F>(
        &self,
        init: F,
        options: SpawnOptions,
        behaviour: &'static str,
    ) -> Result<Pid, SupervisorError>
    where
        F: FnOnce() -> Result<SupervisorSpec, Term> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let parent = options.link.clone();
        let options = SpawnOptions {
            trap_exit: true,
            ..options
        };
        let pid = self
            .spawn_behaviour(behaviour, options, move |ctx| run(ctx, init, parent, tx))
            .map_err(SupervisorError::Spawn)?;
        match rx.await {
            Ok(Ok(())) => Ok(pid),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SupervisorError::InitFailed(Term::atom("killed"))),
        }
    }
}

async fn run<F>(ctx: Context, init: F, parent: Option<Pid>, ack: Ack) -> Term
where
    F: FnOnce() -> Result<SupervisorSpec, Term>,
{
    let spec = match init() {
        Ok(spec) => spec,
        Err(reason) => {
            let _ = ack.send(Err(SupervisorError::InitFailed(reason.clone())));
            return reason;
        }
    };
    let children = match spec
        .check()
        .and_then(|()| Children::new(spec.strategy, spec.children))
    {
        Ok(children) => children,
        Err(e) => {
            let reason = Term::tuple(vec![
                Term::atom("bad_spec"),
                Term::binary(e.to_string().into_bytes()),
            ]);
            let _ = ack.send(Err(e));
            return reason;
        }
    };
    let node = ctx.node().clone();
    let me = ctx.pid().clone();
    ctx.set_kind("supervisor", true);
    let mut sup = Sup {
        core: Core {
            inbox: Inbox::new(ctx),
            node,
            me,
            parent,
            strategy: spec.strategy,
            auto_shutdown: spec.auto_shutdown,
            window: RestartWindow::new(spec.intensity, spec.period),
            intensity: spec.intensity,
            period: spec.period,
            restarts: 0,
        },
        children,
    };
    if let Err(reason) = sup.start_static_children().await {
        let _ = ack.send(Err(SupervisorError::InitFailed(reason.clone())));
        return reason;
    }
    let _ = ack.send(Ok(()));
    tracing::debug!(supervisor = %Term::Pid(sup.core.me.clone()), strategy = sup.core.strategy.as_str(), "supervisor started");
    sup.serve().await
}

impl Core {
    /// Starts one child. Borrows nothing across the await (the inbox holds non-`Sync` state).
    fn start(
        &self,
        spec: &ChildSpec,
        extra: Vec<Term>,
    ) -> impl std::future::Future<Output = StartOutcome> + Send + 'static {
        let cx = StartContext {
            node: self.node.clone(),
            supervisor: self.me.clone(),
            extra,
        };
        let start = spec.start.clone();
        async move { start.start(cx).await }
    }

    /// Counts a restart against the intensity; `false` means give up.
    fn count_restart(&mut self) -> bool {
        self.restarts += 1;
        // tokio's clock, so that a paused runtime (tests, `ergo::testing::SupervisorKit`) moves
        // the intensity window; outside a paused runtime it is the monotonic clock.
        if self.window.add(tokio::time::Instant::now().into_std()) {
            return true;
        }
        tracing::error!(supervisor = %Term::Pid(self.me.clone()), "reached_max_restart_intensity: shutting down");
        false
    }

    /// Restarts static child `id` of `children` and the children its strategy affects, retrying
    /// a failed start (each attempt counts against the intensity).
    async fn restart_static(
        &mut self,
        children: &mut Vec<Child>,
        mut id: Atom,
    ) -> Result<Flow, Term> {
        loop {
            if !self.count_restart() {
                return Ok(Flow::Stop(shutdown()));
            }
            let Some(failed) = children.iter().position(|c| c.spec.id == id) else {
                return Ok(Flow::Continue);
            };
            let range = self.strategy.affected(failed, children.len());
            // Stop the affected children still running, in reverse start order.
            for i in range.clone().rev() {
                let Some(child) = children.get_mut(i) else {
                    continue;
                };
                if let Some(pid) = child.pid.take() {
                    let shutdown = child.spec.shutdown;
                    stop_child(&mut self.inbox, &pid, shutdown).await?;
                }
            }
            // Stopped temporary children are not restarted: their specs go.
            let temporary: HashSet<Atom> = children[range.clone()]
                .iter()
                .filter(|c| c.spec.restart == Restart::Temporary && c.spec.id != id)
                .map(|c| c.spec.id.clone())
                .collect();
            children.retain(|c| !temporary.contains(&c.spec.id));
            let Some(start) = children.iter().position(|c| c.spec.id == id) else {
                return Ok(Flow::Continue);
            };
            let begin = if self.strategy == Strategy::OneForAll {
                0
            } else {
                start
            };
            let end = if self.strategy == Strategy::OneForOne {
                start + 1
            } else {
                children.len()
            };
            let mut failed_again = None;
            for i in begin..end {
                let Some(child) = children.get(i) else {
                    break;
                };
                if child.pid.is_some() {
                    continue;
                }
                let spec = child.spec.clone();
                match self.start(&spec, Vec::new()).await {
                    Ok(pid) => {
                        tracing::info!(supervisor = %Term::Pid(self.me.clone()), child = %spec.id, pid = ?pid.as_ref().map(|p| Term::Pid(p.clone()).to_string()), "child restarted");
                        if let Some(c) = children.get_mut(i) {
                            c.pid = pid;
                            c.restarts += 1;
                        }
                    }
                    Err(reason) => {
                        tracing::error!(supervisor = %Term::Pid(self.me.clone()), child = %spec.id, %reason, "child failed to restart; trying again");
                        failed_again = Some(spec.id.clone());
                        break;
                    }
                }
            }
            match failed_again {
                None => return Ok(Flow::Continue),
                Some(again) => id = again,
            }
        }
    }

    /// Restarts a dynamic child from `template` with its `extra` arguments, at position `at` of
    /// `running`, retrying a failed start (each attempt counts against the intensity).
    async fn restart_dynamic(
        &mut self,
        running: &mut Vec<Dynamic>,
        at: usize,
        template: &ChildSpec,
        extra: Vec<Term>,
        restarts: u64,
    ) -> Result<Flow, Term> {
        loop {
            if !self.count_restart() {
                return Ok(Flow::Stop(shutdown()));
            }
            match self.start(template, extra.clone()).await {
                Ok(Some(pid)) => {
                    tracing::info!(supervisor = %Term::Pid(self.me.clone()), pid = %Term::Pid(pid.clone()), "dynamic child restarted");
                    let at = at.min(running.len());
                    running.insert(
                        at,
                        Dynamic {
                            pid,
                            extra,
                            restarts: restarts + 1,
                        },
                    );
                    return Ok(Flow::Continue);
                }
                Ok(None) => return Ok(Flow::Continue),
                Err(reason) => {
                    tracing::error!(supervisor = %Term::Pid(self.me.clone()), %reason, "dynamic child failed to restart; trying again");
                }
            }
        }
    }
}

impl Sup {
    /// Starts the static children in start order (simple_one_for_one has none to start); a
    /// temporary child whose start returns `ignore` is not kept. When one fails, stops those
    /// started (reverse order) and returns the supervisor's exit reason.
    async fn start_static_children(&mut self) -> Result<(), Term> {
        let failed = {
            let Children::Static(children) = &mut self.children else {
                return Ok(());
            };
            let mut failed = None;
            let mut i = 0;
            while let Some(child) = children.get(i) {
                let temporary = child.spec.restart == Restart::Temporary;
                let started = self.core.start(&child.spec, Vec::new());
                match started.await {
                    Ok(None) if temporary => {
                        children.remove(i);
                    }
                    Ok(pid) => {
                        if let Some(child) = children.get_mut(i) {
                            child.pid = pid;
                        }
                        i += 1;
                    }
                    Err(reason) => {
                        let id = children.get(i).map(|c| c.spec.id.clone());
                        failed = id.map(|id| (id, reason));
                        break;
                    }
                }
            }
            failed
        };
        let Some((id, reason)) = failed else {
            return Ok(());
        };
        tracing::error!(supervisor = %Term::Pid(self.core.me.clone()), child = %id, %reason, "child failed to start");
        let _ = self.stop_all().await;
        Err(Term::tuple(vec![
            shutdown(),
            Term::tuple(vec![
                Term::atom("failed_to_start_child"),
                Term::Atom(id),
                reason,
            ]),
        ]))
    }

    async fn serve(&mut self) -> Term {
        loop {
            let envelope = match self.core.inbox.next().await {
                Ok(e) => e,
                Err(reason) => return reason, // killed: links take the children down
            };
            let flow = match envelope {
                Envelope::Exit(exit) => self.on_exit(exit.from, exit.reason).await,
                Envelope::Direct(request) => match request.take::<Request>() {
                    Ok((Request::Stop(reason), reply)) => {
                        if let Err(killed) = self.stop_all().await {
                            return killed;
                        }
                        reply.reply(Ok(Response::Done));
                        return reason;
                    }
                    Ok((request, reply)) => match self.on_request(request).await {
                        Ok(answer) => {
                            reply.reply(answer);
                            Ok(Flow::Continue)
                        }
                        Err(reason) => Err(reason),
                    },
                    Err(request) => match request.take::<InspectProcess>() {
                        Ok((InspectProcess, reply)) => {
                            reply.reply(self.inspect());
                            Ok(Flow::Continue)
                        }
                        Err(request) => {
                            request.refuse(Term::atom("bad_request"));
                            Ok(Flow::Continue)
                        }
                    },
                },
                Envelope::Call { from, request } => {
                    from.reply(self.term_request(&request.into_term()));
                    Ok(Flow::Continue)
                }
                other => {
                    tracing::warn!(supervisor = %Term::Pid(self.core.me.clone()), message = %other.into_term(), "supervisor got an unexpected message");
                    Ok(Flow::Continue)
                }
            };
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::Stop(reason)) => {
                    if let Err(killed) = self.stop_all().await {
                        return killed;
                    }
                    tracing::debug!(supervisor = %Term::Pid(self.core.me.clone()), %reason, "supervisor stopped");
                    return reason;
                }
                Err(killed) => return killed,
            }
        }
    }

    /// A child's or the parent's exit.
    async fn on_exit(&mut self, from: Pid, reason: Term) -> Result<Flow, Term> {
        if self.core.parent.as_ref() == Some(&from) {
            return Ok(Flow::Stop(reason));
        }
        let core = &mut self.core;
        let significant = match &mut self.children {
            Children::Static(children) => {
                let Some(i) = children.iter().position(|c| c.pid.as_ref() == Some(&from)) else {
                    return Ok(Flow::Continue); // an EXIT from a process we no longer supervise
                };
                let (id, restart, significant) = {
                    let child = &mut children[i];
                    child.pid = None;
                    (
                        child.spec.id.clone(),
                        child.spec.restart,
                        child.spec.significant,
                    )
                };
                if restart.restarts_after(&reason) {
                    tracing::error!(supervisor = %Term::Pid(core.me.clone()), child = %id, pid = %Term::Pid(from), %reason, "child terminated; restarting");
                    return core.restart_static(children, id).await;
                }
                if !is_normal_exit(&reason) {
                    tracing::error!(supervisor = %Term::Pid(core.me.clone()), child = %id, %reason, "temporary child terminated");
                }
                if restart == Restart::Temporary {
                    children.remove(i);
                }
                significant
            }
            Children::Dynamic { template, running } => {
                let Some(i) = running.iter().position(|d| d.pid == from) else {
                    return Ok(Flow::Continue); // an EXIT from a process we no longer supervise
                };
                let dynamic = running.remove(i);
                if template.restart.restarts_after(&reason) {
                    tracing::error!(supervisor = %Term::Pid(core.me.clone()), pid = %Term::Pid(from), %reason, "dynamic child terminated; restarting");
                    return core
                        .restart_dynamic(running, i, template, dynamic.extra, dynamic.restarts)
                        .await;
                }
                template.significant
            }
        };
        Ok(self.auto_shutdown_after(significant))
    }

    fn auto_shutdown_after(&self, significant: bool) -> Flow {
        if !significant {
            return Flow::Continue;
        }
        match self.core.auto_shutdown {
            AutoShutdown::Never => Flow::Continue,
            AutoShutdown::AnySignificant => Flow::Stop(shutdown()),
            AutoShutdown::AllSignificant => {
                if self.children.significant_left() {
                    Flow::Continue
                } else {
                    Flow::Stop(shutdown())
                }
            }
        }
    }

    /// Stops every child: static ones in reverse start order, dynamic ones together.
    async fn stop_all(&mut self) -> Result<(), Term> {
        let inbox = &mut self.core.inbox;
        match &mut self.children {
            Children::Dynamic { template, running } => {
                let shutdown = template.shutdown;
                let pids: Vec<Pid> = running.drain(..).map(|d| d.pid).collect();
                stop_children_together(inbox, &pids, shutdown).await?;
            }
            Children::Static(children) => {
                for child in children.iter_mut().rev() {
                    if let Some(pid) = child.pid.take() {
                        let shutdown = child.spec.shutdown;
                        stop_child(inbox, &pid, shutdown).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Answers an API request; `Err(reason)` only when the supervisor was killed meanwhile.
    async fn on_request(
        &mut self,
        request: Request,
    ) -> Result<Result<Response, SupervisorError>, Term> {
        let core = &mut self.core;
        Ok(match request {
            Request::StartChild(spec) => self.start_child(spec).await,
            Request::StartDynamic(extra) => match &mut self.children {
                Children::Static(_) => Err(SupervisorError::NotSimpleOneForOne),
                Children::Dynamic { template, running } => {
                    match core.start(template, extra.clone()).await {
                        Ok(Some(pid)) => {
                            running.push(Dynamic {
                                pid: pid.clone(),
                                extra,
                                restarts: 0,
                            });
                            Ok(Response::Started(Some(pid)))
                        }
                        Ok(None) => Ok(Response::Started(None)),
                        Err(reason) => Err(SupervisorError::StartFailed(reason)),
                    }
                }
            },
            Request::TerminateChild(id) => {
                let Children::Static(children) = &mut self.children else {
                    return Ok(Err(SupervisorError::SimpleOneForOne));
                };
                match find(children, &id) {
                    Err(e) => Err(e),
                    Ok(i) => {
                        if let Some(pid) = children[i].pid.take() {
                            let shutdown = children[i].spec.shutdown;
                            stop_child(&mut core.inbox, &pid, shutdown).await?;
                        }
                        if let Ok(i) = find(children, &id) {
                            if children[i].spec.restart == Restart::Temporary {
                                children.remove(i);
                            }
                        }
                        Ok(Response::Done)
                    }
                }
            }
            Request::TerminatePid(pid) => match &mut self.children {
                Children::Static(_) => Err(SupervisorError::NotSimpleOneForOne),
                Children::Dynamic { template, running } => {
                    match running.iter().position(|d| d.pid == pid) {
                        None => Err(SupervisorError::NotFound),
                        Some(i) => {
                            let shutdown = template.shutdown;
                            running.remove(i);
                            stop_child(&mut core.inbox, &pid, shutdown).await?;
                            Ok(Response::Done)
                        }
                    }
                }
            },
            Request::RestartChild(id) => {
                let Children::Static(children) = &mut self.children else {
                    return Ok(Err(SupervisorError::SimpleOneForOne));
                };
                match find(children, &id) {
                    Err(e) => Err(e),
                    Ok(i) if children[i].pid.is_some() => Err(SupervisorError::Running),
                    Ok(i) => {
                        let spec = children[i].spec.clone();
                        match core.start(&spec, Vec::new()).await {
                            Ok(pid) => {
                                if let Ok(i) = find(children, &id) {
                                    children[i].pid = pid.clone();
                                }
                                Ok(Response::Started(pid))
                            }
                            Err(reason) => Err(SupervisorError::StartFailed(reason)),
                        }
                    }
                }
            }
            Request::DeleteChild(id) => {
                let Children::Static(children) = &mut self.children else {
                    return Ok(Err(SupervisorError::SimpleOneForOne));
                };
                match find(children, &id) {
                    Err(e) => Err(e),
                    Ok(i) if children[i].pid.is_some() => Err(SupervisorError::Running),
                    Ok(i) => {
                        children.remove(i);
                        Ok(Response::Done)
                    }
                }
            }
            Request::WhichChildren => Ok(Response::Children(self.children.which())),
            Request::CountChildren => Ok(Response::Counts(self.count_children())),
            Request::Report => Ok(Response::Report(self.report())),
            Request::Stop(_) => Ok(Response::Done), // handled by the loop before it gets here
        })
    }

    async fn start_child(&mut self, spec: ChildSpec) -> Result<Response, SupervisorError> {
        let Children::Static(children) = &mut self.children else {
            return Err(SupervisorError::SimpleOneForOne);
        };
        spec.check()?;
        if let Ok(i) = find(children, &spec.id) {
            return Err(match &children[i].pid {
                Some(pid) => SupervisorError::AlreadyStarted(pid.clone()),
                None => SupervisorError::AlreadyPresent,
            });
        }
        match self.core.start(&spec, Vec::new()).await {
            Ok(pid) => {
                if pid.is_some() || spec.restart != Restart::Temporary {
                    children.push(Child {
                        spec,
                        pid: pid.clone(),
                        restarts: 0,
                    });
                }
                Ok(Response::Started(pid))
            }
            Err(reason) => Err(SupervisorError::StartFailed(reason)),
        }
    }

    fn report(&self) -> SupervisorReport {
        SupervisorReport {
            strategy: self.core.strategy,
            intensity: self.core.intensity,
            period: self.core.period,
            restarts: self.core.restarts,
            children: self.children.reports(),
        }
    }

    /// What the inspect API's detail view shows of a supervisor.
    fn inspect(&self) -> Vec<(String, String)> {
        let report = self.report();
        let mut pairs = vec![
            ("strategy".to_string(), report.strategy.as_str().to_string()),
            (
                "intensity".to_string(),
                format!("{} in {:?}", report.intensity, report.period),
            ),
            ("restarts".to_string(), report.restarts.to_string()),
        ];
        for child in report.children {
            let id = child
                .id
                .map(|id| id.to_string())
                .unwrap_or_else(|| "(dynamic)".into());
            let pid = child
                .pid
                .map(|p| Term::Pid(p).to_string())
                .unwrap_or_else(|| "undefined".into());
            pairs.push((
                format!("child {id}"),
                format!(
                    "{pid} {} restarts={}",
                    kind_name(child.kind),
                    child.restarts
                ),
            ));
        }
        pairs
    }

    fn count_children(&self) -> ChildCounts {
        let infos = self.children.which();
        let node = &self.core.node;
        let alive = |i: &ChildInfo| matches!(&i.pid, ChildPid::Running(p) if !node.is_local(p) || node.is_alive(p));
        ChildCounts {
            specs: self.children.spec_count(),
            active: infos.iter().filter(|i| alive(i)).count(),
            supervisors: infos
                .iter()
                .filter(|i| i.kind == ChildKind::Supervisor)
                .count(),
            workers: infos.iter().filter(|i| i.kind == ChildKind::Worker).count(),
        }
    }

    /// Answers `gen_server:call(Sup, Request)` from Erlang code: `which_children` and
    /// `count_children` in OTP's shapes; anything else gets `{error, unsupported}`.
    fn term_request(&self, request: &Term) -> Term {
        if request.is_atom("which_children") {
            let list = self
                .children
                .which()
                .into_iter()
                .map(|i| {
                    Term::tuple(vec![
                        i.id.map(Term::Atom).unwrap_or(Term::atom("undefined")),
                        match i.pid {
                            ChildPid::Running(p) => Term::Pid(p),
                            ChildPid::Undefined => Term::atom("undefined"),
                        },
                        Term::atom(kind_name(i.kind)),
                        Term::list(Vec::new()),
                    ])
                })
                .collect::<Vec<_>>();
            return Term::list(list);
        }
        if request.is_atom("count_children") {
            let c = self.count_children();
            let pair = |k: &str, v: usize| Term::tuple(vec![Term::atom(k), Term::Int(v as i64)]);
            return Term::list(vec![
                pair("specs", c.specs),
                pair("active", c.active),
                pair("supervisors", c.supervisors),
                pair("workers", c.workers),
            ]);
        }
        Term::tuple(vec![Term::atom("error"), Term::atom("unsupported")])
    }
}

fn kind_name(kind: ChildKind) -> &'static str {
    match kind {
        ChildKind::Worker => "worker",
        ChildKind::Supervisor => "supervisor",
    }
}
