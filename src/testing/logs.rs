//! The kits' log capture: a `tracing` subscriber set as the test thread's default while a kit
//! lives (`tracing::subscriber::set_default`), recording every event with its level, target,
//! message and fields, and the process it was logged in (the runtime runs each process in a
//! `process` span carrying its pid); `should_log` asserts on them. Events also go on to the
//! subscriber that was the default before (so a test's own log output stays). Owns the capture
//! and its assertions; must not drive any process.
//!
//! Spans are tracked here only to know the process; they are not passed on. Events logged on
//! other threads (a multi-threaded runtime's workers) are not captured: the kits run on the
//! test's current-thread runtime.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{DefaultGuard, Interest};
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

use super::recorder::lock;

/// One tracing event the kit captured.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEvent {
    /// Its level.
    pub level: Level,
    /// Its target (the module path, unless set).
    pub target: String,
    /// Its message (the `message` field), empty when it has none.
    pub message: String,
    /// Its other fields, in order, values as `Display` (strings) or `Debug` shows them.
    pub fields: Vec<(String, String)>,
    /// The pid (as `<A.B.C>` text) of the process it was logged in, if any.
    pub process: Option<String>,
}

impl std::fmt::Display for LogEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.level, self.target)?;
        if let Some(pid) = &self.process {
            write!(f, " in {pid}")?;
        }
        write!(f, ": {:?}", self.message)?;
        for (name, value) in &self.fields {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// The events captured, each with whether an assertion has claimed it.
pub(super) type Events = Arc<Mutex<Vec<(LogEvent, bool)>>>;

/// A span the capture tracks: the process it belongs to, and how many handles it has.
struct SpanInfo {
    process: Option<String>,
    refs: usize,
}

/// The subscriber.
struct Capture {
    events: Events,
    /// The default before the kit's, which events go on to.
    previous: Dispatch,
    spans: Mutex<HashMap<u64, SpanInfo>>,
    /// The spans entered on the test thread, innermost last.
    entered: Mutex<Vec<u64>>,
    next_id: AtomicU64,
}

/// Collects an event's or a span's fields.
#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields
                .push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name().to_string(), text));
        }
    }
}

impl Capture {
    /// The process of the innermost entered span that belongs to one.
    fn current_process(&self) -> Option<String> {
        let entered = lock(&self.entered);
        let spans = lock(&self.spans);
        entered
            .iter()
            .rev()
            .find_map(|id| spans.get(id).and_then(|s| s.process.clone()))
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // Sometimes: other threads' dispatchers decide for themselves.
        Interest::sometimes()
    }

    fn enabled(&self, _metadata: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut fields = Fields::default();
        span.record(&mut fields);
        let own = (span.metadata().name() == "process")
            .then(|| {
                fields
                    .fields
                    .iter()
                    .find(|(name, _)| name == "pid")
                    .map(|(_, pid)| pid.clone())
            })
            .flatten();
        let parent = if let Some(parent) = span.parent() {
            Some(parent.into_u64())
        } else if span.is_contextual() {
            lock(&self.entered).last().copied()
        } else {
            None
        };
        let mut spans = lock(&self.spans);
        let process = own.or_else(|| {
            parent
                .and_then(|p| spans.get(&p))
                .and_then(|s| s.process.clone())
        });
        spans.insert(id, SpanInfo { process, refs: 1 });
        Id::from_u64(id)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let process = match event.parent() {
            Some(parent) => lock(&self.spans)
                .get(&parent.into_u64())
                .and_then(|s| s.process.clone()),
            None if event.is_contextual() => self.current_process(),
            None => None,
        };
        let metadata = event.metadata();
        lock(&self.events).push((
            LogEvent {
                level: *metadata.level(),
                target: metadata.target().to_string(),
                message: fields.message,
                fields: fields.fields,
                process,
            },
            false,
        ));
        if self.previous.enabled(metadata) {
            self.previous.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        lock(&self.entered).push(span.into_u64());
    }

    fn exit(&self, span: &Id) {
        let mut entered = lock(&self.entered);
        if let Some(at) = entered.iter().rposition(|id| *id == span.into_u64()) {
            entered.remove(at);
        }
    }

    fn clone_span(&self, id: &Id) -> Id {
        if let Some(span) = lock(&self.spans).get_mut(&id.into_u64()) {
            span.refs += 1;
        }
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        let mut spans = lock(&self.spans);
        let Some(span) = spans.get_mut(&id.into_u64()) else {
            return false;
        };
        span.refs = span.refs.saturating_sub(1);
        if span.refs == 0 {
            spans.remove(&id.into_u64());
            return true;
        }
        false
    }
}

/// The capture installed for a kit: the events, and the guard that puts the previous default
/// back when the kit is dropped.
pub(super) struct LogCapture {
    pub(super) events: Events,
    _guard: DefaultGuard,
}

impl LogCapture {
    /// Sets the capture as the current thread's default subscriber.
    pub(super) fn install() -> LogCapture {
        let events: Events = Arc::default();
        let previous = tracing::dispatcher::get_default(Dispatch::clone);
        let capture = Capture {
            events: Arc::clone(&events),
            previous,
            spans: Mutex::default(),
            entered: Mutex::default(),
            next_id: AtomicU64::new(1),
        };
        let guard = tracing::subscriber::set_default(capture);
        LogCapture {
            events,
            _guard: guard,
        }
    }
}

/// Which events an assertion looks at.
#[derive(Clone, Debug)]
pub(super) enum Scope {
    /// Those logged in this process (its pid as text).
    Process(String),
    /// Those logged in any process.
    AnyProcess,
}

/// A log assertion being built: `kit.should_log(Level::WARN).containing("late").once()`.
#[must_use = "a log assertion checks nothing until once(), times(n) or never()"]
pub struct LogExpect {
    events: Events,
    scope: Scope,
    level: Level,
    containing: Option<String>,
    fields: Vec<(String, String)>,
}

impl LogExpect {
    pub(super) fn new(events: Events, scope: Scope, level: Level) -> LogExpect {
        LogExpect {
            events,
            scope,
            level,
            containing: None,
            fields: Vec::new(),
        }
    }

