//! Functions the node provides to other nodes' `rpc` and `erpc` (`provide_rpc`), their typed
//! arguments, and applying `M:F(A)` the way `erpc:execute_call/4` does: a return, or an
//! exception whose shape is OTP's (`undef` with `[{M, F, Args, []}]` for an unknown function or
//! arity, `function_clause` when the arguments do not convert, the function's own error
//! otherwise). Built-ins: `erlang:node/0`, `erlang:nodes/0`, `erlang:processes/0`. A function
//! that does not take its process can be given its first poll wherever the call is read
//! ([`PendingCall::poll_now`]); how long those polls take decides whether it still may.
//!
//! Owns the registry and the application of a call; must not touch the wire (the SPAWN_REQUEST
//! that carries a call is `spawn_serve.rs`'s, the old `rex` protocol is `rex.rs`'s).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

use ergo_etf::{Atom, ConvertError, FromTerm, IntoTerm, Term};

use super::NetError;
use crate::fast_hash::FxHashMap;
use crate::node::Context;
use crate::node::Node;
use crate::process::{panic_message, panic_reason};

/// How a provided function fails, in Erlang's three classes: the caller sees `error:R`,
/// `exit:R` or `throw:R` (through `erpc`), or `{badrpc, {'EXIT', ...}}` / the thrown value
/// (through `rpc`).
#[derive(Clone, Debug, PartialEq)]
pub enum Exception {
    /// `erlang:error(Reason)`.
    Error(Term),
    /// `erlang:exit(Reason)`.
    Exit(Term),
    /// `erlang:throw(Value)`.
    Throw(Term),
}

impl Exception {
    /// `erlang:error(Reason)`.
    pub fn error(reason: impl IntoTerm) -> Exception {
        Exception::Error(reason.into_term())
    }

    /// `erlang:exit(Reason)`.
    pub fn exit(reason: impl IntoTerm) -> Exception {
        Exception::Exit(reason.into_term())
    }

    /// `erlang:throw(Value)`.
    pub fn throw(value: impl IntoTerm) -> Exception {
        Exception::Throw(value.into_term())
    }
}

/// The argument list of a provided function: `Vec<Term>` takes any arity as is; `()` and tuples
/// of up to 8 [`FromTerm`] types take exactly that many arguments, each converted (a call with
/// another arity is `undef`, as for an Erlang function of that arity; arguments that do not
/// convert are `function_clause`).
pub trait RpcArgs: Sized + Send + 'static {
    /// The arity, or `None` for any.
    const ARITY: Option<usize>;
    /// Reads the arguments (their count is already checked against [`RpcArgs::ARITY`]).
    fn from_args(args: Vec<Term>) -> Result<Self, ConvertError>;
}

impl RpcArgs for Vec<Term> {
    const ARITY: Option<usize> = None;
    fn from_args(args: Vec<Term>) -> Result<Self, ConvertError> {
        Ok(args)
    }
}

impl RpcArgs for () {
    const ARITY: Option<usize> = Some(0);
    fn from_args(_args: Vec<Term>) -> Result<Self, ConvertError> {
        Ok(())
    }
}

macro_rules! rpc_args_tuple {
    ($arity:literal: $($name:ident),+) => {
        impl<$($name: FromTerm + Send + 'static),+> RpcArgs for ($($name,)+) {
            const ARITY: Option<usize> = Some($arity);
            fn from_args(args: Vec<Term>) -> Result<Self, ConvertError> {
                <($($name,)+)>::from_term(Term::Tuple(args))
            }
        }
    };
}

rpc_args_tuple!(1: A);
rpc_args_tuple!(2: A, B);
rpc_args_tuple!(3: A, B, C);
rpc_args_tuple!(4: A, B, C, D);
rpc_args_tuple!(5: A, B, C, D, E);
rpc_args_tuple!(6: A, B, C, D, E, F);
rpc_args_tuple!(7: A, B, C, D, E, F, G);
rpc_args_tuple!(8: A, B, C, D, E, F, G, H);

type RpcFuture = Pin<Box<dyn Future<Output = Result<Term, Exception>> + Send>>;

/// A provided function that takes its process, type-erased: `None` when the arguments do not
/// convert.
type ContextFn = dyn Fn(Context, Vec<Term>) -> Option<RpcFuture> + Send + Sync;

/// A provided function, type-erased.
#[derive(Clone)]
enum Handler {
    /// One that does not take its process ([`Node::provide_rpc`]).
    Plain(Arc<PlainFn>),
    /// One that takes the [`Context`] of the process running the call.
    WithContext(Arc<ContextFn>),
}

/// A first poll shorter than this, on average, is run where the request is read, without a
/// process (see [`PendingCall::poll_now`]).
const FIRST_POLL_HERE_NS: u32 = 100_000;

