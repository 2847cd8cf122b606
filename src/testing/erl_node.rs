//! `ErlNode`: a real `erl` node for integration tests, started with a name and a cookie (and
//! whatever [`ErlOptions`] add), driven by a small Erlang driver (`driver.erl`) over a loopback
//! TCP connection, killed when dropped. Owns the node's process, its output (read line by line
//! for tests that wait for a printed line) and the request protocol; must not know any test.
//!
//! Values come back as the external term format: exact for every term (pids, references, funs,
//! floats, maps, binaries against charlists), independent of `~p`'s line wrapping, and decoded by
//! the same codec the distribution uses. The node's stdin and stdout stay free for the test:
//! modules it runs may read stdin (it closes when the node is stopped or dropped) and print the
//! lines [`ErlNode::wait_line`] waits for.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::erl_options::ErlOptions;
use crate::{Atom, FromTerm, Term};

/// How long [`ErlNode::start`] waits for the node to come up (and any request waits for a node
/// started with [`ErlOptions::spawn`] to come up).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`ErlNode::eval`] and [`ErlNode::compile`] wait for an answer.
pub const EVAL_TIMEOUT: Duration = Duration::from_secs(30);

/// How often [`ErlNode::wait_until`] evaluates its condition again.
const POLL: Duration = Duration::from_millis(20);

/// True when `ERGO_REQUIRE_ERL=1`: a missing `erl` is then an error
/// ([`ErlError::NotInstalled`]) instead of a skipped test. CI sets it.
pub fn erl_required() -> bool {
    std::env::var("ERGO_REQUIRE_ERL").is_ok_and(|v| v == "1")
}

/// What went wrong with an [`ErlNode`].
#[derive(Debug, thiserror::Error)]
pub enum ErlError {
    /// `erl` is not on the PATH and `ERGO_REQUIRE_ERL=1` says it must be.
    #[error("`erl` is not installed, and ERGO_REQUIRE_ERL=1 requires it")]
    NotInstalled,
    /// The node name is not `name@host`.
    #[error("bad node name {0:?}: expected name@host")]
    BadName(String),
    /// Starting or talking to the process failed.
    #[error("erl node {node}: {error}")]
    Io {
        /// The node.
        node: String,
        /// What failed.
        error: std::io::Error,
    },
    /// The node ended (or never came up); what it printed is kept.
    #[error("erl node {node} exited; its output:\n{output}")]
    Exited {
        /// The node.
        node: String,
        /// Everything it printed.
        output: String,
    },
    /// No answer within the deadline.
    #[error("erl node {node}: no answer within {within:?} to {request}")]
    Timeout {
        /// The node.
        node: String,
        /// The deadline.
        within: Duration,
        /// The request.
        request: String,
    },
    /// The expression does not scan or parse.
    #[error("cannot parse {expr:?}: {message}")]
    Parse {
        /// The expression.
        expr: String,
        /// What erl_parse said.
        message: String,
    },
    /// The expression raised an exception.
    #[error("{expr} raised {class}: {reason}")]
    Raised {
        /// The expression.
        expr: String,
        /// `error`, `exit` or `throw`.
        class: Atom,
        /// The exception's reason.
        reason: Box<Term>,
        /// The stack trace.
        stack: Box<Term>,
    },
    /// The source does not compile.
    #[error("compile errors:\n{0}")]
    Compile(String),
    /// The answer could not be decoded (a driver bug).
    #[error("undecodable answer from erl node {node}: {detail}")]
    BadAnswer {
        /// The node.
        node: String,
        /// What was wrong.
        detail: String,
    },
    /// The node did not connect back, or its connection failed.
    #[error("erl node {node}: its driver connection failed: {detail}")]
    Connect {
        /// The node.
        node: String,
        /// What failed.
        detail: String,
    },
    /// The value is not of the type asked for.
    #[error("value {value} is not of the type asked for: {error}")]
    Convert {
        /// The value.
        value: Box<Term>,
        /// Why it does not convert.
        error: Box<crate::ConvertError>,
    },
}

