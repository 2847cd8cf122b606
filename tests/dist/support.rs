//! Helpers shared by the tests/dist_*.rs files: starting a real Erlang peer through
//! tests/dist/peer.escript (killed on drop), reading its stdout lines with deadlines, and
//! building our own pids.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ergo::runtime::dist::{ControlMessage, DistMessage, DistSender};
use ergo::{Atom, Pid, Term};

use crate::common::{self, ChildGuard};

/// A real Erlang node running peer.escript.
pub struct ErlPeer {
    _guard: ChildGuard,
    /// Its full node name.
    pub name: String,
    lines: mpsc::Receiver<String>,
}

impl ErlPeer {
    /// Starts `peer.escript MODE NAME COOKIE TICK ARGS...` with extra environment.
    pub fn start(
        mode: &str,
        cookie: &str,
        ticktime: u32,
        args: &[&str],
        env: &[(&str, String)],
    ) -> ErlPeer {
        let name = format!("{}@localhost", common::unique_name("erl"));
        let mut cmd = Command::new("escript");
        cmd.arg(common::test_file("dist/peer.escript"))
            .args([mode, &name, cookie, &ticktime.to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start escript");
        let stdout = child.stdout.take().expect("piped stdout");
        let guard = ChildGuard(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ErlPeer {
            _guard: guard,
            name,
            lines: rx,
        }
    }

    /// Waits (up to `timeout`) for a stdout line starting with `prefix`; returns it.
    pub fn wait_line(&self, prefix: &str, timeout: Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => continue,
                Err(_) => panic!(
                    "no line starting with {prefix:?} from {} within {timeout:?}",
                    self.name
                ),
            }
        }
    }
}

/// A pid of ours.
pub fn our_pid(node: &str, creation: u32, id: u32) -> Pid {
    Pid {
        node: Atom::new(node),
        id,
        serial: 0,
        creation,
    }
}

/// Answers net_kernel's `{is_auth, Node}` gen_call (as Erlang's ping sends it) with `yes`;
/// returns true if `msg` was that call. Other messages are left alone.
pub async fn answer_is_auth(sender: &DistSender, msg: &DistMessage, us: &Pid) -> bool {
    let ControlMessage::RegSend { to_name, .. } = &msg.control else {
        return false;
    };
    if to_name.as_str() != "net_kernel" {
        return false;
    }
    let Some(Term::Tuple(call)) = &msg.payload else {
        return false;
    };
    let [Term::Atom(gen_call), Term::Tuple(from), Term::Tuple(req)] = call.as_slice() else {
        return false;
    };
    if gen_call.as_str() != "$gen_call" || req.first().map(|t| t.is_atom("is_auth")) != Some(true) {
        return false;
    }
    let [Term::Pid(caller), tag] = from.as_slice() else {
        return false;
    };
    let reply = Term::tuple(vec![tag.clone(), Term::atom("yes")]);
    let control = match tag {
        Term::ImproperList(head, alias) if head.len() == 1 && head[0].is_atom("alias") => {
            match &**alias {
                Term::Reference(r) => ControlMessage::AliasSend {
                    from: us.clone(),
                    alias: r.clone(),
                },
                _ => ControlMessage::Send { to: caller.clone() },
            }
        }
        _ => ControlMessage::Send { to: caller.clone() },
    };
    sender
        .send(control, Some(reply))
        .await
        .expect("send is_auth reply");
    true
}
