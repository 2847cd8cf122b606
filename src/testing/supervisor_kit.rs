//! Supervisors under test: `SupervisorPlan` reads a `#[supervisor]`'s declaration (its `init`:
//! strategy, intensity, period, children in order with their restart types) without starting
//! anything; `SupervisorKit` starts the tree on a private node, kills or signals a child by id
//! and tells which children came back under a new pid (`should_restart`), how many times
//! (`should_restart_times`, from the supervisor's `child restarted` events), whether the
//! supervisor gave up (`should_stop`), and what the children did (sends, links, spawns...:
//! recorded through the node's effect observer, which lets them through), in tokio's (paused)
//! time. Owns those; must not change how a supervisor supervises.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ergo_core::gen::supervisor::{ChildPid, SupervisorRef};
use ergo_core::{CallError, Effect, EffectObserver};
use tokio::sync::oneshot;
use tracing::Level;

use super::expect::{all_claimed, Expect, Kind};
use super::kit::kit_node_name;
use super::logs::{LogCapture, LogExpect, Scope};
use super::recorder::{lock, Recorder};
use crate::{
    Atom, ChildKind, Context, Dest, IntoTerm, Node, NodeOptions, Pid, Restart, SpawnOptions,
    Strategy, Supervisor, SupervisorError, SupervisorSpec, Term,
};

/// A supervisor's declaration as its `init` returns it, read without starting any child.
#[derive(Debug)]
pub struct SupervisorPlan {
    spec: SupervisorSpec,
}

impl SupervisorPlan {
    /// Runs `S::init(args)` (no process is started, no child's start runs) and checks the spec
    /// as a start would (unique ids, valid children...).
    pub fn of<S: Supervisor>(args: S::Args) -> Result<SupervisorPlan, SupervisorError> {
        let spec = S::init(args).map_err(SupervisorError::InitFailed)?;
        spec.check()?;
        Ok(SupervisorPlan { spec })
    }

    /// The spec itself.
    pub fn spec(&self) -> &SupervisorSpec {
        &self.spec
    }

    /// The children's ids, in start order.
    pub fn ids(&self) -> Vec<&str> {
        self.spec.children.iter().map(|c| c.id.as_str()).collect()
    }

    /// The strategy is `strategy`, with at most `intensity` restarts in `period`.
    #[track_caller]
    pub fn should_have_flags(&self, strategy: Strategy, intensity: u32, period: Duration) {
        let got = (self.spec.strategy, self.spec.intensity, self.spec.period);
        if got != (strategy, intensity, period) {
            panic!(
                "expected {} with intensity {intensity} in {period:?}, the declaration has {} with intensity {} in {:?}",
                strategy.as_str(),
                got.0.as_str(),
                got.1,
                got.2
            );
        }
    }

    /// The children are `ids`, in this order.
    #[track_caller]
    pub fn should_have_children(&self, ids: &[&str]) {
        if self.ids() != ids {
            panic!(
                "expected the children {ids:?} in this order, the declaration has {:?}",
                self.ids()
            );
        }
    }

    /// The child `id` is a `kind` with restart type `restart`.
    #[track_caller]
    pub fn should_have_child(&self, id: &str, kind: ChildKind, restart: Restart) {
        let Some(child) = self.spec.children.iter().find(|c| c.id.as_str() == id) else {
            panic!("no child {id} in the declaration: {:?}", self.ids());
        };
        if (child.kind, child.restart) != (kind, restart) {
            panic!(
                "expected child {id} to be a {kind:?} {restart:?}, it is a {:?} {:?}",
                child.kind, child.restart
            );
        }
    }
}

/// How many times the kit looks for the supervisor to have handled a child's exit (each look
/// after a millisecond of tokio's time, virtual when paused) before failing the test.
const SETTLE_LOOKS: u32 = 60_000;

/// The observer of a tree under test: records what every process on the kit's node does but
/// the supervisor and the kit's watcher (spawns on the node included), and lets it all through.
struct TreeObserver {
    recorder: Arc<Recorder>,
    /// The kit's own processes and the supervisor, whose effects are not the children's.
    ignored: Mutex<Vec<Pid>>,
}

impl EffectObserver for TreeObserver {
    fn watches(&self, pid: &Pid) -> bool {
        !lock(&self.ignored).contains(pid)
    }