/// A real Erlang node (`erl -sname Name -setcookie Cookie -noshell`) for a test: compile
/// Erlang source on it, evaluate expressions and get their values as [`Term`]s, run expressions
/// in the background, wait for the lines it prints. It is killed when dropped (and halts by
/// itself when its driver's connection closes). Rust nodes reach it by its [`ErlNode::name`]
/// over the ordinary distribution.
///
/// [`ErlNode::start`] starts a plain node; [`ErlNode::options`] adds `erl` flags (`-hidden`,
/// `-proto_dist inet_tls`...), plain arguments, modules loaded from files and an expression run
/// at start.
///
/// Its deadlines are tokio's time: a test with a real node runs in real (not paused) time.
pub struct ErlNode {
    pub(super) name: String,
    pub(super) child: Child,
    pub(super) os_pid: Option<u32>,
    pub(super) stdin: Option<ChildStdin>,
    pub(super) conn: tokio::sync::Mutex<Conn>,
    pub(super) pending: Pending,
    pub(super) synced: watch::Receiver<u64>,
    pub(super) lines: tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>,
    pub(super) output: Arc<Mutex<Vec<String>>>,
    pub(super) dir: PathBuf,
    pub(super) next_id: AtomicU64,
}

/// The answers awaited, by request id, and whether the connection has ended (then no answer
/// comes: a request registered after the end is told at once).
#[derive(Default)]
pub(super) struct Waiting {
    pub(super) by_id: Mutex<HashMap<u64, mpsc::UnboundedSender<Term>>>,
    pub(super) ended: std::sync::atomic::AtomicBool,
}

/// The answers awaited, shared with the connection's reader.
pub(super) type Pending = Arc<Waiting>;

/// The driver's connection: being set up, or its write half.
pub(super) enum Conn {
    /// The node has not connected yet: what its connecting ends with.
    Connecting(oneshot::Receiver<Result<OwnedWriteHalf, ConnectFailure>>),
    /// Connected.
    Ready(OwnedWriteHalf),
    /// It never connected (the reason, for every later request).
    Failed(String),
}

/// Why the driver did not connect.
#[derive(Debug)]
pub(super) enum ConnectFailure {
    /// The node ended first.
    Exited,
    /// Not within [`START_TIMEOUT`].
    Timeout,
    /// Accepting or reading failed.
    Io(std::io::Error),
    /// A file given to [`ErlOptions::load_file`] did not compile.
    LoadFailed(String),
    /// The first frame was not a greeting.
    BadHello(String),
}

impl std::fmt::Debug for ErlNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErlNode")
            .field("name", &self.name)
            .field("os_pid", &self.os_pid)
            .finish()
    }
}

/// A request's answers, unregistered when dropped.
struct Waiter {
    id: u64,
    answers: mpsc::UnboundedReceiver<Term>,
    pending: Pending,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        lock(&self.pending.by_id).remove(&self.id);
    }
}

/// An expression evaluated in its own process on an [`ErlNode`] (see
/// [`ErlNode::eval_background`]); its value is awaited with [`ErlTask::result`].
pub struct ErlTask {
    node: String,
    expr: String,
    pid: Term,
    waiter: Waiter,
}

impl std::fmt::Debug for ErlTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErlTask")
            .field("node", &self.node)
            .field("expr", &self.expr)
            .field("pid", &self.pid.to_string())
            .finish()
    }
}

impl ErlTask {
    /// The pid of the process evaluating the expression.
    pub fn pid(&self) -> &Term {
        &self.pid
    }

    /// Waits (up to `within`) for the expression's value; an exception is
    /// [`ErlError::Raised`], the node ending first [`ErlError::Exited`] (without its output:
    /// see [`ErlNode::output`]).
    pub async fn result(mut self, within: Duration) -> Result<Term, ErlError> {
        match tokio::time::timeout(within, self.waiter.answers.recv()).await {
            Ok(Some(answer)) => outcome(&self.node, &self.expr, answer),
            Ok(None) => Err(ErlError::Exited {
                node: self.node.clone(),
                output: String::new(),
            }),
            Err(_) => Err(ErlError::Timeout {
                node: self.node.clone(),
                within,
                request: format!("the value of {}", self.expr),
            }),
        }
    }
}

fn text_of(term: &Term) -> String {
    match term {
        Term::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => other.to_string(),
    }
}

/// The largest frame the driver may send (a value this big is not a test's).
const MAX_FRAME: u32 = 256 << 20;

