//! A live distribution connection: after the handshake, one writer task (the only writer, so
//! per-pair order holds; it batches queued frames into one write and sends a tick when nothing
//! was written for a quarter of the tick time) and one reader task (decodes frames into
//! [`DistMessage`]s and drops the peer after a whole tick time of silence, as OTP does).
//!
//! Owns the socket halves and the two tasks; it must not interpret messages (the node routes
//! them) nor decide which connections exist (the connection manager does, through
//! [`ConnectionArbiter`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ergo_etf::Term;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::control::ControlMessage;
use super::error::{ConnectionError, FrameError, HandshakeError};
use super::frame::{DistMessage, FrameDecoder, FrameEncoder, FrameSettings};
use super::handshake::{self, ConnectionArbiter, HandshakeOptions, Handshaken, LocalNode};
use super::DistFlags;
use crate::epmd::Resolver;

/// Settings of a connection after the handshake.
#[derive(Clone, Debug)]
pub struct ConnectionOptions {
    /// OTP's `net_ticktime`: ticks every quarter of it, the peer is dropped after it of silence.
    pub net_ticktime: Duration,
    /// Frame limits, fragment size and reassembly caps.
    pub frames: FrameSettings,
    /// Decoded messages the reader queues before it stops reading the socket (backpressure to
    /// the peer). The writer's queue is unbounded, so a send never blocks or drops; like
    /// Erlang's distribution buffer, it holds what the socket has not taken yet.
    pub queue_len: usize,
    /// The writer stops adding queued frames to one write beyond this many bytes.
    pub max_batch_bytes: usize,
}

impl Default for ConnectionOptions {
    fn default() -> ConnectionOptions {
        ConnectionOptions {
            net_ticktime: Duration::from_secs(60),
            frames: FrameSettings::default(),
            queue_len: 4096,
            max_batch_bytes: 256 << 10,
        }
    }
}

type Outgoing = (ControlMessage, Option<Term>);

/// Stops both tasks when the last handle (sender or receiver) goes.
struct Tasks {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Drop for Tasks {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Sends messages to the peer; cheap to clone, all clones feed the one writer in order.
#[derive(Clone)]
pub struct DistSender {
    queue: mpsc::UnboundedSender<Outgoing>,
    tasks: Arc<Tasks>,
}

impl DistSender {
    /// Queues one message for the writer; never waits.
    pub fn queue(
        &self,
        control: ControlMessage,
        payload: Option<Term>,
    ) -> Result<(), ConnectionError> {
        self.queue
            .send((control, payload))
            .map_err(|_| ConnectionError::WriterGone)
    }

    /// Queues one message (kept async for callers that treat sending as a suspension point).
    pub async fn send(
        &self,
        control: ControlMessage,
        payload: Option<Term>,
    ) -> Result<(), ConnectionError> {
        self.queue(control, payload)
    }

    /// Stops the connection now: the writer and reader end (the receiver then yields `None`).
    pub fn close(&self) {
        self.tasks.reader.abort();
        self.tasks.writer.abort();
    }

    /// Whether the writer has stopped (the connection is down).
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }
}

/// Receives the peer's messages, then the reason the connection ended.
pub struct DistReceiver {
    incoming: mpsc::Receiver<Result<DistMessage, ConnectionError>>,
    _tasks: Arc<Tasks>,
}

impl DistReceiver {
    /// The next message; `Some(Err(reason))` once when the connection ends, then `None`.
    pub async fn recv(&mut self) -> Option<Result<DistMessage, ConnectionError>> {
        self.incoming.recv().await
    }
}

/// An established connection to one peer.
pub struct DistConnection {
    /// The peer's node name.
    pub peer_name: String,
    /// The peer's creation.
    pub peer_creation: u32,
    /// The flags in effect.
    pub flags: DistFlags,
    sender: DistSender,
    receiver: DistReceiver,
}

impl std::fmt::Debug for DistConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistConnection")
            .field("peer_name", &self.peer_name)
            .field("flags", &self.flags)
            .finish()
    }
}

impl DistConnection {
    /// Starts the reader and writer over a handshaken stream.
    pub fn start<S>(done: Handshaken<S>, options: &ConnectionOptions) -> DistConnection
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read_half, write_half) = tokio::io::split(done.stream);
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::channel(options.queue_len.max(1));
        let (stop_tx, stop_rx) = oneshot::channel();
        let encoder = FrameEncoder::new(done.flags, &options.frames);
        let decoder = FrameDecoder::new(done.flags, &options.frames);
        let peer = done.peer_name.clone();
        let writer = tokio::spawn(write_loop(
            write_half,
            out_rx,
            stop_rx,
            encoder,
            options.clone(),
            peer.clone(),
        ));
        let reader = tokio::spawn(read_loop(
            read_half,
            in_tx,
            stop_tx,
            decoder,
            options.clone(),
            peer,
        ));
        let tasks = Arc::new(Tasks { reader, writer });
        DistConnection {
            peer_name: done.peer_name,
            peer_creation: done.peer_creation,
            flags: done.flags,
            sender: DistSender {
                queue: out_tx,
                tasks: tasks.clone(),
            },
            receiver: DistReceiver {
                incoming: in_rx,
                _tasks: tasks,
            },
        }
    }

    /// A sender for this connection.
    pub fn sender(&self) -> DistSender {
        self.sender.clone()
    }

    /// Queues one message.
    pub async fn send(
        &self,
        control: ControlMessage,
        payload: Option<Term>,
    ) -> Result<(), ConnectionError> {
        self.sender.send(control, payload).await
    }

    /// The next message (see [`DistReceiver::recv`]).
    pub async fn recv(&mut self) -> Option<Result<DistMessage, ConnectionError>> {
        self.receiver.recv().await
    }

    /// Splits into the sending and receiving halves.
    pub fn split(self) -> (DistSender, DistReceiver) {
        (self.sender, self.receiver)
    }
}

