//! `ErlNode`: a real `erl` node for integration tests, started with a name and a cookie, driven
//! over its stdin and stdout by a small Erlang driver (`driver.erl`), killed when dropped.
//!
//! Values come back as the external term format, hex-encoded on one stdout line: exact for
//! every term (pids, references, funs, floats, maps, binaries against charlists), independent of
//! `~p`'s line wrapping and of whether the test runs a distributed Rust node, and decoded by the
//! same codec the distribution uses.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::{Atom, FromTerm, Term};

/// The driver's source, compiled by the node at start.
const DRIVER: &str = include_str!("driver.erl");

/// How long [`ErlNode::start`] waits for the node to come up.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`ErlNode::eval`] and [`ErlNode::compile`] wait for an answer.
pub const EVAL_TIMEOUT: Duration = Duration::from_secs(30);

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
/// Erlang source on it, evaluate expressions and get their values as [`Term`]s. It is killed
/// when dropped (and halts by itself when its stdin closes). Rust nodes reach it by its
/// [`ErlNode::name`] over the ordinary distribution.
pub struct ErlNode {
    name: String,
    child: Child,
    link: tokio::sync::Mutex<Link>,
    output: Arc<Mutex<Vec<String>>>,
    dir: PathBuf,
    next_id: AtomicU64,
}

/// The request side: stdin, and the answers read from stdout.
struct Link {
    stdin: ChildStdin,
    answers: mpsc::UnboundedReceiver<(u64, String)>,
    /// Answers read while waiting for another (an earlier request that timed out).
    early: VecDeque<(u64, String)>,
}

impl std::fmt::Debug for ErlNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErlNode").field("name", &self.name).finish()
    }
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

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn text_of(term: &Term) -> String {
    match term {
        Term::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => other.to_string(),
    }
}