/// Reads one length-prefixed frame (None when the connection ends, or on a frame over
/// [`MAX_FRAME`], which ends it).
pub(super) async fn read_frame(read: &mut OwnedReadHalf) -> Option<Vec<u8>> {
    let len = read.read_u32().await.ok()?;
    if len > MAX_FRAME {
        tracing::warn!(
            len,
            "ErlNode: driver frame over 256 MiB; closing the connection"
        );
        return None;
    }
    let mut frame = vec![0; len as usize];
    read.read_exact(&mut frame).await.ok()?;
    Some(frame)
}

impl ErlNode {
    /// Starts `erl` as `name` (`name@host`: `-sname` for a short host, `-name` for one with
    /// dots) with `cookie`, and waits (up to [`START_TIMEOUT`]) until it is up.
    ///
    /// When `erl` is not installed it prints `SKIPPED <test>: erl is not installed` and returns
    /// `Ok(None)`, so the test can return; with `ERGO_REQUIRE_ERL=1` that is
    /// [`ErlError::NotInstalled`] instead.
    pub async fn start(name: &str, cookie: &str) -> Result<Option<ErlNode>, ErlError> {
        ErlNode::options(name, cookie).start().await
    }

    /// Options for a node named `name` with `cookie`: extra `erl` flags, plain arguments,
    /// modules loaded from files, an expression run at start; then [`ErlOptions::start`].
    pub fn options(name: &str, cookie: &str) -> ErlOptions {
        ErlOptions::new(name, cookie)
    }

    /// The node's full name (`name@host`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's name as an atom.
    pub fn atom(&self) -> Atom {
        Atom::new(&self.name)
    }

    /// The operating system's pid of the node (None once it has been reaped).
    pub fn os_pid(&self) -> Option<u32> {
        self.os_pid
    }

    /// Kills the node at once (SIGKILL: its peers see its connections drop, with no goodbye).
    pub fn kill(&mut self) {
        let _ = self.child.start_kill();
    }

    /// Everything the node printed so far (stderr lines marked `stderr: `).
    pub fn output(&self) -> String {
        lock(&self.output).join("\n")
    }

