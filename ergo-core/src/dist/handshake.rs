//! The distribution handshake, both directions: we initiate with `N` (version 6); we accept
//! `N` and the older `n` (version 5, followed by the `c` complement). Cookie digests, flag
//! negotiation, the simultaneous-connect decision and the peer-name check live here.
//!
//! Owns the bytes exchanged before u32 framing starts; it must not read or write framed
//! messages (see `frame` and `connection`).

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use md5::{Digest, Md5};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::error::HandshakeError;
use super::DistFlags;

/// The largest handshake message we read (names are at most 255 bytes; be generous).
const MAX_HANDSHAKE_MESSAGE: usize = 4096;

/// Who we are, as the handshake presents us.
#[derive(Clone, Debug)]
pub struct LocalNode {
    /// Our full node name, `name@host`.
    pub name: String,
    /// Our creation (from EPMD).
    pub creation: u32,
    /// The flags we offer (normally [`DistFlags::offer`]).
    pub flags: DistFlags,
}

impl LocalNode {
    /// A node offering everything this layer implements, published unless `hidden`.
    pub fn new(name: impl Into<String>, creation: u32, hidden: bool) -> LocalNode {
        LocalNode {
            name: name.into(),
            creation,
            flags: DistFlags::offer(hidden),
        }
    }
}

/// Handshake settings.
#[derive(Clone, Debug)]
pub struct HandshakeOptions {
    /// The whole handshake must finish within this (OTP's `net_setuptime`, 7 s).
    pub setup_timeout: Duration,
    /// The flags a peer must offer (after MANDATORY_25_DIGEST expansion).
    pub required_flags: DistFlags,
    /// Bytes of each handshake message's length prefix: 2 over TCP (`dist_util`), 4 under
    /// Erlang's TLS distribution (`inet_tls_dist` runs the handshake with `{packet, 4}`).
    pub length_prefix: LengthPrefix,
}

/// The size of a handshake message's length prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LengthPrefix {
    /// Two bytes, big-endian (plain TCP distribution).
    #[default]
    Two,
    /// Four bytes, big-endian (TLS distribution).
    Four,
}

impl Default for HandshakeOptions {
    fn default() -> HandshakeOptions {
        HandshakeOptions {
            setup_timeout: Duration::from_secs(7),
            required_flags: DistFlags::REQUIRED,
            length_prefix: LengthPrefix::Two,
        }
    }
}

/// What the connection manager knows of a node when it dials us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExistingConnection {
    /// No connection, none being set up.
    None,
    /// We are dialing that node ourselves right now.
    Pending,
    /// A connection to that node is up.
    Up,
}

/// The status an acceptor answers with (the `s` message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptStatus {
    /// Go ahead.
    Ok,
    /// Go ahead; we abandon our own pending connect.
    OkSimultaneous,
    /// Refused: our own pending connect wins.
    Nok,
    /// We have a connection up; the initiator says whether to replace it.
    Alive,
    /// Refused (e.g. missing mandatory flags).
    NotAllowed,
}

impl AcceptStatus {
    /// The status text on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AcceptStatus::Ok => "ok",
            AcceptStatus::OkSimultaneous => "ok_simultaneous",
            AcceptStatus::Nok => "nok",
            AcceptStatus::Alive => "alive",
            AcceptStatus::NotAllowed => "not_allowed",
        }
    }
}

/// OTP's rule for an incoming connection from `remote` given what we have (net_kernel): a
/// pending connect of ours wins (`nok`) if our name is greater, else we give it up
/// (`ok_simultaneous`); an established one gives `alive`.
pub fn decide_incoming(local: &str, remote: &str, existing: ExistingConnection) -> AcceptStatus {
    match existing {
        ExistingConnection::None => AcceptStatus::Ok,
        ExistingConnection::Up => AcceptStatus::Alive,
        ExistingConnection::Pending if local > remote => AcceptStatus::Nok,
        ExistingConnection::Pending => AcceptStatus::OkSimultaneous,
    }
}

