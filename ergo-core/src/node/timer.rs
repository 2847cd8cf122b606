//! Delayed sends (`erlang:send_after`) and their cancellation. Owns `TimerHandle`; must not
//! know what is sent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ergo_etf::IntoTerm;

use super::{Dest, Node};
use crate::process::{Envelope, Payload};

/// A pending `send_after`. Dropping the handle does not cancel the timer.
#[derive(Debug)]
pub struct TimerHandle {
    fired: Arc<AtomicBool>,
    task: tokio::task::AbortHandle,
}

impl TimerHandle {
    /// Cancels the timer; true if it had not fired yet (the message will never arrive).
    pub fn cancel(&self) -> bool {
        let cancelled = self
            .fired
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        self.task.abort();
        cancelled
    }
}

impl Node {
    /// Sends `message` to `to` after `delay`.
    pub fn send_after(
        &self,
        to: impl Into<Dest>,
        message: impl IntoTerm + Send + 'static,
        delay: Duration,
    ) -> TimerHandle {
        let fired = Arc::new(AtomicBool::new(false));
        let node = self.clone();
        let to = to.into();
        let flag = Arc::clone(&fired);
        let task = self.inner.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            if flag
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                if let Err(error) =
                    node.send_envelope(None, &to, Envelope::Message(Payload::new(message)))
                {
                    tracing::debug!(%error, "send_after could not deliver");
                }
            }
        });
        TimerHandle {
            fired,
            task: task.abort_handle(),
        }
    }
}
