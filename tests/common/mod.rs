//! Shared helpers for the black-box tests: finding `erl` and `elixir`, and deciding what to do
//! when they are missing (fail loudly under CI, skip with a clear message elsewhere).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Whether a program answers on the PATH.
fn on_path(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn require(program: &str, test: &str) -> bool {
    if on_path(program) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: `{program}` is not installed, and CI is set: .ci/run must install it");
    }
    eprintln!(
        "SKIPPED {test}: `{program}` is not installed (apt-get install -y erlang-base elixir)"
    );
    false
}

/// True when `erl` and `escript` can run. Under `CI` a missing `erl` panics; elsewhere the test
/// prints that it was skipped and should return early.
pub fn require_erl(test: &str) -> bool {
    require("erl", test) && require("escript", test)
}

/// True when `elixir` can run; same rules as [`require_erl`].
pub fn require_elixir(test: &str) -> bool {
    require("elixir", test)
}

/// A name that no other test (or concurrent run) uses: `prefix_<pid>_<counter>_<nanos>`.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A child process killed (and reaped) when the guard drops, so a failing test leaves no `erl`
/// or example process behind.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Makes sure an EPMD daemon serves port 4369 before tests start nodes, so that no test's
/// embedded EPMD (which dies with its test) is the one other tests' nodes registered with.
/// `epmd -daemon` is idempotent.
pub fn ensure_system_epmd() {
    let _ = Command::new("epmd").arg("-daemon").status();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", 4369)).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("epmd did not start listening on 4369 within 10 s");
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

/// Runs example `name` to its end (30 s at most) and returns whether it succeeded and what it
/// printed on stdout.
pub fn run_example(name: &str) -> (std::process::ExitStatus, String) {
    let child = Command::new(example_binary(name))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("example starts");
    let mut guard = ChildGuard(child);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "example {name} did not end by itself"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    if let Some(mut stdout) = guard.0.stdout.take() {
        std::io::Read::read_to_string(&mut stdout, &mut out).expect("read output");
    }
    (status, out)
}

/// A raw peer of `node` named `name` (a full node name) that handshakes properly with `cookie`
/// and then is just a socket: for tests that send what no real node would. Returns once `node`
/// lists it as connected (10 s at most).
pub async fn raw_peer(
    node: &ergo::Node,
    name: &str,
    cookie: &str,
) -> ergo::runtime::dist::Handshaken<tokio::net::TcpStream> {
    use ergo::runtime::dist::handshake::{self, HandshakeOptions, LocalNode};
    let port = node.dist_port().expect("a distributed node");
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("dial");
    let local = LocalNode::new(name, 7, false);
    let options = HandshakeOptions::default();
    let done = handshake::initiate(stream, &local, node.name().as_str(), cookie, &options)
        .await
        .expect("handshake");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !node.connected_nodes().iter().any(|n| n.as_str() == name) {
        assert!(std::time::Instant::now() < deadline, "{name} never listed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    done
}

/// The path of a file under tests/.
pub fn test_file(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
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

    /// Starts `echo` with extra arguments (e.g. `--tls`).
    pub fn start_with(extra: &[&str]) -> EchoNode {
        ensure_system_epmd();
        let short = unique_name("echo");
        let name = format!("{short}@localhost");
        let cookie = unique_name("cookie");
        let mut child = Command::new(example_binary("echo"))
            .args(["--name", &name, "--cookie", &cookie])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the echo example");
        let stdout = child.stdout.take().expect("piped stdout");
        let guard = ChildGuard(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "ready" {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("echo printed `ready` within 30 s");
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

/// A real `erl` node running a module from `tests/`, compiled and loaded on the fly, whose
/// `main/0` prints `READY` once it serves. Killed when dropped.
pub struct ErlModuleNode {
    _guard: ChildGuard,
    /// Its node name (`<prefix>_<unique>@localhost`).
    pub name: String,
}

impl ErlModuleNode {
    /// Starts `erl -sname <unique>@localhost -setcookie cookie` running `module_file`'s
    /// `main/0` and waits (30 s at most) for it to print `READY`.
    pub fn start(prefix: &str, module_file: &str, cookie: &str) -> ErlModuleNode {
        // A system EPMD, so the node's registration outlives any Rust node's embedded one.
        ensure_system_epmd();
        let name = format!("{}@localhost", unique_name(prefix));
        let eval = "[P | _] = init:get_plain_arguments(), \
                    {ok, M, B} = compile:file(P, [binary, report]), \
                    {module, M} = code:load_binary(M, P, B), \
                    M:main().";
        let mut child = Command::new("erl")
            .args(["-sname", &name, "-setcookie", cookie, "-noshell"])
            .args(["-eval", eval, "-extra"])
            .arg(test_file(module_file))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start erl");
        let stdout = child.stdout.take().expect("piped stdout");
        let guard = ChildGuard(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "READY" {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("erl printed READY within 30 s");
        ErlModuleNode {
            _guard: guard,
            name,
        }
    }
}

/// A gen_server that answers every call with its request, except `hang`, which it never answers.
pub struct Echo;

impl ergo::GenServer for Echo {
    type Args = ();
    async fn init(_ctx: &mut ergo::Context, _args: ()) -> ergo::Init<Self> {
        ergo::Init::Ok(Echo)
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut ergo::Context,
        request: ergo::Payload,
        _from: ergo::ReplyTo,
    ) -> ergo::CallOutcome {
        let request = request.into_term();
        if request.is_atom("hang") {
            return ergo::CallOutcome::NoReply;
        }
        ergo::CallOutcome::Reply(ergo::Payload::new(request))
    }
}

/// A process on `node` that forwards everything it receives (as terms) to the returned
/// receiver; with `trap_exit`, exit signals arrive as `{'EXIT', From, Reason}` messages.
pub fn forwarder(
    node: &ergo::Node,
    trap_exit: bool,
) -> (ergo::Pid, tokio::sync::mpsc::UnboundedReceiver<ergo::Term>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let pid = node
        .spawn(
            ergo::SpawnOptions::default(),
            move |mut ctx: ergo::Context| async move {
                ctx.trap_exit(trap_exit);
                loop {
                    match ctx.recv().await {
                        Ok(envelope) => {
                            let _ = tx.send(envelope.into_term());
                        }
                        Err(reason) => return reason,
                    }
                }
            },
        )
        .expect("spawn a forwarder");
    (pid, rx)
}
