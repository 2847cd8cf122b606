//! EPMD wire messages: encoding requests and replies, and parsing them with bounds checks.
//!
//! Owns the byte layout only (every request is prefixed with a u16 length); it must not touch
//! sockets: the client and server do the I/O.

use thiserror::Error;

/// ALIVE2_REQ.
pub const ALIVE2_REQ: u8 = 120;
/// ALIVE2_RESP (16-bit creation).
pub const ALIVE2_RESP: u8 = 121;
/// ALIVE2_X_RESP (32-bit creation).
pub const ALIVE2_X_RESP: u8 = 118;
/// PORT_PLEASE2_REQ.
pub const PORT_PLEASE2_REQ: u8 = 122;
/// PORT2_RESP.
pub const PORT2_RESP: u8 = 119;
/// NAMES_REQ.
pub const NAMES_REQ: u8 = 110;
/// Node type of a normal (published) node.
pub const NODE_TYPE_NORMAL: u8 = 77;
/// Node type of a hidden node.
pub const NODE_TYPE_HIDDEN: u8 = 72;

/// A malformed EPMD message.
#[derive(Debug, Error)]
pub enum EpmdProtocolError {
    /// The message ended before a field.
    #[error("truncated EPMD message")]
    Truncated,
    /// The first byte is not the expected tag.
    #[error("unexpected EPMD tag {0}")]
    UnexpectedTag(u8),
    /// A name or extra field is too long to encode.
    #[error("EPMD field too long ({0} bytes)")]
    TooLong(usize),
    /// A node name that is not UTF-8.
    #[error("EPMD node name is not UTF-8")]
    BadName,
}

/// What a node registers, and what PORT_PLEASE2 returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEntry {
    /// The short node name (the part before `@`).
    pub name: String,
    /// The distribution listen port.
    pub port: u16,
    /// 77 normal, 72 hidden.
    pub node_type: u8,
    /// 0 = TCP/IPv4.
    pub protocol: u8,
    /// The highest distribution version.
    pub highest_version: u16,
    /// The lowest distribution version.
    pub lowest_version: u16,
    /// The extra field.
    pub extra: Vec<u8>,
}

impl NodeEntry {
    /// An entry for a node of ours: versions 5..=6, TCP, normal or hidden.
    pub fn new(name: &str, port: u16, hidden: bool) -> NodeEntry {
        NodeEntry {
            name: name.to_string(),
            port,
            node_type: if hidden {
                NODE_TYPE_HIDDEN
            } else {
                NODE_TYPE_NORMAL
            },
            protocol: 0,
            highest_version: 6,
            lowest_version: 5,
            extra: Vec::new(),
        }
    }
}

