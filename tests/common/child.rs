//! Child processes: killed (and reaped) when their test ends, their output read line by line
//! with deadlines, commands run to their end with a deadline, and the examples.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// A child process killed (and reaped) when the guard drops, so a failing test leaves no `erl`
/// or example process behind.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Why [`Output::recv`] returned no line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The child closed its output (it exited).
    Closed,
    /// The deadline passed first.
    TimedOut,
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ended::Closed => "it closed its output first",
            Ended::TimedOut => "the deadline passed",
        })
    }
}

/// What a child prints, read on threads as it comes, line by line: stdout lines as they are,
/// stderr lines (when stderr is piped) marked `stderr: `. Every line received is kept for
/// failure messages ([`Output::text`]).
pub struct Output {
    who: String,
    inner: Mutex<(mpsc::Receiver<String>, Vec<String>)>,
}

/// How often the asynchronous waits look for a line.
const POLL: Duration = Duration::from_millis(5);

impl Output {
    /// Takes `child`'s piped stdout (and stderr, if piped) and reads them; `who` names the child
    /// in failure messages.
    pub fn of(child: &mut Child, who: &str) -> Output {
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            forward_lines(stdout, "", tx.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward_lines(stderr, "stderr: ", tx);
        }
        Output {
            who: who.to_string(),
            inner: Mutex::new((rx, Vec::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (mpsc::Receiver<String>, Vec<String>)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next line (stdout or stderr), blocking until `deadline` at most.
    pub fn recv(&self, deadline: Instant) -> Result<String, Ended> {
        let mut inner = self.lock();
        let left = deadline.saturating_duration_since(Instant::now());
        match inner.0.recv_timeout(left) {
            Ok(line) => {
                inner.1.push(line.clone());
                Ok(line)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Ended::TimedOut),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Ended::Closed),
        }
    }

    /// The next line (stdout or stderr), waiting asynchronously until `deadline` at most.
    pub async fn recv_async(&self, deadline: Instant) -> Result<String, Ended> {
        loop {
            {
                let mut inner = self.lock();
                match inner.0.try_recv() {
                    Ok(line) => {
                        inner.1.push(line.clone());
                        return Ok(line);
                    }
                    Err(mpsc::TryRecvError::Disconnected) => return Err(Ended::Closed),
                    Err(mpsc::TryRecvError::Empty) => {}
                }
            }
            if Instant::now() >= deadline {
                return Err(Ended::TimedOut);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Blocks until a stdout line starts with `prefix` and returns it; panics (with the output so
    /// far) when the child ends first or `within` passes.
    pub fn wait_line(&self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            match self.recv(deadline) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(ended) => self.fail(&format!("no line {prefix:?} within {within:?} ({ended})")),
            }
        }
    }

    /// [`Output::wait_line`], waiting asynchronously (the test's runtime goes on meanwhile).
    pub async fn wait_line_async(&self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            match self.recv_async(deadline).await {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(ended) => self.fail(&format!("no line {prefix:?} within {within:?} ({ended})")),
            }
        }
    }

    /// The next stdout line, waiting asynchronously until `within` passes (stderr lines are
    /// kept for failure messages only); panics when the child ends first or at the deadline.
    pub async fn next_stdout_line(&self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            match self.recv_async(deadline).await {
                Ok(line) if !line.starts_with("stderr: ") => return line,
                Ok(_) => {}
                Err(ended) => self.fail(&format!("no line within {within:?} ({ended})")),
            }
        }
    }

    /// Panics with `what` and everything the child printed so far.
    pub fn fail(&self, what: &str) -> ! {
        panic!("{}: {what}; output:\n{}", self.who, self.text())
    }

    /// Every line received so far.
    pub fn text(&self) -> String {
        self.lock().1.join("\n")
    }
}

/// Reads `stream` line by line on a thread, sending each line (with `prefix` in front) to `tx`,
/// until the stream ends. It reads on when nobody listens any more, so the child never writes
/// into a closed pipe.
fn forward_lines(
    stream: impl Read + Send + 'static,
    prefix: &'static str,
    tx: mpsc::Sender<String>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let _ = tx.send(format!("{prefix}{line}"));
        }
    });
}