/// The hook the connection manager gives the acceptor for simultaneous connects.
pub trait ConnectionArbiter: Send + Sync {
    /// What exists for `node` right now.
    fn existing(&self, node: &str) -> ExistingConnection;
    /// The status to answer `node` (we are `local`). A manager overrides this to decide and,
    /// for `ok` / `ok_simultaneous`, record the incoming connection as the node's pending one in
    /// one step, so that no dial of its own can start in between.
    fn admit(&self, local: &str, node: &str) -> AcceptStatus {
        decide_incoming(local, node, self.existing(node))
    }
    /// We answered `ok_simultaneous`: abandon our own pending connect to `node` (the node's
    /// connection manager lets the incoming connection take its pending entry over instead).
    fn abandon_pending(&self, _node: &str) {}
    /// `node` answered `true` to our `alive` and the old connection is gone: until the new one
    /// is installed, it is the node's pending connection (messages wait for it).
    fn accepting(&self, _node: &str) {}
    /// An incoming handshake from `node` that was admitted (`ok`, `ok_simultaneous`, or `alive`
    /// answered `true`) failed before finishing: what `admit` recorded for it must go, so that
    /// the next attempt is not refused as simultaneous.
    fn incoming_failed(&self, _node: &str) {}
    /// The peer answered `true` to `alive`: the old connection to `node` must go.
    fn replace_existing(&self, _node: &str) {}
    /// We dialed `node` and it says a connection to us is up (`alive`): true (the default) if
    /// ours is still the pending attempt, so the peer's one is stale and must be replaced; false
    /// when a connection has come up meanwhile (the other direction won a simultaneous connect),
    /// so this attempt is dropped instead of tearing the live one down.
    fn replace_on_alive(&self, _node: &str) -> bool {
        true
    }
    /// The cookie to use with `node` when it is not the node's default
    /// (`erlang:set_cookie(Node, Cookie)`); asked once the accepting side knows the peer's name.
    fn cookie_for(&self, _node: &str) -> Option<String> {
        None
    }
}

/// Tells the arbiter, when dropped armed, that an admitted incoming handshake failed.
struct Admitted<'a> {
    arbiter: &'a dyn ConnectionArbiter,
    /// The admitted peer, while the handshake is not finished.
    node: Option<String>,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            self.arbiter.incoming_failed(&node);
        }
    }
}

/// An arbiter for a layer used alone: nothing else ever exists.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOtherConnections;

impl ConnectionArbiter for NoOtherConnections {
    fn existing(&self, _node: &str) -> ExistingConnection {
        ExistingConnection::None
    }
}

/// A finished handshake: the stream (now in u32 framing) and what was agreed.
#[derive(Debug)]
pub struct Handshaken<S> {
    /// The stream, ready for framed messages.
    pub stream: S,
    /// The peer's full node name.
    pub peer_name: String,
    /// The peer's creation.
    pub peer_creation: u32,
    /// What the peer offered.
    pub peer_flags: DistFlags,
    /// The flags in effect: the AND of both offers.
    pub flags: DistFlags,
}

/// The cookie digest: `md5(cookie ++ decimal(challenge))`.
pub fn digest(cookie: &str, challenge: u32) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(cookie.as_bytes());
    md5.update(challenge.to_string().as_bytes());
    md5.finalize().into()
}

/// A fresh, unpredictable challenge (std's randomly keyed SipHash over time and a counter).
pub fn new_challenge() -> u32 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(nanos);
    h.finish() as u32
}

/// Whether `name` is a valid `name@host` node name.
pub fn valid_node_name(name: &str) -> bool {
    match name.split_once('@') {
        Some((n, h)) => !n.is_empty() && !h.is_empty() && !h.contains('@') && name.len() <= 255,
        None => false,
    }
}