impl ErlNode {
    /// Starts `erl` as `name` (`name@host`: `-sname` for a short host, `-name` for one with
    /// dots) with `cookie`, and waits (up to [`START_TIMEOUT`]) until it is up.
    ///
    /// When `erl` is not installed it prints `SKIPPED <test>: erl is not installed` and returns
    /// `Ok(None)`, so the test can return; with `ERGO_REQUIRE_ERL=1` that is
    /// [`ErlError::NotInstalled`] instead.
    pub async fn start(name: &str, cookie: &str) -> Result<Option<ErlNode>, ErlError> {
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
        let Some((_, host)) = name.split_once('@') else {
            return Err(ErlError::BadName(name.to_string()));
        };
        let name_flag = if host.contains('.') {
            "-name"
        } else {
            "-sname"
        };
        let io_error = |error| ErlError::Io {
            node: name.to_string(),
            error,
        };
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        let driver = dir.join("ergo_test_driver.erl");
        std::fs::write(&driver, DRIVER).map_err(io_error)?;
        let driver = driver.display().to_string();
        let boot = format!(
            "{{ok, M, B}} = compile:file({driver:?}, [binary, report]), \
             {{module, M}} = code:load_binary(M, {driver:?}, B), M:main()."
        );
        let mut child = Command::new("erl")
            .args([
                name_flag,
                name,
                "-setcookie",
                cookie,
                "-noshell",
                "-eval",
                &boot,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(io_error)?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let (answers_tx, answers) = mpsc::unbounded_channel();
        let (ready_tx, mut ready) = mpsc::unbounded_channel();
        if let Some(stdout) = child.stdout.take() {
            let output = Arc::clone(&output);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(answer) = line.strip_prefix("ERGO_REPLY ") {
                        if let Some((id, hex)) = answer.split_once(' ') {
                            if let Ok(id) = id.parse() {
                                let _ = answers_tx.send((id, hex.to_string()));
                                continue;
                            }
                        }
                    }
                    if line.starts_with("ERGO_READY ") {
                        let _ = ready_tx.send(());
                    } else if !line.is_empty() {
                        lock(&output).push(line);
                    }
                }
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let output = Arc::clone(&output);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    lock(&output).push(format!("stderr: {line}"));
                }
            });
        }
        let Some(stdin) = child.stdin.take() else {
            return Err(io_error(std::io::Error::other("no stdin pipe")));
        };
        let node = ErlNode {
            name: name.to_string(),
            child,
            link: tokio::sync::Mutex::new(Link {
                stdin,
                answers,
                early: VecDeque::new(),
            }),
            output,
            dir,
            next_id: AtomicU64::new(1),
        };
        match tokio::time::timeout(START_TIMEOUT, ready.recv()).await {
            Ok(Some(())) => Ok(Some(node)),
            Ok(None) => Err(node.exited()),
            Err(_) => Err(ErlError::Timeout {
                node: name.to_string(),
                within: START_TIMEOUT,
                request: format!("start (output so far:\n{})", node.output()),
            }),
        }
    }

    /// The node's full name (`name@host`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's name as an atom.
    pub fn atom(&self) -> Atom {
        Atom::new(&self.name)
    }

    /// Everything the node printed that was not an answer (stderr lines marked `stderr: `).
    pub fn output(&self) -> String {
        lock(&self.output).join("\n")
    }

    /// Evaluates `expr` (Erlang expressions separated by commas; the final dot may be left
    /// out) and returns the value of the last one. Variables bound by one call are seen by the
    /// next. An exception is [`ErlError::Raised`] with its class, reason and stack.
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
        let trimmed = expr.trim_end();
        let text = if trimmed.ends_with('.') {
            trimmed.to_string()
        } else {
            format!("{trimmed}\n.")
        };
        let answer = self.request("eval", &text, within).await?;
        self.outcome(expr, answer)
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
        let answer = self
            .request("compile", &path.display().to_string(), EVAL_TIMEOUT)
            .await?;
        match self.outcome("compile", answer)? {
            Term::Atom(module) => Ok(module),
            other => Err(ErlError::BadAnswer {
                node: self.name.clone(),
                detail: format!("compile answered {other}"),
            }),
        }
    }

    /// Halts the node (closes its stdin, waits up to 5 s for it to end, then kills it).
    pub async fn stop(mut self) {
        {
            let mut link = self.link.lock().await;
            let _ = link.stdin.shutdown().await;
        }
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
        }
    }

    async fn request(&self, kind: &str, text: &str, within: Duration) -> Result<Term, ErlError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut link = self.link.lock().await;
        let line = format!("{id} {kind} {}\n", hex(text.as_bytes()));
        if let Err(error) = link.stdin.write_all(line.as_bytes()).await {
            drop(link);
            return Err(match error.kind() {
                std::io::ErrorKind::BrokenPipe => self.exited(),
                _ => ErlError::Io {
                    node: self.name.clone(),
                    error,
                },
            });
        }
        let _ = link.stdin.flush().await;
        let hex = if let Some(at) = link.early.iter().position(|(n, _)| *n == id) {
            link.early.remove(at).map(|(_, hex)| hex)
        } else {
            let deadline = tokio::time::Instant::now() + within;
            loop {
                match tokio::time::timeout_at(deadline, link.answers.recv()).await {
                    Ok(Some((n, hex))) if n == id => break Some(hex),
                    // An answer to a request that timed out: dropped (its caller has gone).
                    Ok(Some((n, _))) if n < id => continue,
                    Ok(Some(other)) => link.early.push_back(other),
                    Ok(None) => break None,
                    Err(_) => {
                        return Err(ErlError::Timeout {
                            node: self.name.clone(),
                            within,
                            request: format!("{kind} {text}"),
                        })
                    }
                }
            }
        };
        drop(link);
        let Some(hex) = hex else {
            return Err(self.exited());
        };
        let bad = |detail: String| ErlError::BadAnswer {
            node: self.name.clone(),
            detail,
        };
        let bytes = unhex(&hex).ok_or_else(|| bad("not hex".into()))?;
        crate::from_bytes(&bytes).map_err(|e| bad(e.to_string()))
    }

    fn outcome(&self, expr: &str, answer: Term) -> Result<Term, ErlError> {
        let bad = || ErlError::BadAnswer {
            node: self.name.clone(),
            detail: format!("unexpected answer {answer}"),
        };
        let Some(elems) = answer.as_tuple() else {
            return Err(bad());
        };
        match elems {
            [tag, value] if tag.is_atom("ok") => Ok(value.clone()),
            [tag, Term::Atom(class), reason, stack] if tag.is_atom("raised") => {
                Err(ErlError::Raised {
                    expr: expr.to_string(),
                    class: class.clone(),
                    reason: Box::new(reason.clone()),
                    stack: Box::new(stack.clone()),
                })
            }
            [tag, message] if tag.is_atom("parse_error") => Err(ErlError::Parse {
                expr: expr.to_string(),
                message: text_of(message),
            }),
            [tag, message] if tag.is_atom("compile_error") => {
                Err(ErlError::Compile(text_of(message)))
            }
            _ => Err(bad()),
        }
    }

    fn exited(&self) -> ErlError {
        ErlError::Exited {
            node: self.name.clone(),
            output: self.output(),
        }
    }
}

impl Drop for ErlNode {
    fn drop(&mut self) {
        // kill_on_drop kills the node when the child handle goes; the sources go too.
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
