//! `GenServerKit`: one gen_server under test on a private local node, its effects watched. The
//! test starts it with its args, then calls, casts, sends infos and exit signals, and steps
//! tokio's paused time; after each step the kit waits until the server has handled it (a
//! `sys:get_state` request queued behind the step), records the reply or the stop, and fails
//! on a call nobody mocked. Owns the driving; the recording is `recorder.rs`, the assertions
//! `expect.rs`.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ergo_core::{Effect, GenServer};
use tokio::sync::{mpsc, oneshot};
use tracing::Level;

use super::expect::{all_claimed, listing, CallExpect, Expect, Kind};
use super::logs::{LogCapture, LogEvent, LogExpect, Scope};
use super::recorder::{lock, Mock, Recorder};
use crate::{Context, Dest, IntoTerm, Node, NodeOptions, Pid, SpawnError, SpawnOptions, Term};

/// How long a call from the kit may wait for its reply (virtual time, when paused).
const CALL_TIMEOUT: Duration = Duration::from_secs(365 * 86_400);

/// What the kit asks of its helper process: wait until the server has handled everything sent
/// before, and answer its state, or why it is gone.
type SyncRequest = oneshot::Sender<Result<Term, Term>>;

/// One `#[gen_server]` (any [`GenServer`]) under test, with no node to set up: see the
/// [module docs](super). The driving and the assertions are [`ProcessKit`]'s (it derefs to it).
pub struct GenServerKit<S: GenServer> {
    kit: ProcessKit,
    _server: PhantomData<fn() -> S>,
}

/// What every kit does to its one process: drives it (`call`, `cast`, `info`, `exit`,
/// `advance`), records its effects and asserts them (`should_send`...). [`GenServerKit`] and
/// [`StageKit`](super::StageKit) deref to it.
pub struct ProcessKit {
    node: Node,
    /// The kit's helper process (also the fake peer of a stage's subscriptions).
    helper_pid: Pid,
    pid: Pid,
    recorder: Arc<Recorder>,
    helper: mpsc::UnboundedSender<SyncRequest>,
    stopped: Option<Term>,
    /// The kit's calls still waiting for a reply, polled after every step (never spawned: a
    /// reply handed over during a step is seen by the poll that follows it, on any runtime).
    pending: Vec<PendingCall>,
    /// The tracing events logged on the test thread while the kit lives.
    logs: LogCapture,
}

type PendingCall = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl<S: GenServer> std::fmt::Debug for GenServerKit<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenServerKit")
            .field("server", &std::any::type_name::<S>())
            .field("pid", &Term::Pid(self.kit.pid.clone()).to_string())
            .finish()
    }
}

pub(super) fn kit_node_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("kit_{}_{n}@localhost", std::process::id())
}

/// The helper: monitors the server and answers sync requests, in the order they come.
async fn helper(
    mut ctx: Context,
    server: oneshot::Receiver<Pid>,
    mut requests: mpsc::UnboundedReceiver<SyncRequest>,
) -> Term {
    let Ok(server) = server.await else {
        return Term::atom("normal");
    };
    let watch = ctx.monitor(server.clone());
    let mut gone: Option<Term> = None;
    while let Some(answer) = requests.recv().await {
        if let Some(reason) = &gone {
            let _ = answer.send(Err(reason.clone()));
            continue;
        }
        let tag = Term::Reference(ctx.node().make_ref());
        let from = Term::tuple(vec![Term::Pid(ctx.pid().clone()), tag.clone()]);
        let request = Term::tuple(vec![Term::atom("system"), from, Term::atom("get_state")]);
        let _ = ctx.send(server.clone(), request);
        loop {
            let Ok(term) = ctx.recv_term().await else {
                return Term::atom("normal");
            };
            match term.as_tuple() {
                Some([t, state]) if *t == tag => {
                    let _ = answer.send(Ok(state.clone()));
                    break;
                }
                Some([down, r, _, _, reason])
                    if down.is_atom("DOWN") && *r == Term::Reference(watch.clone()) =>
                {
                    gone = Some(reason.clone());
                    let _ = answer.send(Err(reason.clone()));
                    break;
                }
                _ => {}
            }
        }
    }
    Term::atom("normal")
}