async fn write_msg<S: AsyncWrite + Unpin>(
    s: &mut S,
    prefix: LengthPrefix,
    body: &[u8],
) -> Result<(), HandshakeError> {
    let len =
        u16::try_from(body.len()).map_err(|_| HandshakeError::Malformed("message too long"))?;
    let mut buf = Vec::with_capacity(body.len() + 4);
    if prefix == LengthPrefix::Four {
        buf.extend_from_slice(&[0, 0]);
    }
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(body);
    s.write_all(&buf).await?;
    s.flush().await?;
    Ok(())
}
async fn read_msg<S: AsyncRead + Unpin>(
    s: &mut S,
    prefix: LengthPrefix,
    stage: &'static str,
) -> Result<Vec<u8>, HandshakeError> {
    let mut len = [0u8; 4];
    let len = match prefix {
        LengthPrefix::Two => &mut len[2..],
        LengthPrefix::Four => &mut len[..],
    };
    s.read_exact(len)
        .await
        .map_err(|e| closed_or_io(e, stage))?;
    let len = len
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    if len == 0 || len > MAX_HANDSHAKE_MESSAGE {
        return Err(HandshakeError::Malformed("handshake message length"));
    }
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)
        .await
        .map_err(|e| closed_or_io(e, stage))?;
    Ok(body)
}

fn closed_or_io(e: std::io::Error, stage: &'static str) -> HandshakeError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        HandshakeError::Closed(stage)
    } else {
        HandshakeError::Io(e)
    }
}

/// A bounds-checked reader over a handshake message.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HandshakeError> {
        if self.0.len() < n {
            return Err(HandshakeError::Malformed("truncated handshake message"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u16(&mut self) -> Result<u16, HandshakeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, HandshakeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, HandshakeError> {
        Ok((u64::from(self.u32()?) << 32) | u64::from(self.u32()?))
    }
    fn name(&mut self, len: usize) -> Result<String, HandshakeError> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| HandshakeError::Malformed("node name not UTF-8"))
    }
    fn rest_name(self) -> Result<String, HandshakeError> {
        String::from_utf8(self.0.to_vec())
            .map_err(|_| HandshakeError::Malformed("node name not UTF-8"))
    }
}

/// The `N` send_name message.
pub fn encode_send_name(local: &LocalNode) -> Vec<u8> {
    let mut m = vec![b'N'];
    m.extend_from_slice(&local.flags.0.to_be_bytes());
    m.extend_from_slice(&local.creation.to_be_bytes());
    m.extend_from_slice(&(local.name.len() as u16).to_be_bytes());
    m.extend_from_slice(local.name.as_bytes());
    m
}

/// A parsed send_name (`N` or old `n`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendName {
    /// The peer's flags (only the low 32 bits for `n`, until `c` completes them).
    pub flags: DistFlags,
    /// The peer's creation (0 for `n` until `c`).
    pub creation: u32,
    /// The peer's node name.
    pub name: String,
    /// Whether it was the old version-5 `n` form.
    pub old_form: bool,
}

/// Parses a send_name message.
pub fn parse_send_name(msg: &[u8]) -> Result<SendName, HandshakeError> {
    let mut f = Fields(msg);
    match f.take(1)?[0] {
        b'N' => {
            let flags = DistFlags(f.u64()?);
            let creation = f.u32()?;
            let nlen = usize::from(f.u16()?);
            let name = f.name(nlen)?;
            Ok(SendName {
                flags,
                creation,
                name,
                old_form: false,
            })
        }
        b'n' => {
            let _version = f.u16()?;
            let flags = DistFlags(u64::from(f.u32()?));
            let name = f.rest_name()?;
            Ok(SendName {
                flags,
                creation: 0,
                name,
                old_form: true,
            })
        }
        tag => Err(HandshakeError::Unexpected {
            tag,
            stage: "send_name",
        }),
    }
}

/// Initiates a handshake over `stream` to the node `expected_peer`, as a layer used alone (an
/// `alive` answer replaces the peer's connection).
pub async fn initiate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    local: &LocalNode,
    expected_peer: &str,
    cookie: &str,
    options: &HandshakeOptions,
) -> Result<Handshaken<S>, HandshakeError> {
    initiate_with(
        stream,
        local,
        expected_peer,
        cookie,
        options,
        &NoOtherConnections,
    )
    .await
}

