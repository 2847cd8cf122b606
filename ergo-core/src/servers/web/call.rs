//! Routes that call a process, here or on another node: the request body is an Erlang term in
//! text (`{add, 1, 2}`), the process is called with it, and the reply comes back as Erlang
//! text. Owns the mapping of call errors to status codes; must not serve connections.

use std::time::Duration;

use axum::body::Bytes;
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use ergo_etf::{Atom, Term};

use super::WebResponse;
use crate::node::{CallError, Dest, Node, SendError};

fn answer(status: u16, body: impl Into<String>) -> WebResponse {
    WebResponse::new(status, body.into()).header("content-type", "text/plain")
}

/// Where `/call/<name>` goes: `<name>` registered on this node, or `<name>@<node>` for the
/// process registered as `<name>` on node `<node>` (itself `x@host`).
pub fn parse_dest(text: &str) -> Option<Dest> {
    match text.split_once('@') {
        None if !text.is_empty() => Some(Dest::Name(Atom::new(text))),
        Some((name, node)) if !name.is_empty() && node.contains('@') => Some(Dest::Remote {
            name: Atom::new(name),
            node: Atom::new(node),
        }),
        _ => None,
    }
}

/// Calls `to` with the Erlang term written in `body` and gives the response: 200 with the
/// reply as Erlang text; 400 for a body that is not a term, 404 when no process has that name
/// (here or on the node named), 502 when the node cannot be reached, 503 when the server
/// rejected the call as busy, 504 at `timeout`, 500 when the server exited without replying.
pub async fn call_text(node: &Node, to: Dest, body: &[u8], timeout: Duration) -> WebResponse {
    let request: Term = match std::str::from_utf8(body)
        .ok()
        .and_then(|t| t.trim().parse::<Term>().ok())
    {
        Some(term) => term,
        None => return answer(400, "the body is not an Erlang term\n"),
    };
    match node.call_timeout::<Term>(to, request, timeout).await {
        Ok(reply) => answer(200, format!("{reply}\n")),
        Err(CallError::Timeout) => answer(504, "timeout\n"),
        Err(CallError::Send(SendError::NoProc(_))) => answer(404, "no such process\n"),
        Err(CallError::Down(reason)) if reason.is_atom("noproc") => {
            answer(404, "no such process\n")
        }
        Err(CallError::Down(reason)) if reason.is_atom("noconnection") => {
            answer(502, "node not reachable\n")
        }
        Err(CallError::Send(SendError::NoRoute(_) | SendError::NotConnected(_))) => {
            answer(502, "node not reachable\n")
        }
        Err(CallError::Rejected(_)) => answer(503, "busy\n"),
        Err(error) => {
            tracing::warn!(%error, "call through the web failed");
            answer(500, "call failed\n")
        }
    }
}

/// [`call_text`] as an axum response.
pub async fn call_process(node: &Node, to: Dest, body: &[u8], timeout: Duration) -> Response {
    super::route::response_of(call_text(node, to, body, timeout).await)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_paths_name_a_local_or_a_remote_process() {
        assert_eq!(parse_dest("calc"), Some(Dest::Name(Atom::new("calc"))));
        assert_eq!(
            parse_dest("calc@erl@localhost"),
            Some(Dest::Remote {
                name: Atom::new("calc"),
                node: Atom::new("erl@localhost"),
            })
        );
        assert_eq!(parse_dest(""), None);
        assert_eq!(parse_dest("calc@host"), None, "a node name has an @");
        assert_eq!(parse_dest("@a@b"), None);
    }
}
