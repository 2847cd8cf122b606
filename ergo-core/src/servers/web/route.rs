//! A route served by handler processes: the request becomes a [`WebRequest`] message to the
//! next handler with room (round-robin), and the response is whatever comes back through its
//! reply handle, within the route's limits. Owns `RouteOptions` and the status codes of those
//! limits; must not serve connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};
use ergo_etf::Pid;

use super::{WebReply, WebRequest, WebResponse};
use crate::node::Node;
use crate::process::{Envelope, Payload, PushError};

/// The limits of a process-served route.
#[derive(Clone, Copy, Debug)]
pub struct RouteOptions {
    /// How long a request may wait for its answer (default 5 s): then 504.
    pub timeout: Duration,
    /// How many requests of this route may be in flight at once (default 1,000): past it, 503
    /// at once. Handlers with bounded mailboxes give 503 also when all of them are full.
    pub queue_limit: usize,
    /// The largest body taken (default 1 MiB): past it, 413.
    pub body_limit: usize,
}

impl Default for RouteOptions {
    fn default() -> Self {
        RouteOptions {
            timeout: Duration::from_secs(5),
            queue_limit: 1000,
            body_limit: 1 << 20,
        }
    }
}

struct RouteState {
    node: Node,
    handlers: Vec<Pid>,
    next: AtomicUsize,
    in_flight: AtomicUsize,
    options: RouteOptions,
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], text).into_response()
}

pub(super) fn response_of(answer: WebResponse) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status);
    for (name, value) in &answer.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Body::from(answer.body))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "a handler's response has an invalid header");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        })
}

/// A route (any method) served by `handlers` (local processes, in turn): each gets
/// [`WebRequest`] messages and answers through their [`WebReply`].
pub fn process_route<S>(node: &Node, handlers: Vec<Pid>, options: RouteOptions) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let state = Arc::new(RouteState {
        node: node.clone(),
        handlers,
        next: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        options,
    });
    any(move |request: Request| {
        let state = Arc::clone(&state);
        async move { serve(&state, request).await }
    })
}

async fn serve(state: &RouteState, request: Request) -> Response {
    if state.in_flight.fetch_add(1, Ordering::AcqRel) >= state.options.queue_limit {
        state.in_flight.fetch_sub(1, Ordering::AcqRel);
        return plain(StatusCode::SERVICE_UNAVAILABLE, "busy");
    }
    let _in_flight = InFlight(&state.in_flight);
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, state.options.body_limit).await {
        Ok(body) => body,
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large"),
    };
    let (reply, answered) = WebReply::new();
    let mut envelope = Envelope::Message(Payload::new(WebRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), bytes::Bytes::copy_from_slice(v.as_bytes())))
            .collect(),
        body,
        reply,
    }));
    let n = state.handlers.len();
    let start = state.next.fetch_add(1, Ordering::Relaxed);
    let mut queued = false;
    for k in 0..n {
        let Some(entry) = state.node.entry(&state.handlers[(start + k) % n]) else {
            continue;
        };
        match entry.mailbox.push(envelope, false) {
            Ok(()) => {
                queued = true;
                break;
            }
            Err(PushError::Full(back)) | Err(PushError::Closed(back)) => envelope = back,
        }
    }
    if !queued {
        // Dropping the envelope drops its reply handle: nothing waits on it.
        return plain(StatusCode::SERVICE_UNAVAILABLE, "busy");
    }
    match tokio::time::timeout(state.options.timeout, answered).await {
        Ok(Ok(answer)) => response_of(answer),
        Ok(Err(_)) => {
            tracing::warn!(path = %parts.uri.path(), "web handler dropped a request unanswered (or crashed)");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
        Err(_) => plain(StatusCode::GATEWAY_TIMEOUT, "timeout"),
    }
}
