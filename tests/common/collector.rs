//! One generic collector: a process that forwards everything it receives, as terms, to a
//! channel the test reads (with [`super::wait::next`]). Options cover what the tests need: spawn
//! options (a name, trapping exits, a bounded mailbox), ending on a `stop` atom, reporting its
//! own exit reason, and holding its mailbox unread until the test says go.

use ergo::{Context, Node, Pid, SpawnOptions, Term};
use tokio::sync::{mpsc, oneshot};

/// How to spawn a collector; [`Collector::spawn`] or [`Collector::spawn_gated`] starts it.
#[derive(Default)]
pub struct Collector {
    options: SpawnOptions,
    stop_on: Option<&'static str>,
    exit_tag: Option<&'static str>,
}

impl Collector {
    /// A collector that forwards everything and exits like any process.
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Spawns it with `options` (replacing any set before).
    pub fn options(mut self, options: SpawnOptions) -> Collector {
        self.options = options;
        self
    }

    /// Traps exits (from its start), so exit signals arrive as `{'EXIT', From, Reason}`.
    pub fn trap_exit(mut self, on: bool) -> Collector {
        self.options.trap_exit = on;
        self
    }

    /// Ends with `normal`, forwarding nothing, when it receives the atom `atom`.
    pub fn stop_on(mut self, atom: &'static str) -> Collector {
        self.stop_on = Some(atom);
        self
    }

    /// When an exit signal ends it, forwards `{tag, Reason}` before it exits with `Reason`.
    pub fn report_exit(mut self, tag: &'static str) -> Collector {
        self.exit_tag = Some(tag);
        self
    }

    /// Spawns it on `node`: its pid, and the channel it forwards to.
    pub fn spawn(self, node: &Node) -> (Pid, mpsc::UnboundedReceiver<Term>) {
        self.start(node, None)
    }

    /// Spawns it on `node` holding its mailbox unread (messages and signals queue) until the
    /// returned sender is used or dropped.
    pub fn spawn_gated(
        self,
        node: &Node,
    ) -> (Pid, mpsc::UnboundedReceiver<Term>, oneshot::Sender<()>) {
        let (go_tx, go_rx) = oneshot::channel();
        let (pid, rx) = self.start(node, Some(go_rx));
        (pid, rx, go_tx)
    }

    fn start(
        self,
        node: &Node,
        gate: Option<oneshot::Receiver<()>>,
    ) -> (Pid, mpsc::UnboundedReceiver<Term>) {
        let Collector {
            options,
            stop_on,
            exit_tag,
        } = self;
        let (tx, rx) = mpsc::unbounded_channel();
        let pid = node
            .spawn(options, move |mut ctx: Context| async move {
                if let Some(gate) = gate {
                    let _ = gate.await;
                }
                loop {
                    match ctx.recv_term().await {
                        Ok(term) => {
                            if stop_on.is_some_and(|atom| term.is_atom(atom)) {
                                return Term::atom("normal");
                            }
                            let _ = tx.send(term);
                        }
                        Err(reason) => {
                            if let Some(tag) = exit_tag {
                                let _ = tx.send(Term::tuple(vec![Term::atom(tag), reason.clone()]));
                            }
                            return reason;
                        }
                    }
                }
            })
            .unwrap_or_else(|e| panic!("spawn a collector: {e}"));
        (pid, rx)
    }
}

/// A collector on `node` that forwards everything; with `trap_exit`, exit signals arrive as
/// `{'EXIT', From, Reason}` messages.
pub fn forwarder(node: &Node, trap_exit: bool) -> (Pid, mpsc::UnboundedReceiver<Term>) {
    Collector::new().trap_exit(trap_exit).spawn(node)
}
