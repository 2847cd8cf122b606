//! The observer's live log view: a `tracing` layer ([`log_layer`]) that keeps the last lines in
//! a ring (one per program: a subscriber is global) and tells the log page's listeners of each
//! new one. The program adds the layer to its subscriber (`ergo::logging::init` does, with the
//! feature `observer`). Owns the ring; must not print.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Lines the ring keeps.
pub(crate) const RING_LINES: usize = 1000;

/// One log line.
#[derive(Clone, Debug)]
pub struct LogLine {
    /// Its number since the program started (the log page asks for lines after the last it has).
    pub seq: u64,
    /// When it was logged, in milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub level: &'static str,
    /// The event's target (module path, usually).
    pub target: String,
    /// The message and the other fields, `key=value`.
    pub text: String,
}

struct Ring {
    lines: VecDeque<LogLine>,
    next: u64,
}

fn ring() -> &'static Mutex<Ring> {
    static RING: OnceLock<Mutex<Ring>> = OnceLock::new();
    RING.get_or_init(|| {
        Mutex::new(Ring {
            lines: VecDeque::with_capacity(RING_LINES),
            next: 1,
        })
    })
}

fn lock() -> std::sync::MutexGuard<'static, Ring> {
    ring().lock().unwrap_or_else(|p| p.into_inner())
}

/// The lines after `seq`, oldest first.
pub(crate) fn lines_after(seq: u64) -> Vec<LogLine> {
    lock()
        .lines
        .iter()
        .filter(|l| l.seq > seq)
        .cloned()
        .collect()
}

/// The `tracing` layer that feeds the observer's log view.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogLayer;

/// The layer to add to the program's subscriber for the observer's log view.
pub fn log_layer() -> LogLayer {
    LogLayer
}

struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields {
            message: String::new(),
            rest: String::new(),
        };
        event.record(&mut fields);
        let meta = event.metadata();
        let unix_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut ring = lock();
        let seq = ring.next;
        ring.next += 1;
        if ring.lines.len() == RING_LINES {
            ring.lines.pop_front();
        }
        ring.lines.push_back(LogLine {
            seq,
            unix_ms,
            level: meta.level().as_str(),
            target: meta.target().to_string(),
            text: format!("{}{}", fields.message, fields.rest),
        });
    }
}
