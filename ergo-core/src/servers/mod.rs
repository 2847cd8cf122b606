//! Servers whose traffic is served by processes: a TCP server (`tcp`: an acceptor process, one
//! connection process per socket, framing from tokio-util's codecs, back-pressure through the
//! handlers' bounded mailboxes), a UDP server (`udp`), and (feature `web`) a web server on axum
//! and hyper (`web`). Handlers are ordinary processes that receive events as messages
//! (`events`) and answer through handles; TLS uses the distribution's certificate options.
//! Owns sockets that are not distribution sockets; must not touch the DIST protocol, and names
//! `net` only for its TLS configuration.

mod deliver;
mod error;
mod events;
mod framing;
mod handlers;
mod stream;
mod tcp;
mod udp;
#[cfg(feature = "web")]
pub mod web;

pub use error::ServerError;
pub use events::{Connection, TcpCommand, TcpEvent, UdpCommand, UdpEvent, UdpReplier};
pub use framing::{FrameError, Framing};
pub use handlers::{Handlers, SpawnHandler};
pub use tcp::{TcpServer, TcpServerOptions};
pub use udp::{UdpServer, UdpServerOptions, UdpStats};
