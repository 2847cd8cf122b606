//! The web server (feature `web`): axum routes on hyper (HTTP/1.1 and HTTP/2, TLS with the
//! distribution's certificate options, graceful shutdown), with routes served by handler
//! processes (`route`: a request message with a reply handle, answered now or later; 504 at
//! the request timeout, 503 past the queue limit or when every handler is full, 500 when the
//! handler drops the request or crashes, 413 over the body limit), and routes that call any
//! process, local or on another node, with an Erlang-text body (`call`). Owns the HTTP side;
//! must not know what handlers do.

mod call;
mod request;
mod route;
mod server;

pub use call::{call_process, call_route, call_text, parse_dest};
pub use request::{WebReply, WebRequest, WebResponse};
pub use route::{process_route, RouteOptions};
pub use server::{WebServer, WebServerOptions};

/// axum, as the web server uses it (build routers with `ergo::servers::web::axum::Router`).
pub use axum;
