//! Stopping one child as OTP's `shutdown/2` does: monitor it, unlink it (so its `EXIT` is not
//! taken for a crash), then `kill` at once (brutal_kill), or `shutdown` followed by `kill` after
//! the timeout, or `shutdown` and wait (infinity). Must not decide which children to stop.

use ergo_etf::{Pid, Term};
use tokio::time::Instant;

use super::inbox::Inbox;
use super::Shutdown;

/// Stops `pid` and waits until it is gone; returns its exit reason. `Err(reason)` when the
/// supervisor itself was killed meanwhile.
pub(super) async fn stop_child(
    inbox: &mut Inbox,
    pid: &Pid,
    shutdown: Shutdown,
) -> Result<Term, Term> {
    let reference = inbox.ctx.monitor(pid.clone());
    inbox.ctx.unlink(pid);
    match shutdown {
        Shutdown::BrutalKill => {
            inbox.ctx.exit(pid, Term::atom("kill"));
            Ok(inbox
                .wait_down(&reference, None)
                .await?
                .unwrap_or(Term::atom("killed")))
        }
        Shutdown::Infinity => {
            inbox.ctx.exit(pid, Term::atom("shutdown"));
            Ok(inbox
                .wait_down(&reference, None)
                .await?
                .unwrap_or(Term::atom("shutdown")))
        }
        Shutdown::Timeout(limit) => {
            inbox.ctx.exit(pid, Term::atom("shutdown"));
            if let Some(reason) = inbox
                .wait_down(&reference, Some(Instant::now() + limit))
                .await?
            {
                return Ok(reason);
            }
            tracing::warn!(child = %Term::Pid(pid.clone()), ?limit, "child did not stop within its shutdown timeout; killing it");
            inbox.ctx.exit(pid, Term::atom("kill"));
            Ok(inbox
                .wait_down(&reference, None)
                .await?
                .unwrap_or(Term::atom("killed")))
        }
    }
}

/// Stops several children of one spec at once (simple_one_for_one): signals them all, waits
/// for each within one shared deadline, then kills those still alive.
pub(super) async fn stop_children_together(
    inbox: &mut Inbox,
    pids: &[Pid],
    shutdown: Shutdown,
) -> Result<(), Term> {
    let refs: Vec<_> = pids
        .iter()
        .map(|pid| {
            let r = inbox.ctx.monitor(pid.clone());
            inbox.ctx.unlink(pid);
            (pid.clone(), r)
        })
        .collect();
    let first = if shutdown == Shutdown::BrutalKill {
        "kill"
    } else {
        "shutdown"
    };
    for (pid, _) in &refs {
        inbox.ctx.exit(pid, Term::atom(first));
    }
    let deadline = match shutdown {
        Shutdown::Timeout(limit) => Some(Instant::now() + limit),
        _ => None,
    };
    let mut late = Vec::new();
    for (pid, r) in &refs {
        if inbox.wait_down(r, deadline).await?.is_none() {
            late.push((pid.clone(), r.clone()));
        }
    }
    for (pid, r) in &late {
        inbox.ctx.exit(pid, Term::atom("kill"));
        inbox.wait_down(r, None).await?;
    }
    Ok(())
}