/// Initiates a handshake; `arbiter` decides what to answer when the peer says `alive`.
pub async fn initiate_with<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    local: &LocalNode,
    expected_peer: &str,
    cookie: &str,
    options: &HandshakeOptions,
    arbiter: &dyn ConnectionArbiter,
) -> Result<Handshaken<S>, HandshakeError> {
    // A failure is the caller's to log (once, rate-limited per peer: net's connection manager).
    tokio::time::timeout(
        options.setup_timeout,
        initiate_inner(stream, local, expected_peer, cookie, options, arbiter),
    )
    .await
    .unwrap_or(Err(HandshakeError::Timeout))
}

async fn initiate_inner<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    local: &LocalNode,
    expected_peer: &str,
    cookie: &str,
    options: &HandshakeOptions,
    arbiter: &dyn ConnectionArbiter,
) -> Result<Handshaken<S>, HandshakeError> {
    write_msg(&mut stream, options.length_prefix, &encode_send_name(local)).await?;
    let status = read_msg(&mut stream, options.length_prefix, "status").await?;
    let text = match status.split_first() {
        Some((b's', text)) => String::from_utf8_lossy(text).into_owned(),
        Some((tag, _)) => {
            return Err(HandshakeError::Unexpected {
                tag: *tag,
                stage: "status",
            })
        }
        None => return Err(HandshakeError::Malformed("empty status")),
    };
    match text.as_str() {
        "ok" | "ok_simultaneous" => {}
        "nok" => return Err(HandshakeError::SimultaneousLost),
        "not_allowed" => return Err(HandshakeError::NotAllowed),
        "alive" if arbiter.replace_on_alive(expected_peer) => {
            // Our attempt is still the pending one: the peer's connection is stale.
            write_msg(&mut stream, options.length_prefix, b"strue").await?;
        }
        "alive" => {
            write_msg(&mut stream, options.length_prefix, b"sfalse").await?;
            return Err(HandshakeError::AlreadyConnected);
        }
        other => return Err(HandshakeError::UnknownStatus(other.to_string())),
    }
    let challenge_msg = read_msg(&mut stream, options.length_prefix, "challenge").await?;
    let mut f = Fields(&challenge_msg);
    let (peer_flags, challenge, peer_creation, peer_name) = match f.take(1)?[0] {
        b'N' => {
            let flags = DistFlags(f.u64()?);
            let challenge = f.u32()?;
            let creation = f.u32()?;
            let nlen = usize::from(f.u16()?);
            // Trailing bytes after the name are ignored, as OTP does.
            (flags, challenge, creation, f.name(nlen)?)
        }
        b'n' => {
            let _version = f.u16()?;
            let flags = DistFlags(u64::from(f.u32()?));
            let challenge = f.u32()?;
            (flags, challenge, 0, f.rest_name()?)
        }
        tag => {
            return Err(HandshakeError::Unexpected {
                tag,
                stage: "challenge",
            })
        }
    };
    if peer_name != expected_peer {
        return Err(HandshakeError::WrongName {
            expected: expected_peer.to_string(),
            got: peer_name,
        });
    }
    let missing = peer_flags.missing(options.required_flags);
    if missing != DistFlags::EMPTY {
        return Err(HandshakeError::MissingFlags(missing));
    }
    let our_challenge = new_challenge();
    let mut reply = vec![b'r'];
    reply.extend_from_slice(&our_challenge.to_be_bytes());
    reply.extend_from_slice(&digest(cookie, challenge));
    write_msg(&mut stream, options.length_prefix, &reply).await?;
    let ack = read_msg(
        &mut stream,
        options.length_prefix,
        "challenge_ack (wrong cookie?)",
    )
    .await?;
    match ack.split_first() {
        Some((b'a', d)) if d.len() >= 16 && d[..16] == digest(cookie, our_challenge) => {}
        Some((b'a', _)) => {
            return Err(HandshakeError::BadAck(peer_name));
        }
        Some((tag, _)) => {
            return Err(HandshakeError::Unexpected {
                tag: *tag,
                stage: "challenge_ack",
            })
        }
        None => return Err(HandshakeError::Malformed("empty challenge ack")),
    }
    let flags = local.flags.expand_digest() & peer_flags.expand_digest();
    tracing::info!(peer = %peer_name, flags = ?flags, "connected (outgoing)");
    Ok(Handshaken {
        stream,
        peer_name,
        peer_creation,
        peer_flags,
        flags,
    })
}

