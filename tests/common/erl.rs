//! Real Erlang nodes: the system EPMD they register with, and `erl` nodes running modules from
//! tests/ (compiled and loaded on the fly), with their output read line by line.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ergo::{Atom, Dest};

use super::child::{ChildGuard, Output};

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

/// A real `erl` node, `erl -sname <prefix>_<unique>@localhost -setcookie <cookie>`, that compiles
/// and loads modules from tests/ and runs the last one's `main/0`; killed (SIGKILL: no goodbye
/// on the wire) when dropped. Its stdin is a pipe, so modules that halt when stdin closes halt
/// with their test. Its stdout and stderr are read line by line.
pub struct ErlNode {
    guard: Option<ChildGuard>,
    /// Its full node name.
    pub name: String,
    output: Output,
}

impl ErlNode {
    /// Starts `erl` loading `files` (paths under tests/, ending in `.erl`) and running the last
    /// one's `main/0`, with `args` after the files as plain arguments
    /// (`init:get_plain_arguments()` is the files, then `args`). Does not wait for it.
    pub fn spawn(prefix: &str, cookie: &str, files: &[&str], args: &[&str]) -> ErlNode {
        // A system EPMD, so the node's registration outlives any Rust node's embedded one.
        ensure_system_epmd();
        let name = super::node_name(prefix);
        let eval = "Args = init:get_plain_arguments(), \
                    Files = [F || F <- Args, lists:suffix(\".erl\", F)], \
                    [begin {ok, M, B} = compile:file(F, [binary, report]), \
                           {module, M} = code:load_binary(M, F, B) end || F <- Files], \
                    Main = list_to_atom(filename:basename(lists:last(Files), \".erl\")), \
                    Main:main().";
        let mut child = Command::new("erl")
            .args(["-sname", &name, "-setcookie", cookie, "-noshell"])
            .args(["-eval", eval, "-extra"])
            .args(files.iter().map(|f| super::test_file(f)))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start erl");
        let output = Output::of(&mut child, &name);
        ErlNode {
            guard: Some(ChildGuard(child)),
            name,
            output,
        }
    }

    /// [`ErlNode::spawn`], then waits until it prints a line starting with `READY`.
    pub async fn start(prefix: &str, cookie: &str, files: &[&str], args: &[&str]) -> ErlNode {
        let erl = ErlNode::spawn(prefix, cookie, files, args);
        erl.wait_line("READY").await;
        erl
    }

    /// Waits (up to [`ERL_DEADLINE`] in all) for a stdout line starting with `prefix`.
    pub async fn wait_line(&self, prefix: &str) -> String {
        self.output.wait_line_async(prefix, ERL_DEADLINE).await
    }

    /// The next stdout line, within [`ERL_DEADLINE`] (stderr lines are kept for
    /// [`ErlNode::output`] only).
    pub async fn next_line(&self) -> String {
        self.output.next_stdout_line(ERL_DEADLINE).await
    }

    /// Everything it printed so far (stderr lines marked `stderr: `).
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// Kills the node (SIGKILL: no goodbye on the wire) and reaps it.
    pub fn kill(&mut self) {
        self.guard.take();
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
}
