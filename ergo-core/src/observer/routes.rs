//! The observer's HTTP server (axum): the pages, the server-sent event streams (overview
//! samples, log lines), `/metrics`, and the actions (send, exit, kill) as POSTs with the token.
//! Every handler checks access first (`auth.rs`). Owns the routes; must not render markup
//! (`pages.rs` does).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use ergo_etf::{Pid, Term};
use futures_util::stream;

use super::auth::{self, Access};
use super::{logs, pages, Observer};
use crate::inspect::Inspector;
use crate::node::Node;

type Shared = State<Arc<Observer>>;

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    observer: Arc<Observer>,
    mut stopped: tokio::sync::watch::Receiver<Option<Term>>,
) {
    let app = Router::new()
        .route("/", get(overview))
        .route("/processes", get(processes))
        .route("/process/{pid}", get(process))
        .route("/process/{pid}/send", post(send))
        .route("/process/{pid}/exit", post(exit))
        .route("/process/{pid}/kill", post(kill))
        .route("/supervision", get(supervision))
        .route("/applications", get(applications))
        .route("/network", get(network))
        .route("/names", get(names))
        .route("/logs", get(log_page))
        .route("/events/stats", get(stats_stream))
        .route("/events/logs", get(log_stream))
        .route("/metrics", get(metrics))
        .with_state(observer);
    let shutdown = async move {
        // The node stopped, or was dropped (the sender went with it).
        let _ = stopped.wait_for(Option::is_some).await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::warn!(%e, "observer server ended");
    }
}

/// The node, while it lives.
fn node(observer: &Observer) -> Result<Node, Response> {
    observer
        .node
        .upgrade()
        .ok_or_else(|| (StatusCode::SERVICE_UNAVAILABLE, "the node has stopped").into_response())
}