    fn record(&self, from: Option<&Pid>, effect: Effect) {
        if let Effect::Spawn { pid, .. } = &effect {
            if lock(&self.ignored).contains(pid) {
                return;
            }
        }
        self.recorder.push_from(from, effect);
    }

    fn answer_call(&self, _from: &Pid, _to: &Dest, _request: &Term) -> Result<Term, CallError> {
        // Not asked: the observer lets calls through to their real peers.
        Err(CallError::Down(Term::atom("noproc")))
    }

    fn passes_through(&self) -> bool {
        true
    }
}

/// One `#[supervisor]` (any [`Supervisor`]) and its tree, started on a private node: see the
/// [module docs](super).
pub struct SupervisorKit<S: Supervisor> {
    node: Node,
    pid: Pid,
    supervisor: SupervisorRef,
    /// What the children did (and the node's spawns).
    recorder: Arc<Recorder>,
    /// The tracing events of the test thread, the supervisor's `child restarted` among them.
    logs: LogCapture,
    /// How many events had been captured when the last step began.
    step_start: usize,
    /// The children's pids before and after the last step.
    before: HashMap<Atom, Option<Pid>>,
    after: HashMap<Atom, Option<Pid>>,
    /// Why the supervisor ended, once it has.
    down: Option<oneshot::Receiver<Term>>,
    stopped: Option<Term>,
    _supervisor: PhantomData<fn() -> S>,
}

impl<S: Supervisor> std::fmt::Debug for SupervisorKit<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupervisorKit")
            .field("supervisor", &std::any::type_name::<S>())
            .field("pid", &Term::Pid(self.pid.clone()).to_string())
            .finish()
    }
}

/// Monitors the supervisor and hands over why it ended.
async fn watcher(
    mut ctx: Context,
    supervisor: oneshot::Receiver<Pid>,
    down: oneshot::Sender<Term>,
) -> Term {
    let Ok(supervisor) = supervisor.await else {
        return Term::atom("normal");
    };
    let watch = Term::Reference(ctx.monitor(supervisor));
    loop {
        let Ok(term) = ctx.recv_term().await else {
            return Term::atom("normal");
        };
        if let Some([tag, r, _, _, reason]) = term.as_tuple() {
            if tag.is_atom("DOWN") && *r == watch {
                let _ = down.send(reason.clone());
                return Term::atom("normal");
            }
        }
    }
}

impl<S: Supervisor> SupervisorKit<S> {
    /// Starts the supervisor with `args` and its children on a private local node (the test
    /// sets up none) and waits until all have started.
    pub async fn start(args: S::Args) -> Result<SupervisorKit<S>, SupervisorError> {
        let logs = LogCapture::install();
        let node = Node::start(&kit_node_name(), NodeOptions::default())
            .await
            .map_err(|e| SupervisorError::InitFailed(Term::binary(e.to_string().into_bytes())))?;
        let (pid_tx, pid_rx) = oneshot::channel();
        let (down_tx, down_rx) = oneshot::channel();
        let watcher_pid = node
            .spawn(SpawnOptions::default(), move |ctx| {
                watcher(ctx, pid_rx, down_tx)
            })
            .map_err(|e| SupervisorError::InitFailed(Term::binary(e.to_string().into_bytes())))?;
        let recorder = Arc::new(Recorder::default());
        recorder
            .show_from
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let observer = Arc::new(TreeObserver {
            recorder: Arc::clone(&recorder),
            ignored: Mutex::new(vec![watcher_pid]),
        });
        node.observe_effects(Arc::clone(&observer) as Arc<dyn EffectObserver>);
        let pid = node
            .start_supervisor::<S>(args, SpawnOptions::default())
            .await?;
        lock(&observer.ignored).push(pid.clone());
        // The supervisor's own spawn and what it did itself are not its children's effects.
        lock(&recorder.effects).retain(|r| {
            r.from.as_ref() != Some(&pid)
                && !matches!(&r.effect, Effect::Spawn { pid: spawned, .. } if *spawned == pid)
        });
        let _ = pid_tx.send(pid.clone());
        let supervisor = node.supervisor_ref(pid.clone());
        let mut kit = SupervisorKit {
            node,
            pid,
            supervisor,
            recorder,
            logs,
            step_start: 0,
            before: HashMap::new(),
            after: HashMap::new(),
            down: Some(down_rx),
            stopped: None,
            _supervisor: PhantomData,
        };
        kit.after = kit.snapshot().await.unwrap_or_default();
        kit.before = kit.after.clone();
        Ok(kit)
    }

