//! What a handler process receives for an HTTP request and how it answers: `WebRequest` (a
//! local message: method, path, query, headers, body, and its reply handle) and `WebReply`
//! (one answer; dropped unanswered, the client gets 500). Owns these types; must not touch
//! connections.

use bytes::Bytes;
use ergo_etf::{IntoTerm, Term};
use tokio::sync::oneshot;

/// An HTTP response a handler gives.
#[derive(Clone, Debug, PartialEq)]
pub struct WebResponse {
    /// The status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl WebResponse {
    /// A response with `status` and `body`.
    pub fn new(status: u16, body: impl Into<Bytes>) -> WebResponse {
        WebResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// 200 with `body`.
    pub fn ok(body: impl Into<Bytes>) -> WebResponse {
        WebResponse::new(200, body)
    }

    /// The same response with one more header.
    pub fn header(mut self, name: &str, value: &str) -> WebResponse {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// The handle that answers one request, now or later (it may be moved to another task or
/// process); the first answer is the one sent. Dropped unanswered (the handler forgot, or
/// crashed), the client gets 500 with no detail.
#[derive(Debug)]
pub struct WebReply {
    answer: oneshot::Sender<WebResponse>,
}

impl WebReply {
    pub(crate) fn new() -> (WebReply, oneshot::Receiver<WebResponse>) {
        let (answer, answered) = oneshot::channel();
        (WebReply { answer }, answered)
    }

    /// Answers; false when the request is over already (timed out, or the client left).
    pub fn send(self, response: WebResponse) -> bool {
        self.answer.send(response).is_ok()
    }

    /// True while the client still waits.
    pub fn is_waiting(&self) -> bool {
        !self.answer.is_closed()
    }
}

/// An HTTP request for a handler process.
#[derive(Debug)]
pub struct WebRequest {
    /// `GET`, `POST`...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any (without `?`).
    pub query: Option<String>,
    /// The headers, in order.
    pub headers: Vec<(String, Bytes)>,
    /// The whole body (within the route's body limit).
    pub body: Bytes,
    /// The answer's handle.
    pub reply: WebReply,
}

/// A request rendered as a term (for an untyped receiver, which cannot answer it: the reply
/// handle is not a term, so the client gets 500):
/// `{http_request, Method, Path, Query, [{Name, Value}], Body}`.
impl IntoTerm for WebRequest {
    fn into_term(self) -> Term {
        let text = |s: String| Term::binary(s.into_bytes());
        Term::tuple(vec![
            Term::atom("http_request"),
            text(self.method),
            text(self.path),
            self.query.map_or(Term::atom("undefined"), text),
            Term::List(
                self.headers
                    .into_iter()
                    .map(|(n, v)| Term::tuple(vec![text(n), Term::Binary(v)]))
                    .collect(),
            ),
            Term::Binary(self.body),
        ])
    }
}

/// A request cannot come from a term (its reply handle is not one): this always fails. It
/// exists so a handler can take its messages as `WebRequest` (`Payload::take`,
/// `Context::recv_as`), which finds the local value without any term.
impl ergo_etf::FromTerm for WebRequest {
    fn from_term(term: Term) -> Result<WebRequest, ergo_etf::ConvertError> {
        Err(ergo_etf::ConvertError::new(
            "WebRequest",
            "a request from the web server (never a term)",
            &term,
        ))
    }
}
