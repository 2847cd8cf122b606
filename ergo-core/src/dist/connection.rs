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

use bytes::{Bytes, BytesMut};
use ergo_etf::{Splice, Term};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::compression::Compression;
use super::control::ControlMessage;
use super::error::{ConnectionError, FrameError, HandshakeError};
use super::frame::{DistMessage, FrameDecoder, FrameEncoder, FrameSettings};
use super::handshake::{self, ConnectionArbiter, HandshakeOptions, Handshaken, LocalNode};
use super::proxy_frame::PROXY_TAG;
use super::traffic::{Traffic, TrafficCounters};
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

/// What senders have encoded and the writer has not written yet. Senders encode on their own
/// thread, straight into the buffer, under this lock (so the atom cache and the order of a
/// pair's messages are the connection's); the writer swaps the buffer out and writes it.
struct OutboxState {
    buf: Vec<u8>,
    /// Large binaries that go into `buf` at their offsets, written without being copied.
    splices: Vec<Splice>,
    encoder: FrameEncoder,
    closed: bool,
    peer: String,
    /// Messages encoded for the peer (counted here, under the lock senders take anyway).
    messages_out: u64,
}

impl OutboxState {
    /// The bytes waiting to be written, spliced binaries included.
    fn pending(&self) -> usize {
        ergo_etf::iovec::spliced_len(&self.buf, &self.splices)
    }
}

struct Outbox {
    state: std::sync::Mutex<OutboxState>,
    ready: tokio::sync::Notify,
    /// Bytes out (the writer's), messages and bytes in (the reader's).
    traffic: Arc<TrafficCounters>,
}

impl Outbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
    }
}

/// A batch smaller than this may be worth one yield to the scheduler before writing it.
const SMALL_BATCH: usize = 8 << 10;

/// Whether yielding before a write gathers more messages: yields go on until several in a row
/// gained nothing, then are retried every `RETRY_EVERY` writes.
#[derive(Default)]
struct Batching {
    misses: u32,
    writes_since_try: u32,
    pending: bool,
}

impl Batching {
    const RETRY_EVERY: u32 = 64;
    const MAX_MISSES: u32 = 4;

    fn worth_a_yield(&mut self) -> bool {
        self.writes_since_try += 1;
        if self.misses < Self::MAX_MISSES || self.writes_since_try >= Self::RETRY_EVERY {
            self.writes_since_try = 0;
            self.pending = true;
            return true;
        }
        false
    }

    /// After a yield: did it gather anything?
    fn yielded(&mut self, gained: bool) {
        if self.pending {
            self.pending = false;
            self.misses = if gained { 0 } else { self.misses + 1 };
        }
    }
}

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
    outbox: Arc<Outbox>,
    tasks: Arc<Tasks>,
}

impl DistSender {
    /// Encodes one message into the connection's outgoing buffer; never waits.
    pub fn queue(
        &self,
        control: ControlMessage,
        payload: Option<Term>,
    ) -> Result<(), ConnectionError> {
        self.queue_with(control, payload, None)
    }

    /// Like [`DistSender::queue`], compressing the payload per `compression` when the peer is an
    /// ergo-rs node that negotiated it (and the payload is large and compressible enough).
    pub fn queue_with(
        &self,
        control: ControlMessage,
        payload: Option<Term>,
        compression: Option<&Compression>,
    ) -> Result<(), ConnectionError> {
        let wake = {
            let mut state = self.outbox.lock();
            if state.closed {
                return Err(ConnectionError::WriterGone);
            }
            let OutboxState {
                buf,
                splices,
                encoder,
                peer,
                messages_out,
                ..
            } = &mut *state;
            *messages_out += 1;
            // The writer needs waking only when the buffer it last emptied gets its first bytes.
            let was_empty = buf.is_empty();
            encode_logged(
                encoder,
                &control,
                payload.as_ref(),
                compression,
                buf,
                splices,
                peer,
            );
            was_empty && !buf.is_empty()
        };
        if wake {
            self.outbox.ready.notify_one();
        }
        Ok(())
    }

    /// Queues one frame whose body (everything after the 4-byte length) `body` appends to the
    /// buffer it is given: how proxy frames are sent, between the messages.
    pub fn queue_frame(&self, body: impl FnOnce(&mut Vec<u8>)) -> Result<(), ConnectionError> {
        let wake = {
            let mut state = self.outbox.lock();
            if state.closed {
                return Err(ConnectionError::WriterGone);
            }
            let buf = &mut state.buf;
            let was_empty = buf.is_empty();
            let start = buf.len();
            buf.extend_from_slice(&[0; 4]);
            body(buf);
            let len = (buf.len() - start - 4) as u32;
            buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
            was_empty
        };
        if wake {
            self.outbox.ready.notify_one();
        }
        Ok(())
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
        self.outbox.close();
        self.tasks.reader.abort();
        self.tasks.writer.abort();
    }