    /// The supervisor's pid.
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    /// The private node the tree runs on.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The running pid of the child `id` (None when it is not running or not a child).
    pub fn child(&self, id: &str) -> Option<&Pid> {
        self.after.get(&Atom::new(id)).and_then(Option::as_ref)
    }

    /// Kills the child `id` (exit signal `kill`) and waits until the supervisor has handled
    /// its exit (restarted it and whichever siblings its strategy says, or given up).
    pub async fn kill(&mut self, id: &str) {
        self.exit_child(id, Term::atom("kill")).await
    }

    /// Sends the child `id` an exit signal with `reason` (from outside any process) and waits
    /// until the supervisor has handled its exit. A child that does not trap exits ignores
    /// `normal`; one that never exits fails the test once the kit gives up waiting (60 s of
    /// tokio's time).
    pub async fn exit_child(&mut self, id: &str, reason: impl IntoTerm) {
        let Some(pid) = self.child(id).cloned() else {
            panic!("no running child {id}: children {:?}", self.after);
        };
        self.before = self.after.clone();
        self.step_start = lock(&self.logs.events).len();
        self.node.send_exit(&pid, reason.into_term());
        for _ in 0..SETTLE_LOOKS {
            match self.snapshot().await {
                None => {
                    self.after = HashMap::new();
                    return;
                }
                Some(now) => {
                    if now.get(&Atom::new(id)).and_then(Option::as_ref) != Some(&pid) {
                        self.after = now;
                        self.quiesce().await;
                        return;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!(
            "the supervisor did not see child {id} ({}) exit",
            Term::Pid(pid)
        );
    }

    /// Lets `by` of tokio's time pass (with paused time, none really passes): the restart
    /// intensity's window moves on.
    pub async fn advance(&mut self, by: Duration) {
        self.before = self.after.clone();
        self.step_start = lock(&self.logs.events).len();
        tokio::time::sleep(by).await;
        if let Some(now) = self.snapshot().await {
            self.after = now;
        }
        self.quiesce().await;
    }

    /// Waits until the tree is still: the children's pids are the same in two snapshots a
    /// millisecond of tokio's time apart (with paused time, the runtime has nothing left to do
    /// when the time moves), so a child that crashes again right after its restart is
    /// restarted within the same step.
    async fn quiesce(&mut self) {
        for _ in 0..SETTLE_LOOKS {
            tokio::time::sleep(Duration::from_millis(1)).await;
            match self.snapshot().await {
                None => {
                    self.after = HashMap::new();
                    return;
                }
                Some(now) if now == self.after => return,
                Some(now) => self.after = now,
            }
        }
    }

    /// How many times the supervisor restarted the child `id` in the last step (it logs each
    /// restart; the events are captured on the test thread).
    pub fn restart_count(&self, id: &str) -> usize {
        lock(&self.logs.events)
            .iter()
            .skip(self.step_start)
            .filter(|(event, _)| {
                event.message == "child restarted"
                    && event
                        .fields
                        .iter()
                        .any(|(name, value)| name == "child" && value == id)
            })
            .count()
    }

    /// In the last step the supervisor restarted the child `id` exactly `n` times (a child
    /// that crashed again at once counts twice, though only its last pid is seen).
    #[track_caller]
    pub fn should_restart_times(&self, id: &str, n: usize) {
        let count = self.restart_count(id);
        if count != n {
            panic!(
                "expected child {id} to be restarted {n} time(s) in the last step, it was restarted {count} time(s){}",
                self.stop_note()
            );
        }
    }

    /// Messages the children sent (narrow with `to`, `message`, `from(pid)`...).
    pub fn should_send(&self) -> Expect {
        self.expect(Kind::Send)
    }

    /// Calls the children made (they went to the real peers).
    pub fn should_call(&self) -> Expect {
        self.expect(Kind::Call)
    }

    /// Casts the children made.
    pub fn should_cast(&self) -> Expect {
        self.expect(Kind::Cast)
    }

    /// Processes spawned on the kit's node after the supervisor: its children (at start and
    /// at each restart) and what they spawned; narrow with `named`.
    pub fn should_spawn(&self) -> Expect {
        self.expect(Kind::Spawn)
    }

    /// Links the children made.
    pub fn should_link(&self) -> Expect {
        self.expect(Kind::Link)
    }

    /// Monitors the children set.
    pub fn should_monitor(&self) -> Expect {
        self.expect(Kind::Monitor)
    }

    /// Exit signals the children sent.
    pub fn should_exit(&self) -> Expect {
        self.expect(Kind::Exit)
    }

    /// Tracing events the tree's processes (the supervisor and its children) logged at
    /// `level`; see [`ProcessKit::should_log`](super::ProcessKit::should_log).
    pub fn should_log(&self, level: Level) -> LogExpect {
        LogExpect::new(Arc::clone(&self.logs.events), Scope::AnyProcess, level)
    }

    /// Every effect recorded has been claimed by an assertion; panics listing the others.
    #[track_caller]
    pub fn no_more_effects(&self) {
        all_claimed(&self.recorder)
    }

    fn expect(&self, kind: Kind) -> Expect {
        Expect::new(Arc::clone(&self.recorder), kind)
    }

    /// In the last step the child `id` was restarted: it runs under a new pid.
    #[track_caller]
    pub fn should_restart(&self, id: &str) {
        let key = Atom::new(id);
        let before = self.before.get(&key).cloned().flatten();
        let after = self.after.get(&key).cloned().flatten();
        match (&before, &after) {
            (Some(old), Some(new)) if old != new => {}
            _ => panic!(
                "expected child {id} to be restarted, it was {} and is {}{}",
                show(&before),
                show(&after),
                self.stop_note()
            ),
        }
    }

    /// In the last step the child `id` was not restarted: it runs under the same pid as
    /// before, or not at all.
    #[track_caller]
    pub fn should_not_restart(&self, id: &str) {
        let key = Atom::new(id);
        let before = self.before.get(&key).cloned().flatten();
        let after = self.after.get(&key).cloned().flatten();
        if after.is_some() && after != before {
            panic!(
                "expected child {id} not to be restarted, it was {} and is {}",
                show(&before),
                show(&after)
            );
        }
    }

    /// The supervisor has ended with `reason` (too many restarts end it with `shutdown`).
    #[track_caller]
    pub fn should_stop(&mut self, reason: impl IntoTerm) {
        let want = reason.into_term();
        match self.stopped() {
            Some(got) if *got == want => {}
            Some(got) => {
                panic!("expected the supervisor to stop with {want}, it stopped with {got}")
            }
            None => panic!("expected the supervisor to stop with {want}, it is running"),
        }
    }

    /// Why the supervisor ended, if it has.
    pub fn stopped(&mut self) -> Option<&Term> {
        if self.stopped.is_none() {
            if let Some(down) = self.down.as_mut() {
                if let Ok(reason) = down.try_recv() {
                    self.stopped = Some(reason);
                    self.down = None;
                }
            }
        }
        self.stopped.as_ref()
    }

    fn stop_note(&self) -> String {
        match &self.stopped {
            Some(reason) => format!(" (the supervisor stopped: {reason})"),
            None => String::new(),
        }
    }

    /// The children's pids, or None when the supervisor is gone (then its end is taken).
    async fn snapshot(&mut self) -> Option<HashMap<Atom, Option<Pid>>> {
        match self.supervisor.which_children().await {
            Ok(children) => Some(
                children
                    .into_iter()
                    .filter_map(|c| {
                        let pid = match c.pid {
                            ChildPid::Running(p) => Some(p),
                            ChildPid::Undefined => None,
                        };
                        c.id.map(|id| (id, pid))
                    })
                    .collect(),
            ),
            Err(_) => {
                if let Some(down) = self.down.take() {
                    self.stopped = Some(down.await.unwrap_or_else(|_| Term::atom("noproc")));
                }
                None
            }
        }
    }
}

fn show(pid: &Option<Pid>) -> String {
    match pid {
        Some(p) => Term::Pid(p.clone()).to_string(),
        None => "not running".into(),
    }
}

impl<S: Supervisor> Drop for SupervisorKit<S> {
    fn drop(&mut self) {
        self.node.stop();
    }
}