/// Accepts a handshake on `stream` (a peer dialed us).
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    local: &LocalNode,
    cookie: &str,
    arbiter: &dyn ConnectionArbiter,
    options: &HandshakeOptions,
) -> Result<Handshaken<S>, HandshakeError> {
    // A failure is the caller's to log (once, rate-limited per address: net's listener).
    tokio::time::timeout(
        options.setup_timeout,
        accept_inner(stream, local, cookie, arbiter, options),
    )
    .await
    .unwrap_or(Err(HandshakeError::Timeout))
}

async fn accept_inner<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    local: &LocalNode,
    cookie: &str,
    arbiter: &dyn ConnectionArbiter,
    options: &HandshakeOptions,
) -> Result<Handshaken<S>, HandshakeError> {
    let hello = parse_send_name(&read_msg(&mut stream, options.length_prefix, "send_name").await?)?;
    if !valid_node_name(&hello.name) {
        write_msg(&mut stream, options.length_prefix, b"snot_allowed").await?;
        return Err(HandshakeError::WrongName {
            expected: "name@host".into(),
            got: hello.name,
        });
    }
    // For the old form only the low 32 bits are known now; `c` brings the rest, but every
    // mandatory flag of OTP 25 lives in the low 32 bits.
    let missing = hello
        .flags
        .missing(options.required_flags & DistFlags(u64::from(u32::MAX)));
    if missing != DistFlags::EMPTY {
        write_msg(&mut stream, options.length_prefix, b"snot_allowed").await?;
        return Err(HandshakeError::MissingFlags(missing));
    }
    let status = arbiter.admit(&local.name, &hello.name);
    // From an admitted status on, a failure (or a timeout dropping this future) must free the
    // place the arbiter recorded for this connection.
    let mut admitted = Admitted {
        arbiter,
        node: matches!(status, AcceptStatus::Ok | AcceptStatus::OkSimultaneous)
            .then(|| hello.name.clone()),
    };
    let mut status_msg = vec![b's'];
    status_msg.extend_from_slice(status.as_str().as_bytes());
    write_msg(&mut stream, options.length_prefix, &status_msg).await?;
    match status {
        AcceptStatus::Ok => {}
        AcceptStatus::OkSimultaneous => arbiter.abandon_pending(&hello.name),
        AcceptStatus::Nok | AcceptStatus::NotAllowed => {
            return Err(HandshakeError::Refused(status.as_str()));
        }
        AcceptStatus::Alive => {
            let answer = read_msg(&mut stream, options.length_prefix, "alive answer").await?;
            match answer.as_slice() {
                b"strue" => {
                    arbiter.replace_existing(&hello.name);
                    arbiter.accepting(&hello.name);
                    admitted.node = Some(hello.name.clone());
                }
                b"sfalse" => return Err(HandshakeError::Refused("alive: peer kept the old one")),
                _ => return Err(HandshakeError::Malformed("alive answer")),
            }
        }
    }
    let challenge = new_challenge();
    let mut m = vec![b'N'];
    m.extend_from_slice(&local.flags.0.to_be_bytes());
    m.extend_from_slice(&challenge.to_be_bytes());
    m.extend_from_slice(&local.creation.to_be_bytes());
    m.extend_from_slice(&(local.name.len() as u16).to_be_bytes());
    m.extend_from_slice(local.name.as_bytes());
    write_msg(&mut stream, options.length_prefix, &m).await?;

    let mut peer_flags = hello.flags;
    let mut peer_creation = hello.creation;
    let mut reply = read_msg(&mut stream, options.length_prefix, "challenge_reply").await?;
    if hello.old_form && reply.first() == Some(&b'c') {
        let mut f = Fields(&reply);
        f.take(1)?;
        let high = f.u32()?;
        peer_creation = f.u32()?;
        peer_flags = DistFlags(peer_flags.0 | (u64::from(high) << 32));
        reply = read_msg(&mut stream, options.length_prefix, "challenge_reply").await?;
    }
    let mut f = Fields(&reply);
    match f.take(1)?[0] {
        b'r' => {}
        tag => {
            return Err(HandshakeError::Unexpected {
                tag,
                stage: "challenge_reply",
            })
        }
    }
    let peer_challenge = f.u32()?;
    let their_digest = f.take(16)?;
    let own_cookie = arbiter.cookie_for(&hello.name);
    let cookie = own_cookie.as_deref().unwrap_or(cookie);
    if their_digest != digest(cookie, challenge) {
        return Err(HandshakeError::BadDigest(hello.name));
    }
    let mut ack = vec![b'a'];
    ack.extend_from_slice(&digest(cookie, peer_challenge));
    write_msg(&mut stream, options.length_prefix, &ack).await?;
    let missing = peer_flags.missing(options.required_flags);
    if missing != DistFlags::EMPTY {
        return Err(HandshakeError::MissingFlags(missing));
    }
    let flags = local.flags.expand_digest() & peer_flags.expand_digest();
    admitted.node = None;
    tracing::info!(peer = %hello.name, flags = ?flags, "connected (incoming)");
    Ok(Handshaken {
        stream,
        peer_name: hello.name,
        peer_creation,
        peer_flags,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_erlang() {
        // erlang:md5(["secret" | integer_to_list(12345)]) computed by erl.
        let d = digest("secret", 12345);
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "d4047d3e56e6d6d63f7d16b85cd2fa88");
    }

    #[test]
    fn simultaneous_rules() {
        assert_eq!(
            decide_incoming("b@h", "a@h", ExistingConnection::Pending),
            AcceptStatus::Nok
        );
        assert_eq!(
            decide_incoming("a@h", "b@h", ExistingConnection::Pending),
            AcceptStatus::OkSimultaneous
        );
        assert_eq!(
            decide_incoming("a@h", "b@h", ExistingConnection::Up),
            AcceptStatus::Alive
        );
        assert_eq!(
            decide_incoming("a@h", "b@h", ExistingConnection::None),
            AcceptStatus::Ok
        );
    }

    #[test]
    fn send_name_forms() {
        let local = LocalNode::new("me@host", 7, false);
        let parsed = parse_send_name(&encode_send_name(&local)).unwrap();
        assert_eq!(parsed.name, "me@host");
        assert_eq!(parsed.creation, 7);
        assert_eq!(parsed.flags, local.flags);
        let old = [b'n', 0, 5, 0, 0, 0, 4, b'x', b'@', b'y'];
        let parsed = parse_send_name(&old).unwrap();
        assert!(parsed.old_form);
        assert_eq!(parsed.name, "x@y");
        assert_eq!(parsed.flags, DistFlags(4));
        for cut in 1..12 {
            assert!(parse_send_name(&encode_send_name(&local)[..cut]).is_err());
        }
    }

    async fn pair(
        cookie_a: &str,
        cookie_b: &str,
    ) -> (
        Result<Handshaken<tokio::io::DuplexStream>, HandshakeError>,
        Result<Handshaken<tokio::io::DuplexStream>, HandshakeError>,
    ) {
        let (a, b) = tokio::io::duplex(4096);
        let la = LocalNode::new("a@h", 1, false);
        let lb = LocalNode::new("b@h", 2, true);
        let opts = HandshakeOptions::default();
        tokio::join!(
            initiate(a, &la, "b@h", cookie_a, &opts),
            accept(b, &lb, cookie_b, &NoOtherConnections, &opts)
        )
    }

    #[tokio::test]
    async fn in_memory_handshake() {
        let (a, b) = pair("c", "c").await;
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.peer_name, "b@h");
        assert_eq!(b.peer_name, "a@h");
        assert_eq!(a.peer_creation, 2);
        assert_eq!(b.peer_creation, 1);
        assert_eq!(a.flags, b.flags);
        assert!(!a.flags.contains(DistFlags::PUBLISHED));
        let (a, b) = pair("c", "wrong").await;
        assert!(matches!(b, Err(HandshakeError::BadDigest(_))), "{b:?}");
        assert!(a.is_err());
    }
}
