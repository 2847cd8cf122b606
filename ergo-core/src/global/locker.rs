//! The locker: a process linked to `global_name_server` that takes and releases `global`
//! locks on other nodes for it, so the server never waits on another node's server (two Rust
//! nodes locking each other would otherwise deadlock). It is the pid this node names as its
//! locker in `init_connect`, and the holder of the connect locks `{global, [Lockers]}` it takes
//! (`lock_nodes_safely`: the boss node first, then this node and the peer, then every known
//! node). Also the `set_lock` / `del_lock` calls the registrar uses. Owns no table; must not
//! decide when to lock (that is `connect/`).

use std::collections::HashMap;
use std::time::Duration;

use ergo_etf::{Atom, FromTerm, IntoTerm, Pid, Term};
use tokio::sync::mpsc;

use super::protocol::{Call, GlobalLockId, Info};
use super::server::Request;
use super::SERVER;
use crate::node::Context;
use crate::node::SpawnError;
use crate::node::{Dest, SpawnOptions};

/// How long one node may take to answer a lock call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server asks of the locker.
pub(crate) enum Job {
    /// Lock `lock_id` on the boss, this node and `extra`, then on `known`; the answer goes to
    /// the server as `{ergo_global_locked, Node, MyTag, LockId, true | false}`.
    Lock {
        /// The peer the lock is for.
        node: Atom,
        /// The connect's tag.
        my_tag: i64,
        /// `{global, LockRequesterId}`.
        lock_id: GlobalLockId,
        /// Nodes to lock besides this one (the peer when we start the lock).
        extra: Vec<Atom>,
        /// The nodes this node knows.
        known: Vec<Atom>,
    },
    /// Release everything held under `lock_id`.
    Unlock(GlobalLockId),
}

/// The server's handle on its locker.
pub(crate) struct Locker {
    /// The locker process.
    pub(crate) pid: Pid,
    jobs: mpsc::UnboundedSender<Job>,
}

impl Locker {
    /// Queues a job (lost only if the locker is gone, which takes the server down too).
    pub(crate) fn run(&self, job: Job) {
        let _ = self.jobs.send(job);
    }
}

/// Starts the locker, linked to the server `ctx` runs.
pub(crate) fn start(ctx: &Context) -> Result<Locker, SpawnError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    let server = ctx.pid().clone();
    let pid = ctx.node().spawn(
        SpawnOptions {
            link: Some(server.clone()),
            ..SpawnOptions::default()
        },
        move |mut ctx: Context| async move {
            let mut held: HashMap<GlobalLockId, Vec<Atom>> = HashMap::new();
            loop {
                tokio::select! {
                    job = rx.recv() => match job {
                        Some(job) => run_job(&ctx, &server, &mut held, job).await,
                        None => return Term::atom("normal"),
                    },
                    envelope = ctx.recv() => match envelope {
                        // Peers' lockers may answer this pid directly (version 5 shapes).
                        Ok(envelope) => {
                            let _ = ctx.send(server.clone(), envelope.into_term());
                        }
                        Err(reason) => return reason,
                    },
                }
            }
        },
    )?;
    Ok(Locker { pid, jobs: tx })
}

async fn run_job(
    ctx: &Context,
    server: &Pid,
    held: &mut HashMap<GlobalLockId, Vec<Atom>>,
    job: Job,
) {
    match job {
        Job::Lock {
            node,
            my_tag,
            lock_id,
            extra,
            known,
        } => {
            let locked = lock_nodes_safely(ctx, server, &lock_id, &extra, &known).await;
            let ok = locked.is_some();
            if let Some(nodes) = locked {
                held.entry(lock_id.clone()).or_default().extend(nodes);
            }
            let answer = Info::ErgoGlobalLocked {
                node,
                tag: my_tag,
                lock_id,
                ok,
            };
            let _ = ctx.send(server.clone(), answer);
        }
        Job::Unlock(lock_id) => {
            if let Some(mut nodes) = held.remove(&lock_id) {
                nodes.sort();
                nodes.dedup();
                delete_global_lock(ctx, server, &lock_id, &nodes).await;
            }
        }
    }
}