    /// Whether the writer has stopped (the connection is down).
    pub fn is_closed(&self) -> bool {
        self.outbox.lock().closed
    }

    /// The connection's traffic so far.
    pub fn traffic(&self) -> Traffic {
        let messages_out = self.outbox.lock().messages_out;
        self.outbox.traffic.read(messages_out)
    }

    /// Entries of the outgoing atom cache in use (of 2,048; 0 without the cache).
    pub fn atom_cache_entries(&self) -> usize {
        self.outbox.lock().encoder.atom_cache_entries()
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

/// Takes the peer's messages as they are decoded, on the connection's reader task itself (no
/// channel and no task switch between the socket and the handler). It must not block: it runs
/// between socket reads.
pub trait IncomingHandler: Send + 'static {
    /// One decoded message.
    fn message(&mut self, message: DistMessage);
    /// The connection ended with `reason`; called once, last.
    fn ended(&mut self, reason: ConnectionError);
    /// One proxy frame (only on connections that negotiated [`DistFlags::ERGO_PROXY`]); an
    /// error closes the connection. By default proxy frames are refused.
    fn proxy(&mut self, frame: Bytes) -> Result<(), ConnectionError> {
        let _ = frame;
        Err(ConnectionError::Proxy(
            "this end does not take proxy frames".into(),
        ))
    }
}

type Incoming = mpsc::Sender<Result<DistMessage, ConnectionError>>;

/// Where the reader puts what it decodes, chosen after the connection starts.
enum Sink {
    /// Through a bounded channel to a [`DistReceiver`] (backpressure to the socket).
    Channel(Incoming),
    /// Straight into a handler.
    Handler(Box<dyn IncomingHandler>),
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
    /// Until the first `recv`/`split`/`handle_with`: how to tell the reader where to deliver.
    unchosen: Option<(oneshot::Sender<Sink>, Incoming)>,
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
        let outbox = Arc::new(Outbox {
            state: std::sync::Mutex::new(OutboxState {
                buf: Vec::with_capacity(64 << 10),
                splices: Vec::new(),
                encoder: FrameEncoder::new(done.flags, &options.frames),
                closed: false,
                peer: done.peer_name.clone(),
                messages_out: 0,
            }),
            ready: tokio::sync::Notify::new(),
            traffic: Arc::new(TrafficCounters::default()),
        });
        let (in_tx, in_rx) = mpsc::channel(options.queue_len.max(1));
        let (sink_tx, sink_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let decoder = FrameDecoder::new(done.flags, &options.frames);
        let peer = done.peer_name.clone();
        let writer = tokio::spawn(write_loop(
            write_half,
            Arc::clone(&outbox),
            stop_rx,
            options.clone(),
            peer.clone(),
        ));
        let reader = tokio::spawn(read_loop(
            read_half,
            sink_rx,
            stop_tx,
            decoder,
            options.clone(),
            (peer, Arc::clone(&outbox.traffic)),
        ));
        let tasks = Arc::new(Tasks { reader, writer });
        DistConnection {
            peer_name: done.peer_name,
            peer_creation: done.peer_creation,
            flags: done.flags,
            sender: DistSender {
                outbox,
                tasks: tasks.clone(),
            },
            receiver: DistReceiver {
                incoming: in_rx,
                _tasks: tasks,
            },
            unchosen: Some((sink_tx, in_tx)),
        }
    }

    fn deliver_to_channel(&mut self) {
        if let Some((choice, channel)) = self.unchosen.take() {
            let _ = choice.send(Sink::Channel(channel));
        }
    }

    /// Hands incoming messages to `handler` on the reader task; returns the sending half.
    pub fn handle_with(mut self, handler: impl IncomingHandler) -> DistSender {
        if let Some((choice, _)) = self.unchosen.take() {
            let _ = choice.send(Sink::Handler(Box::new(handler)));
        }
        self.sender
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
        self.deliver_to_channel();
        self.receiver.recv().await
    }

