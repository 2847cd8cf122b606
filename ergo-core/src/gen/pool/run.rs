//! The pool process: starts the workers (linked, monitored, each with a bounded mailbox), hands
//! every request to the next worker that can queue it, replaces workers that end, answers its
//! control requests, and stops its workers when it stops. Must not look inside the requests it
//! hands over.

use std::time::Duration;

use ergo_etf::{Pid, Reference, Term};

use super::{PoolError, PoolOptions, PoolResize, PoolStats, PoolStatsRequest, WorkerStats};
use crate::gen::server::GenServer;
use crate::node::{Context, Node, SpawnOptions};
use crate::process::{DownSignal, Envelope, ExitSignal, PushError};

/// How long the pool waits before trying again to start a worker whose start failed.
const RESTART_RETRY: Duration = Duration::from_millis(100);

/// The message a pool sends itself to retry starting the worker of slot `Index`:
/// `{'$ergo_pool_restart', Index}`.
const RESTART_TAG: &str = "$ergo_pool_restart";

struct Worker {
    pid: Pid,
    monitor: Reference,
    forwarded: u64,
}

struct Pool<W: GenServer> {
    /// The workers in round-robin order; `None` while a slot's worker could not be started.
    slots: Vec<Option<Worker>>,
    args: W::Args,
    mailbox: usize,
    next: usize,
    stats: PoolStats,
}

/// What happened to a request the pool tried to hand over.
enum Handed {
    /// A worker queued it.
    Queued,
    /// No worker could: here it is back.
    Refused(Envelope),
}

impl<W: GenServer> Pool<W>
where
    W::Args: Clone + Sync,
{
    async fn start_worker(&self, ctx: &Context) -> Result<Worker, crate::node::SpawnError> {
        let options = SpawnOptions {
            mailbox_bound: Some(self.mailbox),
            link: Some(ctx.pid().clone()),
            ..SpawnOptions::default()
        };
        let pid = ctx
            .node()
            .start_server::<W>(self.args.clone(), options)
            .await?;
        let monitor = ctx.monitor(pid.clone());
        Ok(Worker {
            pid,
            monitor,
            forwarded: 0,
        })
    }

    /// Starts the worker of slot `index`; on failure leaves the slot empty and tries again soon.
    async fn fill(&mut self, ctx: &Context, index: usize) {
        match self.start_worker(ctx).await {
            Ok(worker) => {
                if let Some(slot) = self.slots.get_mut(index) {
                    *slot = Some(worker);
                } else {
                    // The pool shrank meanwhile.
                    ctx.unlink(&worker.pid);
                    ctx.demonitor(&worker.monitor);
                    ctx.exit(&worker.pid, Term::atom("shutdown"));
                }
            }
            Err(error) => {
                tracing::error!(%error, slot = index, "pool worker did not start; retrying");
                let retry = Term::tuple(vec![Term::atom(RESTART_TAG), Term::Int(index as i64)]);
                ctx.send_self_after(retry, RESTART_RETRY);
            }
        }
    }

    fn slot_of(&self, pid: &Pid) -> Option<usize> {
        self.slots
            .iter()
            .position(|w| w.as_ref().is_some_and(|w| &w.pid == pid))
    }

    /// A worker ended: forget it and start its replacement.
    async fn replace(&mut self, ctx: &Context, index: usize, reason: &Term) {
        if let Some(Some(old)) = self.slots.get_mut(index).map(Option::take) {
            ctx.demonitor(&old.monitor);
            ctx.unlink(&old.pid);
            tracing::warn!(worker = %Term::Pid(old.pid), %reason, slot = index, "pool worker ended; replacing it");
            self.stats.restarts += 1;
            self.fill(ctx, index).await;
        }
    }

    /// Hands `envelope` to the first worker, from the round-robin position on, that can queue it.
    fn hand_over(&mut self, ctx: &Context, mut envelope: Envelope) -> Handed {
        let n = self.slots.len();
        for k in 0..n {
            let index = (self.next + k) % n;
            let Some(worker) = self.slots.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            let Some(entry) = ctx.node().entry(&worker.pid) else {
                // Ended and not yet replaced: its EXIT is on the way.
                continue;
            };
            match entry.mailbox.push(envelope, false) {
                Ok(()) => {
                    worker.forwarded += 1;
                    self.stats.forwarded += 1;
                    self.next = (index + 1) % n;
                    return Handed::Queued;
                }
                Err(PushError::Full(back)) | Err(PushError::Closed(back)) => envelope = back,
            }
        }
        Handed::Refused(envelope)
    }

    fn forward(&mut self, ctx: &Context, envelope: Envelope) {
        // A call lost with a worker that crashes is answered at once, not at the caller's
        // timeout (a local caller gets NoReply anyway, its reply slot closes).
        let envelope = match envelope {
            Envelope::Call { from, request } => Envelope::Call {
                from: from.answer_error_if_dropped(Term::atom("no_reply")),
                request,
            },
            other => other,
        };
        let refused = match self.hand_over(ctx, envelope) {
            Handed::Queued => return,
            Handed::Refused(envelope) => envelope,
        };
        let busy = Term::atom("busy");
        match refused {
            Envelope::Call { from, .. } => {
                self.stats.rejected_calls += 1;
                tracing::debug!(caller = ?from, "pool busy: call rejected");
                from.reject(busy);
            }
            Envelope::Direct(request) => {
                self.stats.rejected_calls += 1;
                request.refuse(busy);
            }
            other => {
                self.stats.dropped += 1;
                tracing::warn!(
                    message = ?other,
                    dropped = self.stats.dropped,
                    "pool busy: every worker's mailbox is full; message dropped"
                );
            }
        }
    }

    fn stats(&self, node: &Node) -> PoolStats {
        let mut stats = self.stats.clone();
        stats.workers = self
            .slots
            .iter()
            .flatten()
            .map(|w| WorkerStats {
                pid: w.pid.clone(),
                queued: node.entry(&w.pid).map_or(0, |e| e.mailbox.len()),
                forwarded: w.forwarded,
            })
            .collect();
        stats
    }

    async fn resize(&mut self, ctx: &Context, size: usize) -> Result<usize, PoolError> {
        if size == 0 {
            return Err(PoolError::NoWorkers);
        }
        while self.slots.len() > size {
            if let Some(Some(worker)) = self.slots.pop() {
                // No new requests reach it; it stops after those it has queued.
                ctx.demonitor(&worker.monitor);
                ctx.unlink(&worker.pid);
                ctx.exit(&worker.pid, Term::atom("shutdown"));
            }
        }
        while self.slots.len() < size {
            let worker = self.start_worker(ctx).await?;
            self.slots.push(Some(worker));
        }
        self.next %= self.slots.len();
        Ok(self.slots.len())
    }

    fn stop_workers(&mut self, ctx: &Context) {
        for worker in self.slots.drain(..).flatten() {
            ctx.demonitor(&worker.monitor);
            ctx.exit(&worker.pid, Term::atom("shutdown"));
        }
    }
}

