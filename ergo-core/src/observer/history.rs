//! The overview's charts: one sample of the node a second (processes, memory, messages per
//! second), the last ten minutes kept, and sent to the overview page as server-sent events.
//! Owns the samples; must not change the node.

use std::collections::VecDeque;
use std::sync::{Mutex, Weak};
use std::time::Duration;

use super::Observer;

/// Samples kept: ten minutes at one a second.
const KEPT: usize = 600;

/// One second of the node.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sample {
    pub unix_s: u64,
    pub processes: usize,
    pub memory_rss: u64,
    /// Messages handled per second (mailbox takes), over the last second.
    pub messages_per_s: u64,
    /// Distribution messages in + out per second.
    pub network_per_s: u64,
}

#[derive(Default)]
pub(crate) struct History {
    samples: Mutex<VecDeque<Sample>>,
}

impl History {
    pub(crate) fn all(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect()
    }

    fn push(&self, sample: Sample) {
        let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        if samples.len() == KEPT {
            samples.pop_front();
        }
        samples.push_back(sample);
    }
}

/// Takes a sample a second while the observer (and its node) lives.
pub(crate) async fn sample(observer: Weak<Observer>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<(u64, u64)> = None;
    loop {
        tick.tick().await;
        let Some(observer) = observer.upgrade() else {
            return;
        };
        let Some(node) = observer.node.upgrade() else {
            return;
        };
        if node.is_stopped() {
            return;
        }
        let summary = node.inspector().summary();
        let network = summary.network_messages_in + summary.network_messages_out;
        let (messages_per_s, network_per_s) = match last {
            Some((m, n)) => (
                summary.messages_handled.saturating_sub(m),
                network.saturating_sub(n),
            ),
            None => (0, 0),
        };
        last = Some((summary.messages_handled, network));
        observer.history.push(Sample {
            unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            processes: summary.processes,
            memory_rss: summary.memory_rss.unwrap_or(0),
            messages_per_s,
            network_per_s,
        });
    }
}
