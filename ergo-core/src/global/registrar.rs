//! Registering and unregistering names from Rust, as `global`'s registrar does
//! (`trans_all_known`): a short-lived process takes lock `{global, Itself}` on the boss node (the
//! greatest node name) and then on every known node, retrying after a random back-off while
//! another registrar holds it; checks the name; calls `{register, Name, Pid, Method}` (or
//! `{unregister, Name}`) on every node; releases the lock. The lock holder and the caller of
//! the registration calls must be the same live process: the other nodes monitor it and keep a
//! registration only while its caller holds the lock. Must not touch the tables directly (it
//! goes through the server like any peer).

use std::time::Duration;

use ergo_etf::{Atom, Pid, Term};

use super::locker::{del_lock_on, delete_global_lock, set_lock_on};
use super::names::default_method;
use super::protocol::{Call, GlobalLockId};
use super::server::Request;
use super::{Global, GlobalError, SERVER};
use crate::node::Context;
use crate::node::{Dest, SpawnOptions};

/// How long a registration keeps trying to take the lock.
const LOCK_DEADLINE: Duration = Duration::from_secs(30);

/// How long one node may take to answer a lock or registration call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What to do under the lock.
pub(crate) enum Op {
    /// `register_name`: only if the name is free and the pid has no other name.
    Register(Term, Pid),
    /// `re_register_name`: whatever the name meant.
    ReRegister(Term, Pid),
    /// `unregister_name`.
    Unregister(Term),
}

/// Runs `op` in a registrar process and waits for it.
pub(crate) async fn run(global: &Global, op: Op) -> Result<(), GlobalError> {
    if let Op::Unregister(name) = &op {
        if global.shared.lookup(name).is_none() {
            return Ok(());
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let g = global.clone();
    global
        .node
        .spawn(SpawnOptions::default(), move |ctx: Context| async move {
            let result = registrar(&ctx, &g, op).await;
            let _ = tx.send(result);
            Term::atom("normal")
        })?;
    rx.await
        .unwrap_or(Err(GlobalError::Server(crate::node::CallError::NoReply)))
}

/// One node's answer to a call made by the registrar: `None` when the node has no `global`
/// (or is gone), which `gen_server:multi_call` counts as a bad node and skips.
async fn call_node(ctx: &Context, g: &Global, node: &Atom, request: Call) -> Option<Term> {
    if node == ctx.node().name() {
        return None;
    }
    let to = Dest::Remote {
        name: Atom::new(SERVER),
        node: node.clone(),
    };
    match ctx.call_timeout::<Term>(to, request, CALL_TIMEOUT).await {
        Ok(reply) => Some(reply),
        Err(err) => {
            tracing::debug!(%node, %err, server = ?g, "global: a node did not answer the registrar");
            None
        }
    }
}

/// A back-off of up to `2^times / 8` s (8 s at most), as `global`'s `random_sleep`.
async fn random_sleep(times: u32) {
    let max_ms: u64 = if times > 5 {
        8000
    } else {
        (1u64 << times) * 1000 / 8
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0);
    let ms = 1 + nanos % max_ms.max(1);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// `set_lock_known`: the lock on the boss, then on every known node (and this one); the nodes
/// locked, or `None` at the deadline.
async fn lock_known(ctx: &Context, g: &Global, id: &GlobalLockId) -> Option<Vec<Atom>> {
    let deadline = tokio::time::Instant::now() + LOCK_DEADLINE;
    let mut times = 0;
    loop {
        let known = g.shared.known();
        let mut nodes: Vec<Atom> = known.iter().cloned().collect();
        nodes.push(ctx.node().name().clone());
        nodes.sort();
        let boss = nodes
            .last()
            .cloned()
            .unwrap_or_else(|| ctx.node().name().clone());
        if set_lock_on(ctx, &g.server, id, std::slice::from_ref(&boss)).await {
            if set_lock_on(ctx, &g.server, id, &nodes).await && g.shared.known().is_subset(&known) {
                return Some(nodes);
            }
            del_lock_on(ctx, &g.server, id, &nodes).await;
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        random_sleep(times).await;
        times += 1;
    }
}

async fn registrar(ctx: &Context, g: &Global, op: Op) -> Result<(), GlobalError> {
    let id = GlobalLockId {
        requester: Term::Pid(ctx.pid().clone()),
    };
    let nodes = lock_known(ctx, g, &id)
        .await
        .ok_or(GlobalError::LockTimeout(LOCK_DEADLINE))?;
    let result = under_lock(ctx, g, op, &nodes).await;
    delete_global_lock(ctx, &g.server, &id, &nodes).await;
    result
}

async fn under_lock(ctx: &Context, g: &Global, op: Op, nodes: &[Atom]) -> Result<(), GlobalError> {
    let (request, local) = match op {
        Op::Register(name, pid) => {
            if g.shared.lookup(&name).is_some() || g.shared.has_pid(&pid) {
                return Err(GlobalError::Taken);
            }
            register_request(ctx, name, pid)
        }
        Op::ReRegister(name, pid) => register_request(ctx, name, pid),
        Op::Unregister(name) => (
            Call::Unregister { name: name.clone() },
            Request::Unregister(name),
        ),
    };
    for node in nodes {
        if node != ctx.node().name() {
            let _ = call_node(ctx, g, node, request.clone()).await;
        }
    }
    g.node.direct(g.server.clone(), local).await?;
    Ok(())
}

fn register_request(ctx: &Context, name: Term, pid: Pid) -> (Call, Request) {
    let method = default_method();
    (
        Call::Register {
            name: name.clone(),
            pid: pid.clone(),
            method: method.clone(),
        },
        Request::Register {
            name,
            pid,
            method,
            from: ctx.pid().clone(),
        },
    )
}
