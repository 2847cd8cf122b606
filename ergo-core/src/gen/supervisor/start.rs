//! How a child is started: `ChildStart`, a shareable start function that spawns the child linked
//! to its supervisor and reports its pid, `ignore` (`None`) or a failure reason. Constructors for
//! gen_servers, supervisors, plain processes and custom functions. Must not supervise.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ergo_etf::{Pid, Term};

use super::{Supervisor, SupervisorSpec};
use crate::gen::server::GenServer;
use crate::node::Context;
use crate::node::SpawnError;
use crate::node::{Node, SpawnOptions};
use crate::process::{panic_message, panic_reason, CatchUnwind};

/// What a start function returns: the child's pid, `None` for `ignore`, or why it failed.
pub type StartOutcome = Result<Option<Pid>, Term>;

type StartFuture = Pin<Box<dyn Future<Output = StartOutcome> + Send>>;
type StartFn = dyn Fn(StartContext) -> StartFuture + Send + Sync;

/// What a start function gets: the node, the supervisor to link to, and the extra arguments of
/// a simple_one_for_one `start_child` (empty otherwise).
#[derive(Debug, Clone)]
pub struct StartContext {
    /// The node to start on.
    pub node: Node,
    /// The supervisor; the child must be linked to it (e.g. `SpawnOptions::link`).
    pub supervisor: Pid,
    /// Extra start arguments (simple_one_for_one).
    pub extra: Vec<Term>,
}

impl StartContext {
    /// Spawn options linking the child to the supervisor, on top of `options`.
    pub fn linked(&self, options: &SpawnOptions) -> SpawnOptions {
        SpawnOptions {
            link: Some(self.supervisor.clone()),
            ..options.clone()
        }
    }
}

/// A child's start function (OTP's `start => {M, F, A}`), cheap to clone.
#[derive(Clone)]
pub struct ChildStart {
    start: Arc<StartFn>,
}

impl std::fmt::Debug for ChildStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChildStart(..)")
    }
}

fn spawn_outcome(result: Result<Pid, SpawnError>) -> StartOutcome {
    match result {
        Ok(pid) => Ok(Some(pid)),
        Err(SpawnError::Ignored) => Ok(None),
        Err(SpawnError::InitFailed(reason)) => Err(reason),
        Err(SpawnError::NameTaken(name)) => Err(Term::tuple(vec![
            Term::atom("already_started"),
            Term::binary(name.into_bytes()),
        ])),
        Err(SpawnError::NodeStopped) => Err(Term::atom("node_stopped")),
    }
}

impl ChildStart {
    /// A custom start function. It must link the child to `StartContext::supervisor`.
    pub fn new<F, Fut>(start: F) -> ChildStart
    where
        F: Fn(StartContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = StartOutcome> + Send + 'static,
    {
        ChildStart {
            start: Arc::new(move |cx| Box::pin(start(cx)) as StartFuture),
        }
    }

    /// Runs the start function.
    /// A panic in the start function is a failed start with reason `{panic, Message}` (as OTP
    /// turns a crash in the start function into `{error, Reason}`), never a crash of the caller.
    pub async fn start(&self, cx: StartContext) -> StartOutcome {
        let future = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.start)(cx)))
            .map_err(|payload| panic_reason(&panic_message(payload.as_ref())))?;
        match CatchUnwind::new(future).await {
            Ok(outcome) => outcome,
            Err(message) => Err(panic_reason(&message)),
        }
    }

    /// Starts gen_server `S` with a clone of `args` (init runs before the start returns).
    pub fn gen_server<S: GenServer>(args: S::Args) -> ChildStart
    where
        S::Args: Clone + Sync,
    {
        ChildStart::gen_server_opts::<S>(SpawnOptions::default(), args)
    }

    /// Like [`ChildStart::gen_server`] with spawn options (e.g. a registered name).
    pub fn gen_server_opts<S: GenServer>(options: SpawnOptions, args: S::Args) -> ChildStart
    where
        S::Args: Clone + Sync,
    {
        ChildStart::new(move |cx: StartContext| {
            let options = cx.linked(&options);
            let args = args.clone();
            async move { spawn_outcome(cx.node.start_server::<S>(args, options).await) }
        })
    }

    /// Starts gen_server `S` with arguments built from the extra start arguments (for
    /// simple_one_for_one); `make` refusing them fails the start with its reason.
    pub fn gen_server_with<S, F>(make: F) -> ChildStart
    where
        S: GenServer,
        F: Fn(Vec<Term>) -> Result<S::Args, Term> + Send + Sync + 'static,
    {
        let make = Arc::new(make);
        ChildStart::new(move |cx: StartContext| {
            let make = Arc::clone(&make);
            async move {
                let args = make(cx.extra.clone())?;
                let options = cx.linked(&SpawnOptions::default());
                spawn_outcome(cx.node.start_server::<S>(args, options).await)
            }
        })
    }

    /// Starts supervisor `S` with a clone of `args` (returns once its children have started).
    pub fn supervisor<S: Supervisor>(args: S::Args) -> ChildStart
    where
        S::Args: Clone + Sync,
    {
        ChildStart::new(move |cx: StartContext| {
            let args = args.clone();
            async move {
                let options = cx.linked(&SpawnOptions::default());
                super::run::start_outcome(cx.node.start_supervisor::<S>(args, options).await)
            }
        })
    }

    /// Starts a supervisor from a spec built in plain Rust.
    pub fn supervisor_spec(spec: SupervisorSpec) -> ChildStart {
        ChildStart::new(move |cx: StartContext| {
            let spec = spec.clone();
            async move {
                let options = cx.linked(&SpawnOptions::default());
                super::run::start_outcome(cx.node.start_supervisor_spec(spec, options).await)
            }
        })
    }

    /// Spawns a plain process running `body` (its return value is its exit reason).
    pub fn process<F, Fut>(body: F) -> ChildStart
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        let body = Arc::new(body);
        ChildStart::process_with(SpawnOptions::default(), move |ctx, _extra| {
            let body = Arc::clone(&body);
            body(ctx)
        })
    }

    /// Spawns a plain process with spawn options; `body` also gets the extra start arguments.
    pub fn process_with<F, Fut>(options: SpawnOptions, body: F) -> ChildStart
    where
        F: Fn(Context, Vec<Term>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Term> + Send + 'static,
    {
        let body = Arc::new(body);
        ChildStart::new(move |cx: StartContext| {
            let options = cx.linked(&options);
            let body = Arc::clone(&body);
            let extra = cx.extra.clone();
            let result = cx
                .node
                .spawn_behaviour("supervised_process", options, move |ctx| body(ctx, extra));
            async move { spawn_outcome(result) }
        })
    }
}