impl<S: GenServer> GenServerKit<S> {
    /// Starts the server with `args` on a private local node and waits for its `init`. What
    /// `init` did is recorded like any other effect. Time is tokio's: under
    /// `#[tokio::test(start_paused = true)]` [`ProcessKit::advance`] steps it.
    pub async fn start(args: S::Args) -> Result<GenServerKit<S>, SpawnError> {
        let kit = ProcessKit::start(std::any::type_name::<S>(), move |node| async move {
            node.start_server::<S>(args, SpawnOptions::default()).await
        })
        .await?;
        Ok(GenServerKit {
            kit,
            _server: PhantomData,
        })
    }
}

impl<S: GenServer> std::ops::Deref for GenServerKit<S> {
    type Target = ProcessKit;
    fn deref(&self) -> &ProcessKit {
        &self.kit
    }
}

impl<S: GenServer> std::ops::DerefMut for GenServerKit<S> {
    fn deref_mut(&mut self) -> &mut ProcessKit {
        &mut self.kit
    }
}

impl std::fmt::Debug for ProcessKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessKit")
            .field("pid", &Term::Pid(self.pid.clone()).to_string())
            .finish()
    }
}

impl ProcessKit {
    /// Starts a private local node with the kit's observer, and on it the process `start`
    /// spawns (its behaviour named `behaviour`: that spawn makes it the watched process);
    /// waits until it has handled its start.
    pub(super) async fn start<F, Fut>(
        behaviour: &'static str,
        start: F,
    ) -> Result<ProcessKit, SpawnError>
    where
        F: FnOnce(Node) -> Fut,
        Fut: std::future::Future<Output = Result<Pid, SpawnError>>,
    {
        let logs = LogCapture::install();
        let node = Node::start(&kit_node_name(), NodeOptions::default())
            .await
            .map_err(|e| SpawnError::InitFailed(Term::binary(e.to_string().into_bytes())))?;
        let (server_tx, server_rx) = oneshot::channel();
        let (helper_tx, helper_rx) = mpsc::unbounded_channel();
        let helper_pid = node.spawn(SpawnOptions::default(), move |ctx| {
            helper(ctx, server_rx, helper_rx)
        })?;
        let recorder = Arc::new(Recorder::default());
        *lock(&recorder.server_behaviour) = Some(behaviour);
        node.observe_effects(Arc::clone(&recorder) as Arc<dyn ergo_core::EffectObserver>);
        let pid = start(node.clone()).await?;
        let _ = server_tx.send(pid.clone());
        let mut kit = ProcessKit {
            node,
            helper_pid,
            pid,
            recorder,
            helper: helper_tx,
            stopped: None,
            pending: Vec::new(),
            logs,
        };
        kit.settle().await;
        Ok(kit)
    }

    /// The server's pid.
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// The kit's own process: a stage kit's fake producer and consumer.
    pub(super) fn helper_pid(&self) -> &Pid {
        &self.helper_pid
    }

    /// The private node the server runs on.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Calls the server with `request` and returns its reply, if it replied by the time it had
    /// handled the call (a reply sent later is recorded when it comes: see `should_reply`).
    pub async fn call(&mut self, request: impl IntoTerm + Send + 'static) -> Option<Term> {
        let (tx, mut rx) = oneshot::channel();
        let node = self.node.clone();
        let pid = self.pid.clone();
        let recorder = Arc::clone(&self.recorder);
        let request = request.into_term();
        // The call goes out before the sync request that follows it (both are queued in order).
        let call = async move {
            let reply = node.call_timeout::<Term>(pid, request, CALL_TIMEOUT).await;
            if let Ok(reply) = &reply {
                recorder.push(Effect::Reply(reply.clone()));
            }
            let _ = tx.send(reply);
        };
        let mut call: PendingCall = Box::pin(call);
        // Polled once, the request is in the mailbox, ahead of the sync request of the settle.
        if !poll_once(&mut call).await {
            self.pending.push(call);
        }
        self.settle().await;
        match rx.try_recv() {
            Ok(Ok(reply)) => Some(reply),
            _ => None,
        }
    }