/// Resolves `remote` (static route or EPMD), dials it, handshakes and starts the connection.
pub async fn connect(
    local: &LocalNode,
    remote: &str,
    cookie: &str,
    resolver: &Resolver,
    handshake_options: &HandshakeOptions,
    options: &ConnectionOptions,
) -> Result<DistConnection, HandshakeError> {
    let addr = resolver.resolve(remote).await?;
    let stream = tokio::time::timeout(handshake_options.setup_timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| HandshakeError::Timeout)??;
    let _ = stream.set_nodelay(true);
    let done = handshake::initiate(stream, local, remote, cookie, handshake_options).await?;
    Ok(DistConnection::start(done, options))
}

/// Handshakes an accepted socket and starts the connection.
pub async fn accept(
    stream: TcpStream,
    local: &LocalNode,
    cookie: &str,
    arbiter: &dyn ConnectionArbiter,
    handshake_options: &HandshakeOptions,
    options: &ConnectionOptions,
) -> Result<DistConnection, HandshakeError> {
    let _ = stream.set_nodelay(true);
    let done = handshake::accept(stream, local, cookie, arbiter, handshake_options).await?;
    Ok(DistConnection::start(done, options))
}

async fn write_loop<W: AsyncWrite>(
    write_half: W,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    mut stop: oneshot::Receiver<()>,
    mut encoder: FrameEncoder,
    options: ConnectionOptions,
    peer: String,
) {
    let mut write_half = Box::pin(write_half);
    let tick_every = (options.net_ticktime / 4).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + tick_every, tick_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut wrote_since_tick = false;
    let mut buf: Vec<u8> = Vec::with_capacity(64 << 10);
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            next = queue.recv() => {
                let Some((ctl, payload)) = next else { break };
                buf.clear();
                encode_logged(&mut encoder, &ctl, payload.as_ref(), &mut buf, &peer);
                while buf.len() < options.max_batch_bytes {
                    match queue.try_recv() {
                        Ok((ctl, payload)) => encode_logged(&mut encoder, &ctl, payload.as_ref(), &mut buf, &peer),
                        Err(_) => break,
                    }
                }
                if let Err(err) = write_half.write_all(&buf).await {
                    tracing::warn!(%peer, %err, "distribution write failed; closing");
                    break;
                }
                wrote_since_tick = true;
                if buf.capacity() > (4 << 20) {
                    buf = Vec::with_capacity(64 << 10);
                }
            }
            _ = ticker.tick() => {
                if !wrote_since_tick {
                    if let Err(err) = write_half.write_all(&[0, 0, 0, 0]).await {
                        tracing::warn!(%peer, %err, "tick write failed; closing");
                        break;
                    }
                    tracing::trace!(%peer, "tick sent");
                }
                wrote_since_tick = false;
            }
        }
    }
    let _ = write_half.shutdown().await;
}

fn encode_logged(
    encoder: &mut FrameEncoder,
    ctl: &ControlMessage,
    payload: Option<&Term>,
    buf: &mut Vec<u8>,
    peer: &str,
) {
    let before = buf.len();
    if let Err(err) = encoder.encode(ctl, payload, buf) {
        buf.truncate(before);
        tracing::error!(%peer, %err, op = ctl.op(), "dropping a message that cannot be encoded");
    }
}

async fn read_loop<R: AsyncRead>(
    read_half: R,
    incoming: mpsc::Sender<Result<DistMessage, ConnectionError>>,
    stop_writer: oneshot::Sender<()>,
    mut decoder: FrameDecoder,
    options: ConnectionOptions,
    peer: String,
) {
    let mut reader = Box::pin(BufReader::with_capacity(64 << 10, read_half));
    let reason = loop {
        match read_frame(&mut reader, &options, &mut decoder).await {
            Ok(Some(msg)) => {
                if incoming.send(Ok(msg)).await.is_err() {
                    break None;
                }
            }
            Ok(None) => {}
            Err(err) => break Some(err),
        }
    };
    if let Some(err) = reason {
        match &err {
            ConnectionError::Closed => tracing::info!(%peer, "peer closed the connection"),
            _ => tracing::warn!(%peer, reason = %err, "closing distribution connection"),
        }
        let _ = incoming.send(Err(err)).await;
    }
    let _ = stop_writer.send(());
}

/// Reads one frame (ticks and incomplete fragments give `Ok(None)`).
async fn read_frame<R: AsyncRead>(
    reader: &mut std::pin::Pin<Box<BufReader<R>>>,
    options: &ConnectionOptions,
    decoder: &mut FrameDecoder,
) -> Result<Option<DistMessage>, ConnectionError> {
    let silence = options.net_ticktime;
    let mut len = [0u8; 4];
    match tokio::time::timeout(silence, reader.read_exact(&mut len)).await {
        Err(_) => return Err(ConnectionError::TickTimeout(silence)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(ConnectionError::Closed)
        }
        Ok(Err(e)) => return Err(ConnectionError::Io(e)),
        Ok(Ok(_)) => {}
    }
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 {
        return Ok(None);
    }
    let max = options.frames.max_frame_size;
    if len > max {
        return Err(FrameError::TooLarge { len, max }.into());
    }
    let mut frame = BytesMut::zeroed(len);
    match tokio::time::timeout(silence, reader.read_exact(&mut frame)).await {
        Err(_) => return Err(ConnectionError::TickTimeout(silence)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(ConnectionError::Closed)
        }
        Ok(Err(e)) => return Err(ConnectionError::Io(e)),
        Ok(Ok(_)) => {}
    }
    Ok(decoder.decode(frame.freeze())?)
}
