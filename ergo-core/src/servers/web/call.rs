//! Routes that call a process, here or on another node: the request body is an Erlang term in
//! text (`{add, 1, 2}`), the process is called with it, and the reply comes back as Erlang
//! text. Owns the mapping of call errors to status codes; must not serve connections.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use ergo_etf::Term;

use crate::node::{CallError, Dest, Node, SendError};

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// Calls `to` with the Erlang term written in `body` and answers 200 with the reply as Erlang
/// text; 400 for a body that is not a term, 404 when no process has that name (here or on
/// the node named), 502 when the node cannot be reached, 503 when the server rejected the
/// call as busy, 504 at `timeout`, 500 when the server exited without replying.
pub async fn call_process(node: &Node, to: Dest, body: &[u8], timeout: Duration) -> Response {
    let request: Term = match std::str::from_utf8(body)
        .ok()
        .and_then(|t| t.trim().parse::<Term>().ok())
    {
        Some(term) => term,
        None => {
            return text(
                StatusCode::BAD_REQUEST,
                "the body is not an Erlang term\n".into(),
            )
        }
    };
    match node.call_timeout::<Term>(to, request, timeout).await {
        Ok(reply) => text(StatusCode::OK, format!("{reply}\n")),
        Err(CallError::Timeout) => text(StatusCode::GATEWAY_TIMEOUT, "timeout\n".into()),
        Err(CallError::Send(SendError::NoProc(_))) => {
            text(StatusCode::NOT_FOUND, "no such process\n".into())
        }
        Err(CallError::Down(reason)) if reason.is_atom("noproc") => {
            text(StatusCode::NOT_FOUND, "no such process\n".into())
        }
        Err(CallError::Down(reason)) if reason.is_atom("noconnection") => {
            text(StatusCode::BAD_GATEWAY, "node not reachable\n".into())
        }
        Err(CallError::Send(SendError::NoRoute(_) | SendError::NotConnected(_))) => {
            text(StatusCode::BAD_GATEWAY, "node not reachable\n".into())
        }
        Err(CallError::Rejected(_)) => text(StatusCode::SERVICE_UNAVAILABLE, "busy\n".into()),
        Err(error) => {
            tracing::warn!(%error, "call through the web failed");
            text(StatusCode::INTERNAL_SERVER_ERROR, "call failed\n".into())
        }
    }
}

/// A `POST` route calling `to` (a pid, a name here, or `{Name, Node}`) with the body's term.
pub fn call_route<S>(node: &Node, to: Dest, timeout: Duration) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let node = node.clone();
    post(move |body: Bytes| {
        let node = node.clone();
        let to = to.clone();
        async move { call_process(&node, to, &body, timeout).await }
    })
}
