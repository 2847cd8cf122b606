//! What handler processes receive and send: TCP and UDP events and commands, as typed values
//! that stay Rust values on this node and render as Erlang terms (`{tcp, Conn, Data}`...) for
//! untyped or remote processes, and the handles that send the commands. Owns these types; must
//! not touch sockets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use ergo_etf::{ConvertError, FromTerm, IntoTerm, Pid, Term};

use crate::node::{Node, SendError};

/// `{{A, B, C, D}, Port}` (or the 8-element IPv6 tuple), as `inet` writes a peer address.
pub(crate) fn address_term(address: SocketAddr) -> Term {
    let ip = match address.ip() {
        IpAddr::V4(v4) => Term::tuple(
            v4.octets()
                .iter()
                .map(|o| Term::Int(i64::from(*o)))
                .collect::<Vec<_>>(),
        ),
        IpAddr::V6(v6) => Term::tuple(
            v6.segments()
                .iter()
                .map(|s| Term::Int(i64::from(*s)))
                .collect::<Vec<_>>(),
        ),
    };
    Term::tuple(vec![ip, Term::Int(i64::from(address.port()))])
}

fn address_of(term: &Term) -> Option<SocketAddr> {
    let Term::Tuple(pair) = term else { return None };
    let [Term::Tuple(ip), Term::Int(port)] = pair.as_slice() else {
        return None;
    };
    let port = u16::try_from(*port).ok()?;
    let parts: Option<Vec<u16>> = ip
        .iter()
        .map(|p| match p {
            Term::Int(i) => u16::try_from(*i).ok(),
            _ => None,
        })
        .collect();
    let parts = parts?;
    let ip = match parts.as_slice() {
        [a, b, c, d] => IpAddr::V4(Ipv4Addr::new(
            u8::try_from(*a).ok()?,
            u8::try_from(*b).ok()?,
            u8::try_from(*c).ok()?,
            u8::try_from(*d).ok()?,
        )),
        [a, b, c, d, e, f, g, h] => IpAddr::V6(Ipv6Addr::new(*a, *b, *c, *d, *e, *f, *g, *h)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

fn elems(term: &Term) -> &[Term] {
    match term {
        Term::Tuple(e) => e.as_slice(),
        _ => &[],
    }
}

/// What a TCP handler receives about a connection (the connection is the pid of the process
/// that owns the socket).
#[derive(Clone, Debug, PartialEq)]
pub enum TcpEvent {
    /// A client connected: `{tcp_connected, Conn, {Ip, Port}}`.
    Connected {
        /// The connection.
        conn: Pid,
        /// The client's address.
        peer: SocketAddr,
    },
    /// A frame arrived: `{tcp, Conn, Data}`.
    Data {
        /// The connection.
        conn: Pid,
        /// The frame (without its framing).
        data: Bytes,
    },
    /// The connection closed: `{tcp_closed, Conn, Reason}` (`closed` when the client closed
    /// it, `idle_timeout`, `{frame_error, Text}`, `{socket_error, Text}`, `closed_by_handler`).
    Disconnected {
        /// The connection.
        conn: Pid,
        /// Why.
        reason: Term,
    },
}

impl TcpEvent {
    /// The connection the event is about.
    pub fn conn(&self) -> &Pid {
        match self {
            TcpEvent::Connected { conn, .. }
            | TcpEvent::Data { conn, .. }
            | TcpEvent::Disconnected { conn, .. } => conn,
        }
    }
}

impl IntoTerm for TcpEvent {
    fn into_term(self) -> Term {
        match self {
            TcpEvent::Connected { conn, peer } => Term::tuple(vec![
                Term::atom("tcp_connected"),
                Term::Pid(conn),
                address_term(peer),
            ]),
            TcpEvent::Data { conn, data } => {
                Term::tuple(vec![Term::atom("tcp"), Term::Pid(conn), Term::Binary(data)])
            }
            TcpEvent::Disconnected { conn, reason } => {
                Term::tuple(vec![Term::atom("tcp_closed"), Term::Pid(conn), reason])
            }
        }
    }
}

impl FromTerm for TcpEvent {
    fn from_term(term: Term) -> Result<TcpEvent, ConvertError> {
        let bad = || {
            ConvertError::new(
                "TcpEvent",
                "{tcp | tcp_connected | tcp_closed, Conn, _}",
                &term,
            )
        };
        match elems(&term) {
            [tag, Term::Pid(conn), peer] if tag.is_atom("tcp_connected") => {
                Ok(TcpEvent::Connected {
                    conn: conn.clone(),
                    peer: address_of(peer).ok_or_else(bad)?,
                })
            }
            [tag, Term::Pid(conn), Term::Binary(data)] if tag.is_atom("tcp") => {
                Ok(TcpEvent::Data {
                    conn: conn.clone(),
                    data: data.clone(),
                })
            }
            [tag, Term::Pid(conn), reason] if tag.is_atom("tcp_closed") => {
                Ok(TcpEvent::Disconnected {
                    conn: conn.clone(),
                    reason: reason.clone(),
                })
            }
            _ => Err(bad()),
        }
    }
}

/// What a connection process takes: `{tcp_send, Data}` or `tcp_close` (any process, Erlang ones
/// too, may send them).
#[derive(Clone, Debug, PartialEq)]
pub enum TcpCommand {
    /// Write one frame (the framing is added).
    Write(Bytes),
    /// Close the connection after what was written before.
    Close,
}

impl IntoTerm for TcpCommand {
    fn into_term(self) -> Term {
        match self {
            TcpCommand::Write(data) => {
                Term::tuple(vec![Term::atom("tcp_send"), Term::Binary(data)])
            }
            TcpCommand::Close => Term::atom("tcp_close"),
        }
    }
}

impl FromTerm for TcpCommand {
    fn from_term(term: Term) -> Result<TcpCommand, ConvertError> {
        if term.is_atom("tcp_close") {
            return Ok(TcpCommand::Close);
        }
        match elems(&term) {
            [tag, Term::Binary(data)] if tag.is_atom("tcp_send") => {
                Ok(TcpCommand::Write(data.clone()))
            }
            _ => Err(ConvertError::new(
                "TcpCommand",
                "{tcp_send, Binary} | tcp_close",
                &term,
            )),
        }
    }
}

/// A handle on one TCP connection: writes frames to it and closes it (messages to the
/// connection process, so they keep their order and never block the handler).
#[derive(Clone, Debug)]
pub struct Connection {
    node: Node,
    conn: Pid,
}

impl Connection {
    /// The handle of connection `conn` (the pid in its events) on `node`.
    pub fn new(node: &Node, conn: Pid) -> Connection {
        Connection {
            node: node.clone(),
            conn,
        }
    }

    /// The connection process.
    pub fn pid(&self) -> &Pid {
        &self.conn
    }

    /// Writes one frame (framed as the server frames). A connection that has closed drops it,
    /// as a send to a dead process is dropped.
    pub fn write(&self, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.node
            .send(self.conn.clone(), TcpCommand::Write(data.into()))
    }

    /// Closes the connection once what was written before has gone out.
    pub fn close(&self) -> Result<(), SendError> {
        self.node.send(self.conn.clone(), TcpCommand::Close)
    }
}

/// A datagram for a UDP handler: `{udp, Server, {Ip, Port}, Data}`.
#[derive(Clone, Debug, PartialEq)]
pub struct UdpEvent {
    /// The UDP server's process (where replies go).
    pub server: Pid,
    /// Who sent it.
    pub peer: SocketAddr,
    /// The datagram.
    pub data: Bytes,
}

impl IntoTerm for UdpEvent {
    fn into_term(self) -> Term {
        Term::tuple(vec![
            Term::atom("udp"),
            Term::Pid(self.server),
            address_term(self.peer),
            Term::Binary(self.data),
        ])
    }
}

impl FromTerm for UdpEvent {
    fn from_term(term: Term) -> Result<UdpEvent, ConvertError> {
        let bad = || ConvertError::new("UdpEvent", "{udp, Server, {Ip, Port}, Binary}", &term);
        match elems(&term) {
            [tag, Term::Pid(server), peer, Term::Binary(data)] if tag.is_atom("udp") => {
                Ok(UdpEvent {
                    server: server.clone(),
                    peer: address_of(peer).ok_or_else(bad)?,
                    data: data.clone(),
                })
            }
            _ => Err(bad()),
        }
    }
}

/// What a UDP server process takes: `{udp_send, {Ip, Port}, Data}`.
#[derive(Clone, Debug, PartialEq)]
pub struct UdpCommand {
    /// Where to send.
    pub to: SocketAddr,
    /// The datagram.
    pub data: Bytes,
}

impl IntoTerm for UdpCommand {
    fn into_term(self) -> Term {
        Term::tuple(vec![
            Term::atom("udp_send"),
            address_term(self.to),
            Term::Binary(self.data),
        ])
    }
}

impl FromTerm for UdpCommand {
    fn from_term(term: Term) -> Result<UdpCommand, ConvertError> {
        let bad = || ConvertError::new("UdpCommand", "{udp_send, {Ip, Port}, Binary}", &term);
        match elems(&term) {
            [tag, to, Term::Binary(data)] if tag.is_atom("udp_send") => Ok(UdpCommand {
                to: address_of(to).ok_or_else(bad)?,
                data: data.clone(),
            }),
            _ => Err(bad()),
        }
    }
}

/// A handle to send datagrams from a UDP server's socket.
#[derive(Clone, Debug)]
pub struct UdpReplier {
    node: Node,
    server: Pid,
}

impl UdpReplier {
    /// The handle of the UDP server `server` (the pid in its events) on `node`.
    pub fn new(node: &Node, server: Pid) -> UdpReplier {
        UdpReplier {
            node: node.clone(),
            server,
        }
    }

    /// Sends `data` to `to` from the server's socket.
    pub fn send_to(&self, to: SocketAddr, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.node.send(
            self.server.clone(),
            UdpCommand {
                to,
                data: data.into(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid() -> Pid {
        Pid {
            node: ergo_etf::Atom::new("a@b"),
            id: 1,
            serial: 0,
            creation: 1,
        }
    }

    #[test]
    fn events_and_commands_round_trip_as_terms() {
        let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let v6: SocketAddr = "[::1]:5".parse().unwrap();
        for event in [
            TcpEvent::Connected { conn: pid(), peer },
            TcpEvent::Connected {
                conn: pid(),
                peer: v6,
            },
            TcpEvent::Data {
                conn: pid(),
                data: Bytes::from_static(b"x"),
            },
            TcpEvent::Disconnected {
                conn: pid(),
                reason: Term::atom("closed"),
            },
        ] {
            assert_eq!(
                TcpEvent::from_term(event.clone().into_term()).unwrap(),
                event
            );
        }
        assert_eq!(
            TcpEvent::Connected { conn: pid(), peer }
                .into_term()
                .to_string(),
            format!(
                "{{tcp_connected,{},{{{{127,0,0,1}},4000}}}}",
                Term::Pid(pid())
            )
        );
        for command in [
            TcpCommand::Write(Bytes::from_static(b"y")),
            TcpCommand::Close,
        ] {
            assert_eq!(
                TcpCommand::from_term(command.clone().into_term()).unwrap(),
                command
            );
        }
        let udp = UdpEvent {
            server: pid(),
            peer,
            data: Bytes::from_static(b"d"),
        };
        assert_eq!(UdpEvent::from_term(udp.clone().into_term()).unwrap(), udp);
        let send = UdpCommand {
            to: peer,
            data: Bytes::from_static(b"r"),
        };
        assert_eq!(
            UdpCommand::from_term(send.clone().into_term()).unwrap(),
            send
        );
        assert!(TcpCommand::from_term(Term::atom("nope")).is_err());
        assert!(UdpCommand::from_term(Term::tuple(vec![
            Term::atom("udp_send"),
            Term::tuple(vec![Term::tuple(vec![Term::Int(300)]), Term::Int(1)]),
            Term::binary(b"x".to_vec()),
        ]))
        .is_err());
    }
}