/// A waker that does nothing, for a first poll that has no task to wake
/// (`std::task::Waker::noop` needs Rust 1.85).
static NOOP_WAKER: LazyLock<Waker> = LazyLock::new(|| Waker::from(Arc::new(NoWake)));

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// A provided function that does not take its process, and how long its first poll takes.
struct PlainFn {
    /// The function, type-erased: `None` when the arguments do not convert.
    call: Box<dyn Fn(Vec<Term>) -> Option<RpcFuture> + Send + Sync>,
    /// Moving average of the first poll's duration in nanoseconds (each call weighs 1/8).
    first_poll_ns: AtomicU32,
}

impl PlainFn {
    fn record_first_poll(&self, took: Duration) {
        let sample = u32::try_from(took.as_nanos()).unwrap_or(u32::MAX);
        let average = self.first_poll_ns.load(Ordering::Relaxed);
        let next = average - average / 8 + sample / 8;
        self.first_poll_ns.store(next, Ordering::Relaxed);
    }
}

struct Provided {
    arity: Option<usize>,
    handler: Handler,
}

/// The functions this node provides, by module and function (one entry per arity).
#[derive(Default)]
pub(crate) struct RpcRegistry {
    functions: RwLock<FxHashMap<(Atom, Atom), Vec<Provided>>>,
}

impl RpcRegistry {
    fn insert(&self, module: Atom, function: Atom, arity: Option<usize>, handler: Handler) {
        let mut functions = self.functions.write().unwrap_or_else(|p| p.into_inner());
        let entries = functions.entry((module, function)).or_default();
        entries.retain(|p| p.arity != arity);
        entries.push(Provided { arity, handler });
    }

    fn remove(&self, module: &Atom, function: &Atom) -> bool {
        self.functions
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(module.clone(), function.clone()))
            .is_some()
    }

    fn find(&self, module: &Atom, function: &Atom, arity: usize) -> Option<Handler> {
        let functions = self.functions.read().unwrap_or_else(|p| p.into_inner());
        let entries = functions.get(&(module.clone(), function.clone()))?;
        entries
            .iter()
            .find(|p| p.arity == Some(arity))
            .or_else(|| entries.iter().find(|p| p.arity.is_none()))
            .map(|p| p.handler.clone())
    }
}

/// What applying `M:F(A)` came to, as `erpc:execute_call/4` tells it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// The function returned.
    Return(Term),
    /// It threw.
    Throw(Term),
    /// It exited.
    Exit(Term),
    /// It raised an error, with the stack the caller sees.
    Error {
        /// The reason.
        reason: Term,
        /// `[{M, F, ArgsOrArity, []}]`.
        stack: Term,
    },
}

impl Outcome {
    /// The exit reason of an `erpc:execute_call/4` process: `{Ref, return, V}`, `{Ref, throw,
    /// T}`, `{Ref, exit, R}` or `{Ref, error, R, Stack}`.
    pub(crate) fn into_erpc_reason(self, reference: Term) -> Term {
        match self {
            Outcome::Return(value) => Term::tuple(vec![reference, Term::atom("return"), value]),
            Outcome::Throw(value) => Term::tuple(vec![reference, Term::atom("throw"), value]),
            Outcome::Exit(reason) => Term::tuple(vec![reference, Term::atom("exit"), reason]),
            Outcome::Error { reason, stack } => {
                Term::tuple(vec![reference, Term::atom("error"), reason, stack])
            }
        }
    }
}

fn frame(module: &Atom, function: &Atom, args_or_arity: Term) -> Term {
    Term::list(vec![Term::tuple(vec![
        Term::Atom(module.clone()),
        Term::Atom(function.clone()),
        args_or_arity,
        Term::nil(),
    ])])
}

/// A provided function about to run, or running.
pub(crate) enum PendingCall {
    /// Started: its future, which needs no process of its own.
    Running(RunningCall),
    /// A function that takes its process, not yet started.
    NeedsProcess {
        handler: Arc<ContextFn>,
        module: Atom,
        function: Atom,
        args: Vec<Term>,
    },
}

/// A provided function's future, with what its outcome needs to name it: a panic in it is
/// `error:{panic, Message}`, as from a process.
pub(crate) struct RunningCall {
    future: RpcFuture,
    module: Atom,
    function: Atom,
    arity: usize,
    /// The function whose first-poll time this call is still to add to (until its first poll).
    untimed: Option<Arc<PlainFn>>,
}

