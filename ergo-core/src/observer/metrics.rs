//! The Prometheus text of a node (`/metrics` on the observer), made with `prometheus-client` at
//! each scrape from the inspect API: nothing is counted on the hot paths for it. Families:
//! `ergo_processes`, `ergo_processes_spawned_total`, `ergo_messages_handled_total`,
//! `ergo_memory_resident_bytes`, `ergo_uptime_seconds`, `ergo_calls_handled_total`,
//! `ergo_call_duration_seconds` (a histogram of the calls gen_servers handled, one in
//! `CALL_SAMPLE` timed), `ergo_mailbox_length` (a histogram over
//! the live processes), `ergo_connection_messages_total` / `ergo_connection_bytes_total` (per
//! peer and direction), `ergo_connection_atom_cache_entries`, `ergo_supervisor_restarts_total`
//! (per supervisor), `ergo_handshake_failures_total` (per reason). Owns only the rendering.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::inspect::Inspector;

/// Mailbox length buckets of `ergo_mailbox_length`.
const MAILBOX_BUCKETS: [f64; 8] = [0.0, 1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0];

/// The node's sampled call durations as a Prometheus histogram (in seconds).
#[derive(Debug)]
struct CallDurationMetric(crate::node::CallDurations);

impl EncodeMetric for CallDurationMetric {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let bounds = crate::node::CALL_BUCKETS_US
            .iter()
            .map(|us| *us as f64 / 1e6)
            .chain(std::iter::once(f64::MAX));
        let buckets: Vec<(f64, u64)> = bounds.zip(self.0.buckets.iter().copied()).collect();
        encoder.encode_histogram::<NoLabelSet>(
            self.0.sum.as_secs_f64(),
            self.0.count(),
            &buckets,
            None,
        )
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

fn counter(value: u64) -> Counter {
    let c = Counter::default();
    c.inc_by(value);
    c
}

fn gauge(value: i64) -> Gauge {
    let g = Gauge::default();
    g.set(value);
    g
}

/// The node's metrics in Prometheus' text format.
pub async fn render_metrics(inspector: &Inspector) -> String {
    let mut registry = Registry::default();
    let summary = inspector.summary();
    let processes = inspector.node().process_infos();
    registry.register(
        "ergo_processes",
        "Live processes",
        gauge(summary.processes as i64),
    );
    registry.register(
        "ergo_processes_spawned",
        "Processes spawned since the node started",
        counter(summary.processes_spawned),
    );
    registry.register(
        "ergo_messages_handled",
        "Envelopes taken from mailboxes by all processes",
        counter(summary.messages_handled),
    );
    registry.register(
        "ergo_calls_handled",
        "Calls gen_servers have handled",
        counter(summary.calls_handled),
    );
    registry.register(
        "ergo_call_duration_seconds",
        "Time gen_servers took to handle calls (one call in 16 per server timed)",
        CallDurationMetric(summary.call_durations.clone()),
    );
    registry.register(
        "ergo_uptime_seconds",
        "Time since the node started",
        gauge(summary.uptime.as_secs() as i64),
    );
    if let Some(rss) = summary.memory_rss {
        registry.register(
            "ergo_memory_resident_bytes",
            "Resident memory of the OS process",
            gauge(rss as i64),
        );
    }
    let mailboxes = Histogram::new(MAILBOX_BUCKETS);
    for p in &processes {
        mailboxes.observe(p.mailbox_len as f64);
    }
    registry.register(
        "ergo_mailbox_length",
        "Mailbox lengths of the live processes",
        mailboxes,
    );
    if let Some(network) = inspector.network() {
        let messages = Family::<Vec<(String, String)>, Counter>::default();
        let bytes = Family::<Vec<(String, String)>, Counter>::default();
        let atoms = Family::<Vec<(String, String)>, Gauge>::default();
        for peer in &network.peers {
            let label = |direction: &str| {
                vec![
                    ("peer".to_string(), peer.name.to_string()),
                    ("direction".to_string(), direction.to_string()),
                ]
            };
            messages
                .get_or_create(&label("in"))
                .inc_by(peer.messages_in);
            messages
                .get_or_create(&label("out"))
                .inc_by(peer.messages_out);
            bytes.get_or_create(&label("in")).inc_by(peer.bytes_in);
            bytes.get_or_create(&label("out")).inc_by(peer.bytes_out);
            atoms
                .get_or_create(&vec![("peer".to_string(), peer.name.to_string())])
                .set(peer.atom_cache_entries as i64);
        }
        registry.register(
            "ergo_connection_messages",
            "Distribution messages per connection and direction",
            messages,
        );
        registry.register(
            "ergo_connection_bytes",
            "Distribution bytes per connection and direction",
            bytes,
        );
        registry.register(
            "ergo_connection_atom_cache_entries",
            "Outgoing atom cache entries in use per connection",
            atoms,
        );
        let failures = Family::<Vec<(String, String)>, Counter>::default();
        for (reason, n) in &network.handshake_failures {
            failures
                .get_or_create(&vec![("reason".to_string(), reason.clone())])
                .inc_by(*n);
        }
        registry.register(
            "ergo_handshake_failures",
            "Failed distribution handshakes by reason",
            failures,
        );
    }
    let restarts = Family::<Vec<(String, String)>, Counter>::default();
    for p in processes.iter().filter(|p| p.kind == "supervisor") {
        if let Ok(report) = inspector.supervisor(&p.pid).await {
            let name = p.name.as_ref().map(|n| n.to_string()).unwrap_or_default();
            restarts
                .get_or_create(&vec![
                    ("supervisor".to_string(), crate::inspect::pid_text(&p.pid)),
                    ("name".to_string(), name),
                ])
                .inc_by(report.restarts);
        }
    }
    registry.register(
        "ergo_supervisor_restarts",
        "Child restarts per supervisor",
        restarts,
    );
    let mut text = String::new();
    if let Err(e) = encode(&mut text, &registry) {
        tracing::warn!(%e, "metrics could not be encoded");
    }
    text
}