    /// Splits into the sending and receiving halves.
    pub fn split(mut self) -> (DistSender, DistReceiver) {
        self.deliver_to_channel();
        (self.sender, self.receiver)
    }
}

/// Resolves `remote` (static route or EPMD), dials it, handshakes and starts the connection;
/// `arbiter` answers the peer's `alive` (see [`ConnectionArbiter::replace_on_alive`]).
pub async fn connect(
    local: &LocalNode,
    remote: &str,
    cookie: &str,
    arbiter: &dyn ConnectionArbiter,
    resolver: &Resolver,
    handshake_options: &HandshakeOptions,
    options: &ConnectionOptions,
) -> Result<DistConnection, HandshakeError> {
    let addr = resolver.resolve(remote).await?;
    let stream = tokio::time::timeout(handshake_options.setup_timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| HandshakeError::Timeout)??;
    let _ = stream.set_nodelay(true);
    let done =
        handshake::initiate_with(stream, local, remote, cookie, handshake_options, arbiter).await?;
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
    outbox: Arc<Outbox>,
    mut stop: oneshot::Receiver<()>,
    options: ConnectionOptions,
    peer: String,
) {
    let mut write_half = Box::pin(write_half);
    let tick_every = (options.net_ticktime / 4).max(Duration::from_millis(10));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + tick_every, tick_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut wrote_since_tick = false;
    let mut batching = Batching::default();
    let mut spare: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut spare_splices: Vec<Splice> = Vec::new();
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            _ = outbox.ready.notified() => {
                let (pending, closed) = {
                    let state = outbox.lock();
                    (state.pending(), state.closed)
                };
                if closed {
                    break;
                }
                if pending == 0 {
                    continue;
                }
                // Under load, the tasks that feed this connection are runnable right now: one
                // yield lets them add more, turning many small writes into one. Idle, a yield
                // only adds latency, so it is tried again only now and then.
                if pending < SMALL_BATCH && batching.worth_a_yield() {
                    tokio::task::yield_now().await;
                    batching.yielded(outbox.lock().pending() > pending);
                }
                {
                    let mut state = outbox.lock();
                    std::mem::swap(&mut state.buf, &mut spare);
                    std::mem::swap(&mut state.splices, &mut spare_splices);
                }
                let written = if spare_splices.is_empty() {
                    write_half.write_all(&spare).await
                } else {
                    write_pieces(&mut write_half, &spare, &spare_splices).await
                };
                if let Err(err) = written {
                    tracing::warn!(%peer, %err, "distribution write failed; closing");
                    break;
                }
                outbox
                    .traffic
                    .bytes_out(ergo_etf::iovec::spliced_len(&spare, &spare_splices));
                spare.clear();
                spare_splices.clear();
                if spare.capacity() > (4 << 20) {
                    spare = Vec::with_capacity(64 << 10);
                }
                wrote_since_tick = true;
            }
            _ = ticker.tick() => {
                if !wrote_since_tick {
                    if let Err(err) = write_half.write_all(&[0, 0, 0, 0]).await {
                        tracing::warn!(%peer, %err, "tick write failed; closing");
                        break;
                    }
                    outbox.traffic.bytes_out(4);
                    tracing::trace!(%peer, "tick sent");
                }
                wrote_since_tick = false;
            }
        }
    }
    outbox.close();
    let _ = write_half.shutdown().await;
}

/// Writes `buf` with `splices` inserted, with vectored writes (a stream that cannot write
/// vectored takes one piece per call).
async fn write_pieces<W: AsyncWrite + ?Sized>(
    w: &mut std::pin::Pin<Box<W>>,
    buf: &[u8],
    splices: &[Splice],
) -> std::io::Result<()> {
    /// Pieces handed to one `writev` (Linux allows 1,024).
    const MAX_SLICES: usize = 64;
    let mut pieces: Vec<&[u8]> = ergo_etf::iovec::pieces(buf, splices).collect();
    let mut first = 0;
    while first < pieces.len() {
        let slices: Vec<std::io::IoSlice<'_>> = pieces[first..]
            .iter()
            .take(MAX_SLICES)
            .map(|p| std::io::IoSlice::new(p))
            .collect();
        let mut n = w.write_vectored(&slices).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while n > 0 {
            let Some(p) = pieces.get_mut(first) else {
                break;
            };
            if n >= p.len() {
                n -= p.len();
                first += 1;
            } else {
                *p = &p[n..];
                n = 0;
            }
        }
    }
    Ok(())
}