    /// The next line the node prints on stdout (blank lines skipped), within `within`;
    /// [`ErlError::Exited`] when its stdout closes first.
    pub async fn next_line(&self, within: Duration) -> Result<String, ErlError> {
        let mut lines = self.lines.lock().await;
        match tokio::time::timeout(within, lines.recv()).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => Err(self.exited()),
            Err(_) => Err(self.timeout(within, "a line on stdout")),
        }
    }

    /// Reads stdout lines until one starts with `prefix` (skipping the others) and returns it,
    /// within `within` in all.
    pub async fn wait_line(&self, prefix: &str, within: Duration) -> Result<String, ErlError> {
        let deadline = Instant::now() + within;
        let mut lines = self.lines.lock().await;
        loop {
            match tokio::time::timeout_at(deadline, lines.recv()).await {
                Ok(Some(line)) if line.starts_with(prefix) => return Ok(line),
                Ok(Some(_)) => {}
                Ok(None) => return Err(self.exited()),
                Err(_) => {
                    return Err(self.timeout(within, &format!("a line starting with {prefix:?}")))
                }
            }
        }
    }

    /// Evaluates `expr` (Erlang expressions separated by commas; the final dot may be left
    /// out) and returns the value of the last one. Variables bound by one call are seen by the
    /// next. An exception is [`ErlError::Raised`] with its class, reason and stack. What the
    /// expression printed is in [`ErlNode::output`] (and the lines) when this returns.
    pub async fn eval(&self, expr: &str) -> Result<Term, ErlError> {
        self.eval_within(expr, EVAL_TIMEOUT).await
    }

    /// [`ErlNode::eval`], converting the value to `T`.
    pub async fn eval_as<T: FromTerm>(&self, expr: &str) -> Result<T, ErlError> {
        let value = self.eval(expr).await?;
        T::from_term(value.clone()).map_err(|error| ErlError::Convert {
            value: Box::new(value),
            error: Box::new(error),
        })
    }

    /// [`ErlNode::eval`] with its own deadline.
    pub async fn eval_within(&self, expr: &str, within: Duration) -> Result<Term, ErlError> {
        let answer = self.ask("eval", &dotted(expr), within, true).await?;
        outcome(&self.name, expr, answer)
    }

    /// Evaluates `expr` (with the bindings [`ErlNode::eval`] made so far) in a new process
    /// and returns at once; the value is [`ErlTask::result`]. For what blocks: a call that waits
    /// for the test's Rust node to act, a `receive`.
    pub async fn eval_background(&self, expr: &str) -> Result<ErlTask, ErlError> {
        let deadline = Instant::now() + EVAL_TIMEOUT;
        let mut waiter = self.send("spawn", &dotted(expr)).await?;
        let pid = match tokio::time::timeout_at(deadline, waiter.answers.recv()).await {
            Ok(Some(answer)) => match answer.as_tuple() {
                Some([tag, pid]) if tag.is_atom("started") => pid.clone(),
                _ => {
                    return Err(match outcome(&self.name, expr, answer) {
                        Ok(value) => self.bad(value),
                        Err(error) => error,
                    })
                }
            },
            Ok(None) => return Err(self.exited()),
            Err(_) => return Err(self.timeout(EVAL_TIMEOUT, expr)),
        };
        Ok(ErlTask {
            node: self.name.clone(),
            expr: expr.to_string(),
            pid,
            waiter,
        })
    }

    /// Evaluates `expr` again and again (every 20 ms) until its value is `true`, within
    /// `within`; an exception ends the wait. For a condition the node reaches by itself:
    /// `lists:member(rust@host, nodes())`, `whereis(srv) =/= undefined`.
    pub async fn wait_until(&self, expr: &str, within: Duration) -> Result<(), ErlError> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let value = self.eval_within(expr, left.max(POLL)).await?;
            if value.is_atom("true") {
                return Ok(());
            }
            if Instant::now() + POLL > deadline {
                return Err(self.timeout(within, &format!("{expr} to be true (it is {value})")));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Compiles and loads an Erlang module from its source text (with the preprocessor:
    /// macros, records, includes relative to nowhere but the node's own library); returns the
    /// module's name. Errors are [`ErlError::Compile`] with the compiler's messages.
    pub async fn compile(&self, source: &str) -> Result<Atom, ErlError> {
        let n = self.next_id.load(Ordering::Relaxed);
        let path = self.dir.join(format!("source_{n}.erl"));
        std::fs::write(&path, source).map_err(|error| ErlError::Io {
            node: self.name.clone(),
            error,
        })?;
        self.load_file(&path).await
    }

    /// Compiles and loads the Erlang module in the file at `path` (includes are looked up
    /// next to it); returns the module's name.
    pub async fn load_file(&self, path: impl AsRef<std::path::Path>) -> Result<Atom, ErlError> {
        let path = path.as_ref().display().to_string();
        let answer = self.ask("compile", &path, EVAL_TIMEOUT, true).await?;
        match outcome(&self.name, "compile", answer)? {
            Term::Atom(module) => Ok(module),
            other => Err(self.bad(other)),
        }
    }

    /// Halts the node (closes the driver's connection and stdin, waits up to 5 s for it to
    /// end, then kills it).
    pub async fn stop(mut self) {
        {
            let mut conn = self.conn.lock().await;
            if let Conn::Ready(write) = &mut *conn {
                let _ = write.shutdown().await;
            }
            *conn = Conn::Failed("stopped".into());
        }
        self.stdin.take();
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
        }
    }

    /// Waits for the driver's connection (within [`START_TIMEOUT`]).
    pub(super) async fn ready(&self) -> Result<(), ErlError> {
        let mut conn = self.conn.lock().await;
        self.connected(&mut conn).await
    }

    async fn connected(&self, conn: &mut Conn) -> Result<(), ErlError> {
        let failure = match conn {
            Conn::Ready(_) => return Ok(()),
            Conn::Failed(why) => {
                return Err(ErlError::Connect {
                    node: self.name.clone(),
                    detail: why.clone(),
                })
            }
            Conn::Connecting(rx) => match rx.await {
                Ok(Ok(write)) => {
                    *conn = Conn::Ready(write);
                    return Ok(());
                }
                Ok(Err(failure)) => failure,
                Err(_) => ConnectFailure::Exited,
            },
        };
        *conn = Conn::Failed(format!("{failure:?}"));
        Err(match failure {
            ConnectFailure::Exited => self.exited(),
            ConnectFailure::Timeout => self.timeout(START_TIMEOUT, "start"),
            ConnectFailure::LoadFailed(text) => ErlError::Compile(text),
            ConnectFailure::Io(error) => ErlError::Io {
                node: self.name.clone(),
                error,
            },
            ConnectFailure::BadHello(detail) => ErlError::BadAnswer {
                node: self.name.clone(),
                detail,
            },
        })
    }

    /// Sends a request; the answers come to the returned waiter.
    async fn send(&self, kind: &str, text: &str) -> Result<Waiter, ErlError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, answers) = mpsc::unbounded_channel();
        lock(&self.pending.by_id).insert(id, tx);
        let waiter = Waiter {
            id,
            answers,
            pending: Arc::clone(&self.pending),
        };
        if self.pending.ended.load(Ordering::SeqCst) {
            return Err(self.exited());
        }
        let request = Term::tuple(vec![
            Term::Int(id as i64),
            Term::binary(kind.as_bytes().to_vec()),
            Term::binary(text.as_bytes().to_vec()),
        ]);
        let bytes = crate::to_bytes(&request).map_err(|e| self.bad_text(e.to_string()))?;
        let mut frame = Vec::with_capacity(bytes.len() + 4);
        frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        frame.extend_from_slice(&bytes);
        let mut conn = self.conn.lock().await;
        self.connected(&mut conn).await?;
        if let Conn::Ready(write) = &mut *conn {
            if write.write_all(&frame).await.is_err() {
                drop(conn);
                return Err(self.exited());
            }
        }
        Ok(waiter)
    }

    /// Sends a request and waits for its one answer (and, with `sync`, for the stdout marker
    /// the driver prints before it).
    async fn ask(
        &self,
        kind: &str,
        text: &str,
        within: Duration,
        sync: bool,
    ) -> Result<Term, ErlError> {
        let mut waiter = self.send(kind, text).await?;
        let deadline = Instant::now() + within;
        let answer = match tokio::time::timeout_at(deadline, waiter.answers.recv()).await {
            Ok(Some(answer)) => answer,
            Ok(None) => return Err(self.exited()),
            Err(_) => return Err(self.timeout(within, &format!("{kind} {text}"))),
        };
        if sync {
            let mut synced = self.synced.clone();
            // Ends early when stdout closes (the node ended): the answer is in hand anyway.
            let _ = tokio::time::timeout_at(deadline, synced.wait_for(|n| *n >= waiter.id)).await;
        }
        Ok(answer)
    }

    fn exited(&self) -> ErlError {
        ErlError::Exited {
            node: self.name.clone(),
            output: self.output(),
        }
    }

    fn timeout(&self, within: Duration, request: &str) -> ErlError {
        ErlError::Timeout {
            node: self.name.clone(),
            within,
            request: format!("{request} (output so far:\n{})", self.output()),
        }
    }

    fn bad(&self, answer: Term) -> ErlError {
        self.bad_text(format!("unexpected answer {answer}"))
    }

    fn bad_text(&self, detail: String) -> ErlError {
        ErlError::BadAnswer {
            node: self.name.clone(),
            detail,
        }
    }
}

