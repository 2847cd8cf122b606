//! Real Erlang nodes: the system EPMD they register with, and `erl` nodes running modules from
//! tests/ (compiled and loaded on the fly), with their output read line by line: a thin layer
//! over `ergo::testing::ErlNode` that panics (showing the node's output) where it returns errors.

use std::process::Command;
use std::time::{Duration, Instant};

use ergo::{Atom, Dest};

/// Makes sure an EPMD daemon serves port 4369 before tests start nodes, so that no test's
/// embedded EPMD (which dies with its test) is the one other tests' nodes registered with.
/// `epmd -daemon` is idempotent.
pub fn ensure_system_epmd() {
    let _ = Command::new("epmd").arg("-daemon").status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", 4369)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("epmd did not start listening on 4369 within 10 s");
}

/// The deadline of any single wait for an `erl` node's output.
pub const ERL_DEADLINE: Duration = Duration::from_secs(30);

/// A real `erl` node, `erl -sname <prefix>_<unique>@localhost -setcookie <cookie>`, that loads
/// modules from tests/ and runs the last one's `main/0`: an [`ergo::testing::ErlNode`] started
/// with those options, its failures turned into panics that show its output. Killed (SIGKILL:
/// no goodbye on the wire) when dropped. Its stdin is a pipe, so modules that halt when stdin
/// closes halt with their test.
pub struct ErlNode {
    node: ergo::testing::ErlNode,
    /// Its full node name.
    pub name: String,
}

impl ErlNode {
    /// Starts `erl` loading `files` (paths under tests/, ending in `.erl`) and running the last
    /// one's `main/0` in its own process, with `args` after the files as plain arguments
    /// (`init:get_plain_arguments()` is the files, then `args`). Does not wait for it. Must run
    /// within a tokio runtime; the test has checked [`super::require_erl`].
    pub fn spawn(prefix: &str, cookie: &str, files: &[&str], args: &[&str]) -> ErlNode {
        ErlNode::spawn_with(prefix, cookie, files, args, |options| options)
    }

    /// [`ErlNode::spawn`] with more options (extra `erl` flags: `-hidden`, `-proto_dist`...).
    pub fn spawn_with(
        prefix: &str,
        cookie: &str,
        files: &[&str],
        args: &[&str],
        more: impl FnOnce(ergo::testing::ErlOptions) -> ergo::testing::ErlOptions,
    ) -> ErlNode {
        // A system EPMD, so the node's registration outlives any Rust node's embedded one.
        ensure_system_epmd();
        let name = super::node_name(prefix);
        let paths: Vec<std::path::PathBuf> = files.iter().map(|f| super::test_file(f)).collect();
        let mut options = ergo::testing::ErlNode::options(&name, cookie);
        for path in &paths {
            options = options.load_file(path);
        }
        if let Some(last) = paths.last() {
            let main = last
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            options = options.run(format!("'{main}':main()"));
        }
        let options = more(
            options
                .plain_args(paths.iter().map(|p| p.as_os_str().to_owned()))
                .plain_args(args.iter().copied()),
        );
        let node = match options.spawn() {
            Ok(Some(node)) => node,
            Ok(None) => panic!("{name}: `erl` is not installed (call common::require_erl first)"),
            Err(e) => panic!("start erl {name}: {e}"),
        };
        ErlNode { node, name }
    }

    /// [`ErlNode::spawn`], then waits until it prints a line starting with `READY`.
    pub async fn start(prefix: &str, cookie: &str, files: &[&str], args: &[&str]) -> ErlNode {
        let erl = ErlNode::spawn(prefix, cookie, files, args);
        erl.wait_line("READY").await;
        erl
    }

    /// Waits (up to [`ERL_DEADLINE`] in all) for a stdout line starting with `prefix`.
    pub async fn wait_line(&self, prefix: &str) -> String {
        match self.node.wait_line(prefix, ERL_DEADLINE).await {
            Ok(line) => line,
            Err(e) => self.fail(&format!("no line {prefix:?}: {e}")),
        }
    }

    /// The next stdout line, within [`ERL_DEADLINE`] (stderr lines are kept for
    /// [`ErlNode::output`] only).
    pub async fn next_line(&self) -> String {
        match self.node.next_line(ERL_DEADLINE).await {
            Ok(line) => line,
            Err(e) => self.fail(&format!("no next line: {e}")),
        }
    }

    /// Everything it printed so far (stderr lines marked `stderr: `).
    pub fn output(&self) -> String {
        self.node.output()
    }

    /// Kills the node (SIGKILL: no goodbye on the wire).
    pub fn kill(&mut self) {
        self.node.kill();
    }

    /// Its name as an atom.
    pub fn atom(&self) -> Atom {
        Atom::new(&self.name)
    }

    /// `{Name, ThisNode}`.
    pub fn dest(&self, name: &str) -> Dest {
        Dest::Remote {
            name: Atom::new(name),
            node: self.atom(),
        }
    }

    /// The [`ergo::testing::ErlNode`] itself: eval, background tasks, its OS pid.
    pub fn node(&self) -> &ergo::testing::ErlNode {
        &self.node
    }

    fn fail(&self, what: &str) -> ! {
        // Exited and Timeout errors carry the output already; others get it here.
        panic!("{}: {what}\noutput:\n{}", self.name, self.node.output())
    }
}