    /// Only events whose message contains `text`.
    pub fn containing(mut self, text: &str) -> LogExpect {
        self.containing = Some(text.to_string());
        self
    }

    /// Only events with the field `name` whose value shows as `value` (a `%` or string field
    /// as its text, a `?` field as its `Debug`, a number as its digits).
    pub fn field(mut self, name: &str, value: impl std::fmt::Display) -> LogExpect {
        self.fields.push((name.to_string(), value.to_string()));
        self
    }

    /// Exactly one such event was logged (and no assertion claimed it before).
    #[track_caller]
    pub fn once(self) {
        self.times(1)
    }

    /// None was logged.
    #[track_caller]
    pub fn never(self) {
        self.times(0)
    }

    /// Exactly `n` were logged (and no assertion claimed them before).
    #[track_caller]
    pub fn times(self, n: usize) {
        let mut events = lock(&self.events);
        let matching: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, (event, claimed))| !claimed && self.matches(event))
            .map(|(i, _)| i)
            .collect();
        if matching.len() != n {
            let listing = self.listing(&events);
            drop(events);
            panic!(
                "expected {n} {}, found {}\nevents logged{} ([x]: claimed by an earlier assertion):\n{listing}",
                self.wanted(),
                matching.len(),
                match &self.scope {
                    Scope::Process(pid) => format!(" in {pid}"),
                    Scope::AnyProcess => " in the kit's processes".into(),
                },
            );
        }
        for i in matching {
            events[i].1 = true;
        }
    }

    fn in_scope(&self, event: &LogEvent) -> bool {
        match &self.scope {
            Scope::Process(pid) => event.process.as_deref() == Some(pid.as_str()),
            Scope::AnyProcess => event.process.is_some(),
        }
    }

    fn matches(&self, event: &LogEvent) -> bool {
        self.in_scope(event)
            && event.level == self.level
            && self
                .containing
                .as_ref()
                .map_or(true, |text| event.message.contains(text.as_str()))
            && self
                .fields
                .iter()
                .all(|want| event.fields.iter().any(|got| got == want))
    }

    fn wanted(&self) -> String {
        let mut text = format!("{} event", self.level);
        if let Some(containing) = &self.containing {
            text += &format!(" containing {containing:?}");
        }
        for (name, value) in &self.fields {
            text += &format!(" with {name}={value}");
        }
        text
    }

    fn listing(&self, events: &[(LogEvent, bool)]) -> String {
        let lines: Vec<String> = events
            .iter()
            .filter(|(event, _)| self.in_scope(event))
            .map(|(event, claimed)| format!("  {} {event}", if *claimed { "[x]" } else { "[ ]" }))
            .collect();
        if lines.is_empty() {
            "  (none)".into()
        } else {
            lines.join("\n")
        }
    }
}