/// A command that ran to its end: how it ended and all it printed.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its whole stdout.
    pub stdout: String,
    /// Its whole stderr.
    pub stderr: String,
}

impl Finished {
    /// Asserts that it succeeded and printed `PASS`, showing its output otherwise.
    pub fn assert_passed(&self, what: &str) {
        assert!(
            self.status.success() && self.stdout.contains("PASS"),
            "{what} failed ({}): {}\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `cmd` (stdin closed, output captured) to its end, `within` at most: past that it is
/// killed and this panics, naming `what` and showing what it printed. Blocks; an async test
/// calls it through `tokio::task::spawn_blocking` when its own nodes must go on meanwhile.
pub fn run_within(mut cmd: Command, within: Duration, what: &str) -> Finished {
    let deadline = Instant::now() + within;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let read_all = |stream: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = mpsc::channel();
        if let Some(mut stream) = stream {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = stream.read_to_string(&mut text);
                let _ = tx.send(text);
            });
        }
        rx
    };
    let stdout = read_all(child.stdout.take().map(|s| Box::new(s) as _));
    let stderr = read_all(child.stderr.take().map(|s| Box::new(s) as _));
    let mut guard = ChildGuard(child);
    let status = loop {
        match guard.0.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => break None,
            Err(e) => panic!("wait for {what}: {e}"),
        }
    };
    if status.is_none() {
        drop(guard);
    }
    // Its output closes when it ends (a grandchild that kept it open gets until the deadline).
    let grace = deadline.max(Instant::now() + Duration::from_secs(1));
    let text = |rx: mpsc::Receiver<String>| {
        rx.recv_timeout(grace.saturating_duration_since(Instant::now()))
            .unwrap_or_default()
    };
    let (stdout, stderr) = (text(stdout), text(stderr));
    match status {
        Some(status) => Finished {
            status,
            stdout,
            stderr,
        },
        None => panic!("{what} did not finish within {within:?}; output:\n{stdout}\n{stderr}"),
    }
}

/// The path of an example binary built by `cargo test` (examples are built alongside tests):
/// `<target>/<profile>/examples/<name>`, found from this test binary's own path.
pub fn example_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary lives in <target>/<profile>/deps");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "example binary {} not built (cargo test builds examples)",
        path.display()
    );
    path
}

/// Runs example `name` to its end (30 s at most, or it did not end by itself) and returns
/// whether it succeeded and what it printed on stdout.
pub fn run_example(name: &str) -> (ExitStatus, String) {
    let done = run_within(
        Command::new(example_binary(name)),
        Duration::from_secs(30),
        &format!("example {name} (it must end by itself)"),
    );
    (done.status, done.stdout)
}

/// A running `echo` example with its node name and cookie.
pub struct EchoNode {
    child: Option<ChildGuard>,
    /// Its node name.
    pub name: String,
    /// Its cookie.
    pub cookie: String,
}

impl EchoNode {
    /// Starts `echo` with a unique name and cookie.
    pub fn start() -> EchoNode {
        EchoNode::start_with(&[])
    }

    /// Starts `echo` with extra arguments (e.g. `--tls`) and waits (30 s at most) until it
    /// prints `ready`.
    pub fn start_with(extra: &[&str]) -> EchoNode {
        super::ensure_system_epmd();
        let name = super::node_name("echo");
        let cookie = super::unique_name("cookie");
        let mut child = Command::new(example_binary("echo"))
            .args(["--name", &name, "--cookie", &cookie])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the echo example");
        let output = Output::of(&mut child, &name);
        let guard = ChildGuard(child);
        output.wait_line("ready", Duration::from_secs(30));
        EchoNode {
            child: Some(guard),
            name,
            cookie,
        }
    }

    /// Kills it.
    pub fn stop(&mut self) {
        self.child.take();
    }
}