impl Future for RunningCall {
    type Output = Outcome;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Outcome> {
        let timing = self.untimed.take().map(|f| (f, Instant::now()));
        let polled = catch_unwind(AssertUnwindSafe(|| self.future.as_mut().poll(cx)));
        if let Some((f, started)) = timing {
            f.record_first_poll(started.elapsed());
        }
        let stack = || frame(&self.module, &self.function, Term::Int(self.arity as i64));
        Poll::Ready(match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(value))) => Outcome::Return(value),
            Ok(Poll::Ready(Err(Exception::Throw(value)))) => Outcome::Throw(value),
            Ok(Poll::Ready(Err(Exception::Exit(reason)))) => Outcome::Exit(reason),
            Ok(Poll::Ready(Err(Exception::Error(reason)))) => Outcome::Error {
                reason,
                stack: stack(),
            },
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                tracing::warn!(
                    module = %self.module,
                    function = %self.function,
                    panic = %message,
                    "provided function panicked"
                );
                Outcome::Error {
                    reason: panic_reason(&message),
                    stack: stack(),
                }
            }
        })
    }
}

impl PendingCall {
    /// Gives a call of a function that does not take its process its first poll here and now,
    /// without a waker, unless that function's first polls have taken 100 us or more on
    /// average: its outcome if it finished without waiting. A call that waits is polled again
    /// by whoever runs it next, which registers that task's waker, so no wake-up is lost.
    pub(crate) fn poll_now(&mut self) -> Option<Outcome> {
        match self {
            PendingCall::Running(call)
                if call.untimed.as_ref().is_some_and(|f| {
                    f.first_poll_ns.load(Ordering::Relaxed) < FIRST_POLL_HERE_NS
                }) =>
            {
                let mut cx = std::task::Context::from_waker(&NOOP_WAKER);
                match Pin::new(call).poll(&mut cx) {
                    Poll::Ready(outcome) => Some(outcome),
                    Poll::Pending => None,
                }
            }
            PendingCall::Running(_) | PendingCall::NeedsProcess { .. } => None,
        }
    }

    /// Runs the call to its end in the process `ctx`.
    pub(crate) async fn run(self, ctx: Context) -> Outcome {
        let call = match self {
            PendingCall::Running(call) => call,
            PendingCall::NeedsProcess {
                handler,
                module,
                function,
                args,
            } => match started(handler(ctx, args.clone()), None, module, function, args) {
                Ok(call) => call,
                Err(outcome) => return outcome,
            },
        };
        call.await
    }
}

/// A handler's future as a started call, or `function_clause` when it refused the arguments.
fn started(
    future: Option<RpcFuture>,
    untimed: Option<Arc<PlainFn>>,
    module: Atom,
    function: Atom,
    args: Vec<Term>,
) -> Result<RunningCall, Outcome> {
    match future {
        Some(future) => Ok(RunningCall {
            future,
            arity: args.len(),
            module,
            function,
            untimed,
        }),
        None => Err(Outcome::Error {
            reason: Term::atom("function_clause"),
            stack: frame(&module, &function, Term::list(args)),
        }),
    }
}

/// Looks up `module:function/N` for `args`, and starts it if it needs no process of its own:
/// `Err` with the outcome when that is known without running anything (an unknown function,
/// arguments that do not convert, a built-in).
fn lookup(
    node: &Node,
    module: Atom,
    function: Atom,
    args: Vec<Term>,
) -> Result<PendingCall, Outcome> {
    let arity = args.len();
    let handler = node
        .net_manager()
        .and_then(|net| net.rpc.find(&module, &function, arity));
    match handler {
        None => Err(
            match super::builtins::call(node, &module, &function, &args) {
                Some(Ok(value)) => Outcome::Return(value),
                Some(Err(reason)) => Outcome::Error {
                    reason,
                    stack: frame(&module, &function, Term::list(args)),
                },
                None => Outcome::Error {
                    reason: Term::atom("undef"),
                    stack: frame(&module, &function, Term::list(args)),
                },
            },
        ),
        Some(Handler::Plain(handler)) => {
            let future = (handler.call)(args.clone());
            started(future, Some(handler), module, function, args).map(PendingCall::Running)
        }
        Some(Handler::WithContext(handler)) => Ok(PendingCall::NeedsProcess {
            handler,
            module,
            function,
            args,
        }),
    }
}

/// Looks the call up and gives it its first poll here ([`PendingCall::poll_now`]): its outcome
/// when it needs nothing more (most calls), or the call, for a process to run.
pub(crate) fn start(
    node: &Node,
    module: Atom,
    function: Atom,
    args: Vec<Term>,
) -> Result<PendingCall, Outcome> {
    let mut call = lookup(node, module, function, args)?;
    match call.poll_now() {
        Some(outcome) => Err(outcome),
        None => Ok(call),
    }
}