fn encode_logged(
    encoder: &mut FrameEncoder,
    ctl: &ControlMessage,
    payload: Option<&Term>,
    compression: Option<&Compression>,
    buf: &mut Vec<u8>,
    splices: &mut Vec<Splice>,
    peer: &str,
) {
    let before = buf.len();
    let spliced_before = splices.len();
    if let Err(err) = encoder.encode_with(ctl, payload, compression, buf, Some(splices)) {
        buf.truncate(before);
        splices.truncate(spliced_before);
        tracing::error!(%peer, %err, op = ctl.op(), "dropping a message that cannot be encoded");
    }
}

async fn read_loop<R: AsyncRead>(
    read_half: R,
    sink: oneshot::Receiver<Sink>,
    stop_writer: oneshot::Sender<()>,
    mut decoder: FrameDecoder,
    options: ConnectionOptions,
    (peer, traffic): (String, Arc<TrafficCounters>),
) {
    let Ok(mut sink) = sink.await else {
        let _ = stop_writer.send(());
        return;
    };
    let mut frames = FrameReader::new(read_half, &options);
    let proxy = decoder.flags().contains(DistFlags::ERGO_PROXY);
    let reason = loop {
        let next = frames.next().await;
        if let Ok(frame) = &next {
            traffic.frame_in(frame.len() + 4);
        }
        let decoded = match next {
            Ok(frame) if frame.is_empty() => continue,
            Ok(frame) if frame[0] == PROXY_TAG && proxy => match &mut sink {
                Sink::Handler(handler) => handler.proxy(frame).map(|()| None),
                Sink::Channel(_) => Err(ConnectionError::Proxy(
                    "a proxy frame on a connection read as a channel".into(),
                )),
            },
            Ok(frame) => decoder.decode(frame).map_err(ConnectionError::from),
            Err(err) => Err(err),
        };
        if let Ok(Some(_)) = &decoded {
            traffic.message_in();
        }
        match decoded {
            Ok(Some(msg)) => match &mut sink {
                Sink::Channel(incoming) => {
                    if incoming.send(Ok(msg)).await.is_err() {
                        break None;
                    }
                }
                Sink::Handler(handler) => handler.message(msg),
            },
            Ok(None) => {}
            Err(err) => break Some(err),
        }
    };
    if let Some(err) = reason {
        match &err {
            ConnectionError::Closed => tracing::info!(%peer, "peer closed the connection"),
            _ => tracing::warn!(%peer, reason = %err, "closing distribution connection"),
        }
        match &mut sink {
            Sink::Channel(incoming) => {
                let _ = incoming.send(Err(err)).await;
            }
            Sink::Handler(handler) => handler.ended(err),
        }
    }
    let _ = stop_writer.send(());
}

/// How much a socket read asks for at least.
const READ_CHUNK: usize = 64 << 10;

/// Splits the socket's byte stream into frames without copying them: reads land in one buffer
/// and each complete frame is split off it as `Bytes`. The silence timeout applies to socket
/// reads only, so frames already buffered cost no timer.
struct FrameReader<R> {
    read: std::pin::Pin<Box<R>>,
    buf: BytesMut,
    silence: Duration,
    max_frame: usize,
}

impl<R: AsyncRead> FrameReader<R> {
    fn new(read: R, options: &ConnectionOptions) -> FrameReader<R> {
        FrameReader {
            read: Box::pin(read),
            buf: BytesMut::with_capacity(READ_CHUNK),
            silence: options.net_ticktime,
            max_frame: options.frames.max_frame_size,
        }
    }

    /// The next frame's body; empty for a tick.
    async fn next(&mut self) -> Result<bytes::Bytes, ConnectionError> {
        loop {
            let mut wanted = READ_CHUNK;
            if let Some(head) = self.buf.get(..4) {
                let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                if len > self.max_frame {
                    return Err(FrameError::TooLarge {
                        len,
                        max: self.max_frame,
                    }
                    .into());
                }
                if self.buf.len() >= 4 + len {
                    let _ = self.buf.split_to(4);
                    return Ok(self.buf.split_to(len).freeze());
                }
                wanted = wanted.max(4 + len - self.buf.len());
            }
            self.buf.reserve(wanted);
            match tokio::time::timeout(self.silence, self.read.read_buf(&mut self.buf)).await {
                Err(_) => return Err(ConnectionError::TickTimeout(self.silence)),
                Ok(Ok(0)) => return Err(ConnectionError::Closed),
                Ok(Err(e)) => return Err(ConnectionError::from_read(e)),
                Ok(Ok(_)) => {}
            }
        }
    }
}