/// A reader over a byte slice that never panics.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes }
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], EpmdProtocolError> {
        if self.bytes.len() < n {
            return Err(EpmdProtocolError::Truncated);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, EpmdProtocolError> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, EpmdProtocolError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, EpmdProtocolError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn put_u16_len(out: &mut Vec<u8>, field: &[u8]) -> Result<(), EpmdProtocolError> {
    let len = u16::try_from(field.len()).map_err(|_| EpmdProtocolError::TooLong(field.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
    Ok(())
}

fn put_entry_body(out: &mut Vec<u8>, e: &NodeEntry) -> Result<(), EpmdProtocolError> {
    out.extend_from_slice(&e.port.to_be_bytes());
    out.push(e.node_type);
    out.push(e.protocol);
    out.extend_from_slice(&e.highest_version.to_be_bytes());
    out.extend_from_slice(&e.lowest_version.to_be_bytes());
    put_u16_len(out, e.name.as_bytes())?;
    put_u16_len(out, &e.extra)
}

fn parse_entry_body(c: &mut Cursor<'_>) -> Result<NodeEntry, EpmdProtocolError> {
    let port = c.u16()?;
    let node_type = c.u8()?;
    let protocol = c.u8()?;
    let highest_version = c.u16()?;
    let lowest_version = c.u16()?;
    let nlen = c.u16()? as usize;
    let name = std::str::from_utf8(c.take(nlen)?)
        .map_err(|_| EpmdProtocolError::BadName)?
        .to_string();
    // Some clients omit the extra field entirely; treat that as empty.
    let extra = match c.u16() {
        Ok(elen) => c.take(elen as usize)?.to_vec(),
        Err(_) => Vec::new(),
    };
    Ok(NodeEntry {
        name,
        port,
        node_type,
        protocol,
        highest_version,
        lowest_version,
        extra,
    })
}

/// Wraps a request body in its u16 length prefix.
pub fn with_length_prefix(body: &[u8]) -> Result<Vec<u8>, EpmdProtocolError> {
    let mut out = Vec::with_capacity(body.len() + 2);
    put_u16_len(&mut out, body)?;
    Ok(out)
}

/// ALIVE2_REQ body (without the length prefix).
pub fn encode_alive2_req(entry: &NodeEntry) -> Result<Vec<u8>, EpmdProtocolError> {
    let mut out = vec![ALIVE2_REQ];
    put_entry_body(&mut out, entry)?;
    Ok(out)
}

/// Parses an ALIVE2_REQ body (tag included).
pub fn parse_alive2_req(body: &[u8]) -> Result<NodeEntry, EpmdProtocolError> {
    let mut c = Cursor::new(body);
    match c.u8()? {
        ALIVE2_REQ => parse_entry_body(&mut c),
        other => Err(EpmdProtocolError::UnexpectedTag(other)),
    }
}

/// ALIVE2_X_RESP: result (0 ok) and a 32-bit creation.
pub fn encode_alive2_x_resp(result: u8, creation: u32) -> Vec<u8> {
    let mut out = vec![ALIVE2_X_RESP, result];
    out.extend_from_slice(&creation.to_be_bytes());
    out
}

/// Parses ALIVE2_X_RESP or the old ALIVE2_RESP: `(result, creation)`.
pub fn parse_alive2_resp(bytes: &[u8]) -> Result<(u8, u32), EpmdProtocolError> {
    let mut c = Cursor::new(bytes);
    match c.u8()? {
        ALIVE2_X_RESP => Ok((c.u8()?, c.u32()?)),
        ALIVE2_RESP => Ok((c.u8()?, u32::from(c.u16()?))),
        other => Err(EpmdProtocolError::UnexpectedTag(other)),
    }
}

/// PORT_PLEASE2_REQ body.
pub fn encode_port_please2_req(name: &str) -> Vec<u8> {
    let mut out = vec![PORT_PLEASE2_REQ];
    out.extend_from_slice(name.as_bytes());
    out
}

/// PORT2_RESP for a found node.
pub fn encode_port2_resp(entry: &NodeEntry) -> Result<Vec<u8>, EpmdProtocolError> {
    let mut out = vec![PORT2_RESP, 0];
    put_entry_body(&mut out, entry)?;
    Ok(out)
}

/// Parses a PORT2_RESP: `Ok(None)` when the result says the name is unknown.
pub fn parse_port2_resp(bytes: &[u8]) -> Result<Option<NodeEntry>, EpmdProtocolError> {
    let mut c = Cursor::new(bytes);
    match c.u8()? {
        PORT2_RESP => {}
        other => return Err(EpmdProtocolError::UnexpectedTag(other)),
    }
    if c.u8()? != 0 {
        return Ok(None);
    }
    parse_entry_body(&mut c).map(Some)
}

/// The NAMES_RESP text lines: `name X at port N\n` per entry.
pub fn encode_names_lines(entries: &[(String, u16)]) -> String {
    entries
        .iter()
        .map(|(n, p)| format!("name {n} at port {p}\n"))
        .collect()
}

/// Parses NAMES_RESP lines into `(name, port)` pairs, skipping lines that do not parse.
pub fn parse_names_lines(text: &str) -> Vec<(String, u16)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("name ")?;
            let (name, port) = rest.rsplit_once(" at port ")?;
            Some((name.to_string(), port.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alive2_round_trip() {
        let e = NodeEntry::new("foo", 4242, false);
        let body = encode_alive2_req(&e).unwrap();
        assert_eq!(&body[..3], &[120, 0x10, 0x92]);
        assert_eq!(parse_alive2_req(&body).unwrap(), e);
        for cut in 0..body.len() - 2 {
            assert!(parse_alive2_req(&body[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn port2_and_alive_resp() {
        let e = NodeEntry::new("bar", 1, true);
        let r = encode_port2_resp(&e).unwrap();
        assert_eq!(parse_port2_resp(&r).unwrap(), Some(e));
        assert_eq!(parse_port2_resp(&[119, 1]).unwrap(), None);
        assert_eq!(
            parse_alive2_resp(&encode_alive2_x_resp(0, 77)).unwrap(),
            (0, 77)
        );
        assert_eq!(parse_alive2_resp(&[121, 0, 0, 3]).unwrap(), (0, 3));
        assert!(parse_alive2_resp(&[118, 0, 1]).is_err());
    }

    #[test]
    fn names_lines() {
        let text = encode_names_lines(&[("a".into(), 1), ("b c".into(), 65535)]);
        assert_eq!(
            parse_names_lines(&text),
            vec![("a".into(), 1), ("b c".into(), 65535)]
        );
        assert!(parse_names_lines("garbage\nname x at port notanumber\n").is_empty());
    }
}