/// Applies `module:function(args)` in the process `ctx` (which the function may use as its
/// own), catching panics (`error:{panic, Message}`).
pub(crate) async fn apply(ctx: Context, module: Atom, function: Atom, args: Vec<Term>) -> Outcome {
    match lookup(ctx.node(), module, function, args) {
        Ok(call) => call.run(ctx).await,
        Err(outcome) => outcome,
    }
}

fn names(module: &str, function: &str) -> Result<(Atom, Atom), NetError> {
    let module = Atom::try_new(module).ok_or_else(|| NetError::NotAnAtom {
        what: "module",
        text: module.to_string(),
    })?;
    let function = Atom::try_new(function).ok_or_else(|| NetError::NotAnAtom {
        what: "function",
        text: function.to_string(),
    })?;
    Ok((module, function))
}

impl Node {
    /// Provides `module:function/N` to other nodes' `rpc:call`, `rpc:cast`, `rpc:multicall`,
    /// `erpc:call`, `erpc:cast` and `erpc:multicall`. `N` comes from the argument type `A` (a
    /// tuple of [`FromTerm`] types, `()`, or `Vec<Term>` for any arity). `Err` raises the
    /// [`Exception`] in the caller, and a panic is `error:{panic, Message}`.
    ///
    /// Each call behaves as a fresh process per call does in Erlang, and needs one only if it
    /// waits: `erpc`, `spawn_request` and `rex` calls get their first poll where the request is
    /// read, and a call that finishes there is answered at once (for `erpc`, its pid in
    /// SPAWN_REPLY is one no process ever has, as of a process that ended straight away); a
    /// call that waits goes on in a process of its own. A function whose first poll takes
    /// 100 us or more on average gets it in the process too, so that heavy work does not hold
    /// up the connection (long computation still belongs in `tokio::task::spawn_blocking`, as
    /// in any async code). On the `rpc-erlang-to-rust` benchmark this cut the node's CPU time
    /// per call by about two-fifths (`docs/benchmarks-node.md`).
    ///
    /// Providing the same name and arity again replaces the function. A function that needs
    /// the node should get it from its process ([`Node::provide_rpc_with_context`]) rather than
    /// capture a `Node` clone, which the node's own registry would then keep alive until
    /// [`Node::stop`].
    ///
    /// ```no_run
    /// # fn demo(node: &ergo_core::Node) -> Result<(), ergo_core::NetError> {
    /// use ergo_core::net::Exception;
    /// // rpc:call(Node, math2, add, [1, 2]) -> 3
    /// node.provide_rpc("math2", "add", |(a, b): (i64, i64)| async move {
    ///     a.checked_add(b).ok_or(Exception::error(ergo_etf::Term::atom("badarith")))
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn provide_rpc<A, R, F, Fut>(
        &self,
        module: &str,
        function: &str,
        f: F,
    ) -> Result<(), NetError>
    where
        A: RpcArgs,
        R: IntoTerm + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, Exception>> + Send + 'static,
    {
        let net = self.net()?;
        let registry = &net.rpc;
        let (module, function) = names(module, function)?;
        let handler = PlainFn {
            call: Box::new(move |args: Vec<Term>| {
                let future = f(A::from_args(args).ok()?);
                Some(Box::pin(async move { future.await.map(IntoTerm::into_term) }) as RpcFuture)
            }),
            first_poll_ns: AtomicU32::new(0),
        };
        registry.insert(
            module,
            function,
            A::ARITY,
            Handler::Plain(Arc::new(handler)),
        );
        Ok(())
    }

    /// Like [`Node::provide_rpc`], for a function that also gets the [`Context`] of the process
    /// running the call (to send, call or link as that process, or to reach the node). Every
    /// call of such a function runs in a process of its own from the start.
    pub fn provide_rpc_with_context<A, R, F, Fut>(
        &self,
        module: &str,
        function: &str,
        f: F,
    ) -> Result<(), NetError>
    where
        A: RpcArgs,
        R: IntoTerm + 'static,
        F: Fn(Context, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, Exception>> + Send + 'static,
    {
        let net = self.net()?;
        let registry = &net.rpc;
        let (module, function) = names(module, function)?;
        let handler = Arc::new(move |ctx: Context, args: Vec<Term>| {
            let future = f(ctx, A::from_args(args).ok()?);
            Some(Box::pin(async move { future.await.map(IntoTerm::into_term) }) as RpcFuture)
        });
        registry.insert(module, function, A::ARITY, Handler::WithContext(handler));
        Ok(())
    }

    /// Withdraws every arity of `module:function`: later calls get `undef`. True if something
    /// was provided under that name.
    pub fn revoke_rpc(&self, module: &str, function: &str) -> bool {
        match (self.net_manager(), names(module, function)) {
            (Some(net), Ok((module, function))) => net.rpc.remove(&module, &function),
            _ => false,
        }
    }
}
