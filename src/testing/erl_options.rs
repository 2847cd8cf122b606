//! `ErlOptions`: how an [`ErlNode`] is started (its `erl` flags, plain arguments, the modules it
//! loads from files, the expression it runs at start) and the starting itself: the `erl`
//! process, the readers of its stdout and stderr, and the driver's connection coming back.
//! Must not know the request protocol past the driver's greeting.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, watch};

use super::erl_node::{
    dotted, erl_required, lock, read_frame, Conn, ConnectFailure, ErlError, ErlNode, Pending,
    START_TIMEOUT,
};
use crate::Term;

/// The driver's source, compiled by the node at start.
const DRIVER: &str = include_str!("driver.erl");

/// How an [`ErlNode`] starts: `ErlNode::options(name, cookie)`, then flags, files and a
/// start expression, then [`ErlOptions::start`].
///
/// ```no_run
/// use ergo::testing::ErlNode;
///
/// # async fn demo() -> Result<(), ergo::testing::ErlError> {
/// let Some(erl) = ErlNode::options("tls_peer@localhost", "secret")
///     .args(["-proto_dist", "inet_tls", "-ssl_dist_optfile", "/tmp/ssl_dist.conf"])
///     .hidden()
///     .load_file("tests/side.erl")
///     .plain_args(["serve"]) // init:get_plain_arguments() on the node
///     .run("side:main()") // in its own process, once the files are loaded
///     .start()
///     .await?
/// else {
///     return Ok(()); // erl is not installed (and ERGO_REQUIRE_ERL is not 1)
/// };
/// erl.wait_line("READY", std::time::Duration::from_secs(30)).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ErlOptions {
    name: String,
    cookie: String,
    args: Vec<OsString>,
    plain: Vec<OsString>,
    files: Vec<PathBuf>,
    run: Option<String>,
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn temp_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("ergo-erlnode-{}-{n}", std::process::id()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl ErlOptions {
    pub(super) fn new(name: &str, cookie: &str) -> ErlOptions {
        ErlOptions {
            name: name.to_string(),
            cookie: cookie.to_string(),
            args: Vec::new(),
            plain: Vec::new(),
            files: Vec::new(),
            run: None,
        }
    }

    /// One more `erl` flag (or flag value), e.g. `-connect_all`, `false`.
    pub fn arg(mut self, arg: impl Into<OsString>) -> ErlOptions {
        self.args.push(arg.into());
        self
    }

    /// More `erl` flags, in order: `["-proto_dist", "inet_tls"]`, `["-kernel", "net_ticktime", "4"]`.
    pub fn args<A: Into<OsString>>(mut self, args: impl IntoIterator<Item = A>) -> ErlOptions {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// A hidden node (`-hidden`): its connections are not made visible to the others.
    pub fn hidden(self) -> ErlOptions {
        self.arg("-hidden")
    }

    /// Plain arguments (after `-extra`): what `init:get_plain_arguments()` returns on the node.
    pub fn plain_args<A: Into<OsString>>(
        mut self,
        args: impl IntoIterator<Item = A>,
    ) -> ErlOptions {
        self.plain.extend(args.into_iter().map(Into::into));
        self
    }

    /// A module the node compiles (with the preprocessor; includes next to the file) and loads
    /// before anything runs; files load in the order given. One that does not compile makes
    /// the start fail with [`ErlError::Compile`].
    pub fn load_file(mut self, path: impl Into<PathBuf>) -> ErlOptions {
        self.files.push(path.into());
        self
    }

    /// An expression the node evaluates in its own process once the files are loaded, e.g.
    /// `side:main()` of a module that prints `READY` and serves; what it prints is read with
    /// [`ErlNode::wait_line`]. A failure is printed on the node's stderr (in
    /// [`ErlNode::output`]).
    pub fn run(mut self, expr: impl Into<String>) -> ErlOptions {
        self.run = Some(expr.into());
        self
    }

    /// Starts the node and waits (up to [`START_TIMEOUT`]) until it is up with its files
    /// loaded. When `erl` is not installed: `Ok(None)` after printing `SKIPPED <test>`, or
    /// [`ErlError::NotInstalled`] with `ERGO_REQUIRE_ERL=1`.
    pub async fn start(self) -> Result<Option<ErlNode>, ErlError> {
        let Some(node) = self.spawn()? else {
            return Ok(None);
        };
        node.ready().await?;
        Ok(Some(node))
    }

    /// Starts the node without waiting for it (a request waits, up to [`START_TIMEOUT`], for it
    /// to come up); for a node whose start expression the test follows by its printed lines.
    /// Must run within a tokio runtime. Skips as [`ErlOptions::start`] does.
    pub fn spawn(self) -> Result<Option<ErlNode>, ErlError> {
        if !on_path("erl") {
            if erl_required() {
                return Err(ErlError::NotInstalled);
            }
            let test = std::thread::current()
                .name()
                .unwrap_or("this test")
                .to_string();
            eprintln!(
                "SKIPPED {test}: `erl` is not installed (ERGO_REQUIRE_ERL=1 makes this an error)"
            );
            return Ok(None);
        }
        let name = self.name.clone();
        let Some((_, host)) = name.split_once('@') else {
            return Err(ErlError::BadName(name));
        };
        let name_flag = if host.contains('.') {
            "-name"
        } else {
            "-sname"
        };
        let io_error = |error| ErlError::Io {
            node: name.clone(),
            error,
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(io_error)?;
        listener.set_nonblocking(true).map_err(io_error)?;
        let port = listener.local_addr().map_err(io_error)?.port();
        let listener = TcpListener::from_std(listener).map_err(io_error)?;
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        let driver = dir.join("ergo_test_driver.erl");
        std::fs::write(&driver, DRIVER).map_err(io_error)?;
        let driver = driver.display().to_string();
        let text = |s: String| Term::binary(s.into_bytes());
        let boot_args = Term::tuple(vec![
            Term::Int(i64::from(port)),
            Term::list(
                self.files
                    .iter()
                    .map(|f| text(f.display().to_string()))
                    .collect::<Vec<_>>(),
            ),
            match &self.run {
                Some(expr) => text(dotted(expr)),
                None => Term::atom("none"),
            },
        ]);
        let boot_args = crate::to_bytes(&boot_args).map_err(|e| ErlError::BadAnswer {
            node: name.clone(),
            detail: e.to_string(),
        })?;
        let boot = format!(
            "{{ok, M, B}} = compile:file({driver:?}, [binary, report]), \
             {{module, M}} = code:load_binary(M, {driver:?}, B), \
             M:main(binary_to_term(binary:decode_hex(<<\"{}\">>))).",
            hex(&boot_args)
        );
        let mut command = Command::new("erl");
        command
            .args([name_flag, &name, "-setcookie", &self.cookie, "-noshell"])
            .args(&self.args)
            .args(["-eval", &boot]);
        if !self.plain.is_empty() {
            command.arg("-extra").args(&self.plain);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(io_error)?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let (lines_tx, lines) = mpsc::unbounded_channel();
        let (synced_tx, synced) = watch::channel(0u64);
        let (ended_tx, ended) = watch::channel(false);
        if let Some(stdout) = child.stdout.take() {
            let output = Arc::clone(&output);
            tokio::spawn(async move {
                let mut reader = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    if let Some(id) = line.strip_prefix("ERGO_SYNC ") {
                        if let Ok(id) = id.trim().parse() {
                            synced_tx.send_replace(id);
                            continue;
                        }
                    }
                    if !line.is_empty() {
                        lock(&output).push(line.clone());
                        let _ = lines_tx.send(line);
                    }
                }
                let _ = ended_tx.send(true);
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let output = Arc::clone(&output);
            tokio::spawn(async move {
                let mut reader = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    lock(&output).push(format!("stderr: {line}"));
                }
            });
        }
        let pending: Pending = Arc::default();
        let (conn_tx, conn_rx) = oneshot::channel();
        let answers = Arc::clone(&pending);
        tokio::spawn(async move {
            let _ = conn_tx.send(connect(listener, ended, answers).await);
        });
        Ok(Some(ErlNode {
            name,
            os_pid: child.id(),
            stdin: child.stdin.take(),
            child,
            conn: tokio::sync::Mutex::new(Conn::Connecting(conn_rx)),
            pending,
            synced,
            lines: tokio::sync::Mutex::new(lines),
            output,
            dir,
            next_id: AtomicU64::new(1),
        }))
    }
}

/// Accepts the driver's connection (unless the node ends first), reads its greeting, then
/// hands every answer to its waiter until the connection ends (then the waiters see the end).
async fn connect(
    listener: TcpListener,
    mut ended: watch::Receiver<bool>,
    pending: Pending,
) -> Result<OwnedWriteHalf, ConnectFailure> {
    let accepted = tokio::select! {
        accepted = tokio::time::timeout(START_TIMEOUT, listener.accept()) => accepted,
        _ = ended.wait_for(|ended| *ended) => return Err(ConnectFailure::Exited),
    };
    let (stream, _) = match accepted {
        Ok(Ok(accepted)) => accepted,
        Ok(Err(error)) => return Err(ConnectFailure::Io(error)),
        Err(_) => return Err(ConnectFailure::Timeout),
    };
    let _ = stream.set_nodelay(true);
    let (mut read, write) = stream.into_split();
    let hello = tokio::select! {
        hello = tokio::time::timeout(START_TIMEOUT, read_frame(&mut read)) => hello,
        _ = ended.wait_for(|ended| *ended) => return Err(ConnectFailure::Exited),
    };
    let hello = match hello {
        Ok(Some(frame)) => {
            crate::from_bytes(&frame).map_err(|e| ConnectFailure::BadHello(e.to_string()))?
        }
        Ok(None) => return Err(ConnectFailure::Exited),
        Err(_) => return Err(ConnectFailure::Timeout),
    };
    match hello.as_tuple() {
        Some([tag, _os_pid]) if tag.is_atom("ready") => {}
        Some([tag, Term::Binary(text)]) if tag.is_atom("load_failed") => {
            return Err(ConnectFailure::LoadFailed(
                String::from_utf8_lossy(text).into_owned(),
            ))
        }
        _ => return Err(ConnectFailure::BadHello(hello.to_string())),
    }
    tokio::spawn(async move {
        while let Some(frame) = read_frame(&mut read).await {
            let Ok(answer) = crate::from_bytes(&frame) else {
                tracing::warn!(bytes = frame.len(), "ErlNode: undecodable answer dropped");
                continue;
            };
            let Some([Term::Int(id), answer]) = answer.as_tuple() else {
                tracing::warn!(%answer, "ErlNode: answer without an id dropped");
                continue;
            };
            let waiter = lock(&pending.by_id).get(&(*id as u64)).cloned();
            match waiter {
                Some(tx) => {
                    let _ = tx.send(answer.clone());
                }
                None => tracing::debug!(id, "ErlNode: answer to a request given up, dropped"),
            }
        }
        // The node ended: every waiter sees its channel close, later requests see the flag.
        pending.ended.store(true, Ordering::SeqCst);
        lock(&pending.by_id).clear();
    });
    Ok(write)
}
