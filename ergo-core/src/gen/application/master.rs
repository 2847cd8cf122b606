//! The application master: a process (trap_exit on) that starts the application's root linked
//! to itself, stops it on request (`shutdown`, waiting as long as it takes), and when the root
//! terminates by itself records the termination and applies the start type (stopping the other
//! applications and the node for a permanent one, or a transient one ending abnormally). Must
//! not know about other applications except through `Applications`.

use std::sync::Arc;

use ergo_etf::{Atom, Pid, Term};

use super::table::AppTable;
use super::{ApplicationError, StartType};
use crate::gen::supervisor::{ChildStart, StartContext};
use crate::node::Context;
use crate::node::{InspectProcess, Node, SpawnOptions};
use crate::process::{DirectRequest, Envelope};

/// Asks a master to stop its application (answered once it has).
pub(super) struct StopRequest;

impl DirectRequest for StopRequest {
    type Reply = ();
}

type Ack = tokio::sync::oneshot::Sender<Result<Option<Pid>, Term>>;

/// Spawns the master of `name` and waits until its root has started.
pub(super) async fn start(
    node: &Node,
    table: Arc<AppTable>,
    name: Atom,
    root: Option<ChildStart>,
    start_type: StartType,
) -> Result<(Pid, Option<Pid>), ApplicationError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let options = SpawnOptions {
        trap_exit: true,
        ..SpawnOptions::default()
    };
    let app = name.clone();
    let pid = node
        .spawn_behaviour("application_master", options, move |ctx| {
            run(ctx, table, app, root, start_type, tx)
        })
        .map_err(|_| ApplicationError::NodeStopped)?;
    match rx.await {
        Ok(Ok(root)) => Ok((pid, root)),
        Ok(Err(reason)) => Err(ApplicationError::StartFailed(name.to_string(), reason)),
        Err(_) => Err(ApplicationError::StartFailed(
            name.to_string(),
            Term::atom("killed"),
        )),
    }
}

async fn run(
    mut ctx: Context,
    table: Arc<AppTable>,
    name: Atom,
    root: Option<ChildStart>,
    start_type: StartType,
    ack: Ack,
) -> Term {
    let root_pid = match root {
        None => None,
        Some(start) => {
            let cx = StartContext {
                node: ctx.node().clone(),
                supervisor: ctx.pid().clone(),
                extra: Vec::new(),
            };
            match start.start(cx).await {
                Ok(pid) => pid,
                Err(reason) => {
                    let _ = ack.send(Err(reason.clone()));
                    return reason;
                }
            }
        }
    };
    let _ = ack.send(Ok(root_pid.clone()));
    ctx.set_kind("application_master", true);
    tracing::info!(application = %name, ?start_type, "application started");
    loop {
        let envelope = match ctx.recv().await {
            Ok(e) => e,
            Err(reason) => return reason, // killed (node stop): links take the root down
        };
        match envelope {
            Envelope::Exit(exit) if Some(&exit.from) == root_pid.as_ref() => {
                terminated(ctx.node(), &table, &name, exit.reason.clone());
                return exit.reason;
            }
            Envelope::Direct(request) if request.is::<InspectProcess>() => {
                if let Ok((InspectProcess, reply)) = request.take::<InspectProcess>() {
                    let root = root_pid
                        .as_ref()
                        .map(|p| Term::Pid(p.clone()).to_string())
                        .unwrap_or_else(|| "none".into());
                    reply.reply(vec![
                        ("application".into(), name.to_string()),
                        ("root".into(), root),
                        ("start type".into(), format!("{start_type:?}")),
                    ]);
                }
            }
            Envelope::Direct(request) if request.is::<StopRequest>() => {
                if let Some(root) = &root_pid {
                    stop_root(&mut ctx, root).await;
                }
                tracing::info!(application = %name, "application stopped");
                if let Ok((StopRequest, reply)) = request.take::<StopRequest>() {
                    reply.reply(());
                }
                return Term::atom("normal");
            }
            _ => {}
        }
    }
}

/// Stops the root like a supervisor child with shutdown `infinity`.
async fn stop_root(ctx: &mut Context, root: &Pid) {
    let reference = ctx.monitor(root.clone());
    ctx.unlink(root);
    ctx.exit(root, Term::atom("shutdown"));
    loop {
        match ctx.recv().await {
            Ok(Envelope::Down(down)) if down.reference == reference => return,
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

/// The root of `name` ended by itself with `reason`: record it and apply the start type.
fn terminated(node: &Node, table: &AppTable, name: &Atom, reason: Term) {
    let Some(start_type) = table.record_exit(name, reason.clone()) else {
        return;
    };
    let fatal = match start_type {
        StartType::Permanent => true,
        StartType::Transient => !reason.is_atom("normal"),
        StartType::Temporary => false,
    };
    if !fatal {
        tracing::info!(application = %name, %reason, ?start_type, "application exited");
        return;
    }
    tracing::error!(application = %name, %reason, ?start_type, "application exited: stopping the other applications and the node");
    let node = node.clone();
    let why = Term::tuple(vec![
        Term::atom("application_terminated"),
        Term::Atom(name.clone()),
        reason.clone(),
    ]);
    tokio::spawn(async move {
        node.applications().stop_all().await;
        node.stop_with(why);
    });
}