/// Checks a read and gives the inspector.
fn reader(
    observer: &Observer,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(Inspector, Access), Response> {
    let access = auth::read(observer, headers, query)?;
    Ok((node(observer)?.inspector(), access))
}

fn html(access: &Access, body: String) -> Response {
    auth::remember(access, Html(body).into_response())
}

macro_rules! page_handler {
    ($name:ident, $render:expr) => {
        async fn $name(State(o): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
            match reader(&o, &headers, q.as_deref()) {
                Ok((inspector, access)) => html(&access, $render(&inspector).await),
                Err(denied) => denied,
            }
        }
    };
}

async fn ready(s: String) -> String {
    s
}

page_handler!(overview, |i: &Inspector| ready(pages::overview(i)));
page_handler!(processes, |i: &Inspector| ready(pages::processes(i)));
page_handler!(applications, |i: &Inspector| ready(pages::applications(i)));
page_handler!(network, |i: &Inspector| ready(pages::network(i)));
page_handler!(names, |i: &Inspector| ready(pages::names(i)));
page_handler!(log_page, |i: &Inspector| ready(pages::logs(i)));

async fn supervision(State(o): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    match reader(&o, &headers, q.as_deref()) {
        Ok((inspector, access)) => html(&access, pages::supervision(&inspector).await),
        Err(denied) => denied,
    }
}

/// A local pid from its page's path segment (`0.42.0`).
fn local_pid(node: &Node, segment: &str) -> Option<Pid> {
    let mut parts = segment.split('.');
    let (Some("0"), Some(id), Some(serial), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(Pid {
        node: node.name().clone(),
        id: id.parse().ok()?,
        serial: serial.parse().ok()?,
        creation: node.creation(),
    })
}

fn no_process() -> Response {
    (StatusCode::NOT_FOUND, "no such process").into_response()
}

async fn process(
    State(o): Shared,
    Path(segment): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (inspector, access) = match reader(&o, &headers, q.as_deref()) {
        Ok(r) => r,
        Err(denied) => return denied,
    };
    let Some(pid) = local_pid(inspector.node(), &segment) else {
        return no_process();
    };
    match pages::process(&inspector, &pid, &access).await {
        Some(body) => html(&access, body),
        None => no_process(),
    }
}

/// An action's node, target pid and form fields.
type Target = (Node, Pid, Vec<(String, String)>);

/// Checks an action and gives the node, the target pid and the form's fields.
fn actor(o: &Observer, headers: &HeaderMap, segment: &str, body: &str) -> Result<Target, Response> {
    let form = auth::decode_form(body);
    auth::act(o, headers, &form)?;
    let node = node(o)?;
    let pid = local_pid(&node, segment).ok_or_else(no_process)?;
    if !node.is_alive(&pid) {
        return Err(no_process());
    }
    Ok((node, pid, form))
}

fn form_field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn back_to(pid: &Pid) -> Response {
    Redirect::to(&format!("/process/{}", super::html::pid_segment(pid))).into_response()
}

fn bad_request(why: String) -> Response {
    (StatusCode::BAD_REQUEST, why).into_response()
}

async fn send(
    State(o): Shared,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (node, pid, form) = match actor(&o, &headers, &segment, &body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let text = form_field(&form, "message").unwrap_or("");
    let message = match ergo_etf::text::parse(text) {
        Ok(term) => term,
        Err(e) => return bad_request(format!("not an Erlang term: {e}")),
    };
    tracing::info!(to = %Term::Pid(pid.clone()), %message, "observer: message sent");
    if let Err(e) = node.send(pid.clone(), message) {
        return bad_request(format!("not sent: {e}"));
    }
    back_to(&pid)
}

async fn exit(
    State(o): Shared,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (node, pid, form) = match actor(&o, &headers, &segment, &body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let reason = match ergo_etf::text::parse(form_field(&form, "reason").unwrap_or("shutdown")) {
        Ok(term) => term,
        Err(e) => return bad_request(format!("not an Erlang term: {e}")),
    };
    tracing::warn!(to = %Term::Pid(pid.clone()), %reason, "observer: exit signal sent");
    node.send_exit(&pid, reason);
    Redirect::to("/processes").into_response()
}

async fn kill(
    State(o): Shared,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (node, pid, _) = match actor(&o, &headers, &segment, &body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    tracing::warn!(to = %Term::Pid(pid.clone()), "observer: process killed");
    node.send_exit(&pid, Term::atom("kill"));
    Redirect::to("/supervision").into_response()
}

async fn metrics(State(o): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let (inspector, _) = match reader(&o, &headers, q.as_deref()) {
        Ok(r) => r,
        Err(denied) => return denied,
    };
    let text = super::metrics::render_metrics(&inspector).await;
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How long an event stream waits for something new before it ends (the browser's
/// `EventSource` reconnects after [`RETRY`], saying the last id it got). Short, finite
/// responses keep no request open for long: a page's loading can finish (what headless
/// browsers wait for), and the node's stop never waits on a stream.
const WAIT_FOR_NEW: Duration = Duration::from_millis(1500);

/// When the browser reconnects an event stream.
const RETRY: Duration = Duration::from_millis(1000);

/// The id the browser got last (`Last-Event-ID`), or the query's `after`.
fn last_event_id(headers: &HeaderMap, query: Option<&str>) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.and_then(|q| auth::field(q, "after")))
        .and_then(|v| v.parse().ok())
}

/// Waits (polling every 100 ms, at most [`WAIT_FOR_NEW`]) until `fresh` finds something.
async fn wait_for<T>(
    observer: &Arc<Observer>,
    mut fresh: impl FnMut(&Observer) -> Vec<T>,
) -> Vec<T> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_NEW;
    loop {
        let found = fresh(observer);
        if !found.is_empty() || tokio::time::Instant::now() >= deadline {
            return found;
        }
        if !observer.node.upgrade().is_some_and(|n| !n.is_stopped()) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn events(events: Vec<Event>) -> Response {
    let mut events = events;
    if let Some(first) = events.pop() {
        events.push(first.retry(RETRY));
    } else {
        events.push(Event::default().comment("nothing new").retry(RETRY));
    }
    let stream = stream::iter(events.into_iter().map(Ok::<Event, Infallible>));
    Sse::new(stream).into_response()
}

/// The overview's samples after the last one the page has (all kept ones at first).
async fn stats_stream(State(o): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if let Err(denied) = auth::read(&o, &headers, q.as_deref()) {
        return denied;
    }
    let after = last_event_id(&headers, q.as_deref()).unwrap_or(0);
    let samples = wait_for(&o, |o| {
        o.history
            .all()
            .into_iter()
            .filter(|s| s.unix_s > after)
            .collect()
    })
    .await;
    events(
        samples
            .into_iter()
            .map(|s| {
                let data = format!(
                    "{{\"unix_s\":{},\"processes\":{},\"memory_rss\":{},\"messages_per_s\":{},\"network_per_s\":{}}}",
                    s.unix_s, s.processes, s.memory_rss, s.messages_per_s, s.network_per_s
                );
                Event::default()
                    .event("sample")
                    .id(s.unix_s.to_string())
                    .data(data)
            })
            .collect(),
    )
}

/// The log lines after the last one the page has (`?after=N` at first).
async fn log_stream(State(o): Shared, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if let Err(denied) = auth::read(&o, &headers, q.as_deref()) {
        return denied;
    }
    let after = last_event_id(&headers, q.as_deref()).unwrap_or(0);
    let lines = wait_for(&o, |_| logs::lines_after(after)).await;
    events(
        lines
            .into_iter()
            .map(|line| {
                let data = format!(
                    "{{\"seq\":{},\"unix_ms\":{},\"level\":{},\"target\":{},\"text\":{}}}",
                    line.seq,
                    line.unix_ms,
                    json_string(line.level),
                    json_string(&line.target),
                    json_string(&line.text)
                );
                Event::default()
                    .event("line")
                    .id(line.seq.to_string())
                    .data(data)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn json_strings_escape_quotes_and_controls() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