    /// Casts `request` to the server and waits until it has handled it.
    pub async fn cast(&mut self, request: impl IntoTerm + Send + 'static) {
        if let Err(error) = self.node.cast(self.pid.clone(), request) {
            panic!("cast to the server under test: {error}");
        }
        self.settle().await;
    }

    /// Sends `message` to the server (its `handle_info`) and waits until it has handled it.
    pub async fn info(&mut self, message: impl IntoTerm + Send + 'static) {
        if let Err(error) = self.node.send(self.pid.clone(), message) {
            panic!("send to the server under test: {error}");
        }
        self.settle().await;
    }

    /// Sends the server an exit signal with `reason` (from outside any process, as `exit/2`
    /// from the shell) and waits until it has handled it or ended.
    pub async fn exit(&mut self, reason: impl IntoTerm) {
        self.node.send_exit(&self.pid, reason.into_term());
        self.settle().await;
    }

    /// Lets `by` of tokio's time pass (timers due by then fire in order: `send_after`,
    /// timeouts, timers set by timers) and waits until the server has handled what they sent.
    /// Under `#[tokio::test(start_paused = true)]` that takes no real time.
    pub async fn advance(&mut self, by: Duration) {
        // A sleep, not one `tokio::time::advance` jump: the paused runtime then moves from
        // timer to timer, so a timer set by a timer that fired (a tick every second) fires too.
        tokio::time::sleep(by).await;
        // Timers due at the very end were woken with this task: let them send first.
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        self.settle().await;
    }

    /// The server's state as `sys:get_state` shows it ([`GenServer::format_state`]); panics
    /// when it has stopped.
    pub async fn state(&mut self) -> Term {
        match self.sync().await {
            Ok(state) => state,
            Err(reason) => panic!("the server has stopped ({reason}): no state"),
        }
    }

    /// Answers the server's calls to `to` with `answer` (a mocked peer, local or remote, by
    /// name or pid): `None` leaves a request unexpected, which fails the test.
    pub fn mock_peer(
        &self,
        to: impl Into<Dest>,
        answer: impl Fn(&Term) -> Option<Term> + Send + Sync + 'static,
    ) {
        lock(&self.recorder.mocks).push(Mock::Peer {
            to: to.into(),
            answer: Box::new(answer),
        });
    }

    /// Messages the server sent (`ctx.send`): narrow with `to`, `message`; count with `once`...
    pub fn should_send(&self) -> Expect {
        self.expect(Kind::Send)
    }

    /// Timers the server set (`send_after`, `send_self_after`).
    pub fn should_send_after(&self) -> Expect {
        self.expect(Kind::SendAfter)
    }

    /// Casts the server made.
    pub fn should_cast(&self) -> Expect {
        self.expect(Kind::Cast)
    }

    /// The server's calls to `to` with `request`: `respond_with(answer)` before the call is
    /// made mocks the answer; `once()` after checks it was made.
    pub fn should_call(&self, to: impl Into<Dest>, request: impl IntoTerm) -> CallExpect {
        CallExpect::new(Arc::clone(&self.recorder), to.into(), request.into_term())
    }

    /// Processes spawned on the kit's node (by the server): narrow with `named`.
    pub fn should_spawn(&self) -> Expect {
        self.expect(Kind::Spawn)
    }

    /// Links the server made (narrow with `to(pid)`).
    pub fn should_link(&self) -> Expect {
        self.expect(Kind::Link)
    }

    /// Monitors the server set (narrow with `to(dest)`).
    pub fn should_monitor(&self) -> Expect {
        self.expect(Kind::Monitor)
    }