/// `lock_nodes_safely`: the boss, then this node and `extra`, then the known nodes; the nodes
/// locked, or `None` (and nothing held) if any refused.
async fn lock_nodes_safely(
    ctx: &Context,
    server: &Pid,
    id: &GlobalLockId,
    extra: &[Atom],
    known: &[Atom],
) -> Option<Vec<Atom>> {
    let me = ctx.node().name().clone();
    let boss = known
        .iter()
        .chain(std::iter::once(&me))
        .max()
        .cloned()
        .unwrap_or_else(|| me.clone());
    let first = vec![boss];
    if !set_lock_on(ctx, server, id, &first).await {
        return None;
    }
    let second: Vec<Atom> = std::iter::once(me)
        .chain(extra.iter().cloned())
        .filter(|n| !first.contains(n))
        .collect();
    if !set_lock_on(ctx, server, id, &second).await {
        del_lock_on(ctx, server, id, &first).await;
        return None;
    }
    let rest: Vec<Atom> = known
        .iter()
        .filter(|n| !first.contains(n) && !second.contains(n))
        .cloned()
        .collect();
    if !set_lock_on(ctx, server, id, &rest).await {
        del_lock_on(ctx, server, id, &second).await;
        del_lock_on(ctx, server, id, &first).await;
        return None;
    }
    Some(first.into_iter().chain(second).chain(rest).collect())
}

/// One node's answer to a lock call: `None` when it has no `global` (or is gone), which
/// `gen_server:multi_call` counts as a bad node and skips.
async fn call_node(ctx: &Context, node: &Atom, request: Call) -> Option<Term> {
    let to = Dest::Remote {
        name: Atom::new(SERVER),
        node: node.clone(),
    };
    match ctx.call_timeout::<Term>(to, request, CALL_TIMEOUT).await {
        Ok(reply) => Some(reply),
        Err(err) => {
            tracing::debug!(%node, %err, "global: a node did not answer a lock call");
            None
        }
    }
}

/// `set_lock_on_nodes` on behalf of this process: all or nothing (nodes that said yes are
/// released on a no).
pub(crate) async fn set_lock_on(
    ctx: &Context,
    server: &Pid,
    id: &GlobalLockId,
    nodes: &[Atom],
) -> bool {
    let id_term = id.clone().into_term();
    let mut locked = Vec::new();
    for node in nodes {
        let yes = if node == ctx.node().name() {
            ctx.node()
                .direct(
                    server.clone(),
                    Request::SetLock(id_term.clone(), ctx.pid().clone()),
                )
                .await
                .unwrap_or(false)
        } else {
            let request = Call::SetLock {
                id: id_term.clone(),
            };
            call_node(ctx, node, request)
                .await
                .map_or(true, |reply| matches!(bool::from_term(reply), Ok(true)))
        };
        if !yes {
            del_lock_on(ctx, server, id, &locked).await;
            return false;
        }
        locked.push(node.clone());
    }
    true
}

/// `del_lock` on each of `nodes`, on behalf of this process.
pub(crate) async fn del_lock_on(ctx: &Context, server: &Pid, id: &GlobalLockId, nodes: &[Atom]) {
    let id = id.clone().into_term();
    for node in nodes {
        if node == ctx.node().name() {
            let _ = ctx
                .node()
                .direct(
                    server.clone(),
                    Request::DelLock(id.clone(), ctx.pid().clone()),
                )
                .await;
        } else {
            let _ = call_node(ctx, node, Call::DelLock { id: id.clone() }).await;
        }
    }
}

/// `delete_global_lock`: every node but the boss, then the boss.
pub(crate) async fn delete_global_lock(
    ctx: &Context,
    server: &Pid,
    id: &GlobalLockId,
    nodes: &[Atom],
) {
    let Some(boss) = nodes.iter().max().cloned() else {
        return;
    };
    let rest: Vec<Atom> = nodes.iter().filter(|n| **n != boss).cloned().collect();
    del_lock_on(ctx, server, id, &rest).await;
    del_lock_on(ctx, server, id, &[boss]).await;
}
