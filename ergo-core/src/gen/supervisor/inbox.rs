//! The supervisor's selective receive: while it waits for one child's `DOWN`, everything else
//! that arrives is set aside and handed out first afterwards, in arrival order (like Erlang's
//! selective `receive`). Owns only that buffering.

use std::collections::VecDeque;

use ergo_etf::{Reference, Term};
use tokio::time::Instant;

use crate::node::Context;
use crate::process::Envelope;

/// The supervisor's context plus the envelopes set aside by selective receives.
pub(super) struct Inbox {
    pub ctx: Context,
    deferred: VecDeque<Envelope>,
}

impl Inbox {
    pub(super) fn new(ctx: Context) -> Inbox {
        Inbox {
            ctx,
            deferred: VecDeque::new(),
        }
    }

    /// The next envelope; `Err(reason)` when the supervisor must exit (an untrappable kill).
    pub(super) async fn next(&mut self) -> Result<Envelope, Term> {
        match self.deferred.pop_front() {
            Some(e) => Ok(e),
            None => self.ctx.recv().await,
        }
    }

    /// Waits for the `DOWN` of monitor `reference` until `deadline` (`None`: forever). Returns
    /// the exit reason, or `Ok(None)` at the deadline.
    pub(super) async fn wait_down(
        &mut self,
        reference: &Reference,
        deadline: Option<Instant>,
    ) -> Result<Option<Term>, Term> {
        if let Some(pos) = self
            .deferred
            .iter()
            .position(|e| e.down_reference() == Some(reference))
        {
            if let Some(Envelope::Down(down)) = self.deferred.remove(pos) {
                return Ok(Some(down.reason));
            }
        }
        loop {
            let envelope = match deadline {
                Some(d) => match tokio::time::timeout_at(d, self.ctx.recv()).await {
                    Ok(r) => r?,
                    Err(_) => return Ok(None),
                },
                None => self.ctx.recv().await?,
            };
            match envelope {
                Envelope::Down(down) if &down.reference == reference => {
                    return Ok(Some(down.reason))
                }
                other => self.deferred.push_back(other),
            }
        }
    }
}