    /// Exit signals the server sent (narrow with `to(pid)`, `message(reason)`).
    pub fn should_exit(&self) -> Expect {
        self.expect(Kind::Exit)
    }

    /// Replies to the kit's calls (narrow with `message(value)`).
    pub fn should_replies(&self) -> Expect {
        self.expect(Kind::Reply)
    }

    /// The server replied `value` to a call of the kit's, once.
    #[track_caller]
    pub fn should_reply(&self, value: impl IntoTerm) {
        self.expect(Kind::Reply).message(value).once()
    }

    /// Tracing events the process under test logged at `level` (narrow with `containing`,
    /// `field`; count with `once`...). They are captured on the test thread (the kit sets its
    /// subscriber as the thread's default while it lives; events still reach the one set
    /// before): run the test on tokio's current-thread runtime, `#[tokio::test]`'s default.
    pub fn should_log(&self, level: Level) -> LogExpect {
        let pid = Term::Pid(self.pid.clone()).to_string();
        LogExpect::new(Arc::clone(&self.logs.events), Scope::Process(pid), level)
    }

    /// Every tracing event captured so far on the test thread while the kit lives (any
    /// process's, and the kit's node's own).
    pub fn logs(&self) -> Vec<LogEvent> {
        lock(&self.logs.events)
            .iter()
            .map(|(event, _)| event.clone())
            .collect()
    }

    /// The server stopped with `reason`.
    #[track_caller]
    pub fn should_stop(&self, reason: impl IntoTerm) {
        self.expect(Kind::Stop).message(reason).once()
    }

    /// Every effect recorded has been claimed by an assertion; panics listing the others.
    #[track_caller]
    pub fn no_more_effects(&self) {
        all_claimed(&self.recorder)
    }

    /// Whether (and why) the server has stopped.
    pub fn stopped(&self) -> Option<&Term> {
        self.stopped.as_ref()
    }

    pub(super) fn recorder(&self) -> &Arc<Recorder> {
        &self.recorder
    }

    fn expect(&self, kind: Kind) -> Expect {
        Expect::new(Arc::clone(&self.recorder), kind)
    }

    async fn sync(&mut self) -> Result<Term, Term> {
        let (tx, rx) = oneshot::channel();
        if self.helper.send(tx).is_err() {
            return Err(Term::atom("noproc"));
        }
        rx.await.unwrap_or_else(|_| Err(Term::atom("noproc")))
    }

    /// Waits until the server has handled everything sent so far; records its stop; fails on
    /// calls nobody mocked.
    pub(super) async fn settle(&mut self) {
        let synced = self.sync().await;
        // Replies handed over before the server answered the sync request are recorded before
        // its stop.
        let mut still_pending = Vec::new();
        for mut call in std::mem::take(&mut self.pending) {
            if !poll_once(&mut call).await {
                still_pending.push(call);
            }
        }
        self.pending = still_pending;
        if let Err(reason) = synced {
            if self.stopped.is_none() {
                self.recorder.push(Effect::Stop(reason.clone()));
                self.stopped = Some(reason);
            }
        }
        let unexpected: Vec<String> = std::mem::take(&mut *lock(&self.recorder.unexpected));
        if !unexpected.is_empty() {
            panic!(
                "{}\neffects so far:\n{}",
                unexpected.join("\n"),
                listing(&self.recorder)
            );
        }
    }
}

impl Drop for ProcessKit {
    fn drop(&mut self) {
        self.node.stop();
    }
}

/// Polls `future` once; true when it completed.
async fn poll_once<F: std::future::Future + Unpin>(future: &mut F) -> bool {
    std::future::poll_fn(|cx| match std::pin::Pin::new(&mut *future).poll(cx) {
        std::task::Poll::Ready(_) => std::task::Poll::Ready(true),
        std::task::Poll::Pending => std::task::Poll::Ready(false),
    })
    .await
}