/// `{'$ergo_pool_restart', Index}`'s index.
fn restart_slot(message: &Term) -> Option<usize> {
    match message {
        Term::Tuple(elems) => match elems.as_slice() {
            [tag, Term::Int(i)] if tag.is_atom(RESTART_TAG) => usize::try_from(*i).ok(),
            _ => None,
        },
        _ => None,
    }
}

type Ack = tokio::sync::oneshot::Sender<Result<(), PoolError>>;

async fn run<W: GenServer>(
    mut ctx: Context,
    args: W::Args,
    options: PoolOptions,
    parent: Option<Pid>,
    ack: Ack,
) -> Term
where
    W::Args: Clone + Sync,
{
    let mut pool = Pool::<W> {
        slots: Vec::with_capacity(options.workers),
        args,
        mailbox: options.worker_mailbox,
        next: 0,
        stats: PoolStats::default(),
    };
    for _ in 0..options.workers {
        match pool.start_worker(&ctx).await {
            Ok(worker) => pool.slots.push(Some(worker)),
            Err(error) => {
                pool.stop_workers(&ctx);
                let reason = Term::tuple(vec![
                    Term::atom("worker_start_failed"),
                    Term::binary(error.to_string().into_bytes()),
                ]);
                let _ = ack.send(Err(PoolError::Spawn(error)));
                return reason;
            }
        }
    }
    let _ = ack.send(Ok(()));
    loop {
        let envelope = match ctx.recv().await {
            Ok(envelope) => envelope,
            Err(reason) => return reason,
        };
        match envelope {
            Envelope::Exit(exit) => {
                let ExitSignal { from, reason, .. } = *exit;
                if let Some(index) = pool.slot_of(&from) {
                    pool.replace(&ctx, index, &reason).await;
                } else if parent.as_ref() == Some(&from) || !reason.is_atom("normal") {
                    // The parent's order to stop, or a linked process's crash.
                    pool.stop_workers(&ctx);
                    return reason;
                }
            }
            Envelope::Down(down) => {
                let DownSignal {
                    reference, reason, ..
                } = *down;
                let index = pool
                    .slots
                    .iter()
                    .position(|w| w.as_ref().is_some_and(|w| w.monitor == reference));
                if let Some(index) = index {
                    pool.replace(&ctx, index, &reason).await;
                }
            }
            Envelope::Direct(request) if request.is::<PoolStatsRequest>() => {
                if let Ok((_, reply)) = request.take::<PoolStatsRequest>() {
                    reply.reply(pool.stats(ctx.node()));
                }
            }
            Envelope::Direct(request) if request.is::<PoolResize>() => {
                if let Ok((PoolResize(size), reply)) = request.take::<PoolResize>() {
                    let result = pool.resize(&ctx, size).await;
                    reply.reply(result);
                }
            }
            Envelope::Message(crate::process::Payload::Term(message))
                if restart_slot(&message).is_some() =>
            {
                if let Some(index) = restart_slot(&message) {
                    if matches!(pool.slots.get(index), Some(None)) {
                        pool.fill(&ctx, index).await;
                    }
                }
            }
            other => pool.forward(&ctx, other),
        }
    }
}

impl Node {
    /// Starts a pool of `options.workers` gen_servers `W` (each started with a clone of `args`)
    /// and waits until they have all run `init`. Send, call and cast the pool as any process;
    /// ask it [`PoolStatsRequest`] and [`PoolResize`] through [`Node::direct`]. `spawn` names
    /// or links the pool process itself (its mailbox bound, if any, is the pool's own); the
    /// pool traps exits.
    pub async fn start_pool<W: GenServer>(
        &self,
        args: W::Args,
        options: PoolOptions,
        spawn: SpawnOptions,
    ) -> Result<Pid, PoolError>
    where
        W::Args: Clone + Sync,
    {
        options.check()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let parent = spawn.link.clone();
        let spawn = SpawnOptions {
            trap_exit: true,
            ..spawn
        };
        let pid = self.spawn_behaviour("pool", spawn, move |ctx| {
            run::<W>(ctx, args, options, parent, tx)
        })?;
        match rx.await {
            Ok(Ok(())) => Ok(pid),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(PoolError::Spawn(crate::node::SpawnError::InitFailed(
                Term::atom("killed"),
            ))),
        }
    }
}