/// `expr` ending with a dot (on its own line, after any comment).
pub(super) fn dotted(expr: &str) -> String {
    let trimmed = expr.trim_end();
    if trimmed.ends_with('.') {
        trimmed.to_string()
    } else {
        format!("{trimmed}\n.")
    }
}

/// The value, or the error, an answer says.
fn outcome(node: &str, expr: &str, answer: Term) -> Result<Term, ErlError> {
    let bad = |answer: &Term| ErlError::BadAnswer {
        node: node.to_string(),
        detail: format!("unexpected answer {answer}"),
    };
    let Some(elems) = answer.as_tuple() else {
        return Err(bad(&answer));
    };
    match elems {
        [tag, value] if tag.is_atom("ok") => Ok(value.clone()),
        [tag, Term::Atom(class), reason, stack] if tag.is_atom("raised") => Err(ErlError::Raised {
            expr: expr.to_string(),
            class: class.clone(),
            reason: Box::new(reason.clone()),
            stack: Box::new(stack.clone()),
        }),
        [tag, message] if tag.is_atom("parse_error") => Err(ErlError::Parse {
            expr: expr.to_string(),
            message: text_of(message),
        }),
        [tag, message] if tag.is_atom("compile_error") => Err(ErlError::Compile(text_of(message))),
        _ => Err(bad(&answer)),
    }
}

impl Drop for ErlNode {
    fn drop(&mut self) {
        // kill_on_drop kills the node when the child handle goes; the sources go too.
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
