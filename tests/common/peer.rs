//! The distribution layer's helpers (for tests/dist/): a real Erlang peer running
//! tests/dist/peer.escript (killed on drop) whose stdout lines are read with deadlines, our own
//! pids, answering net_kernel's `is_auth`, and a raw peer that handshakes and then is just a
//! socket.

use std::process::{Command, Stdio};
use std::time::Duration;

use ergo::runtime::dist::{ControlMessage, DistMessage, DistSender};
use ergo::{Atom, Pid, Term};

use super::child::{ChildGuard, Output};

/// A real Erlang node running peer.escript.
pub struct ErlPeer {
    _guard: ChildGuard,
    /// Its full node name.
    pub name: String,
    output: Output,
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
        let name = super::node_name("erl");
        let mut cmd = Command::new("escript");
        cmd.arg(super::test_file("dist/peer.escript"))
            .args([mode, &name, cookie, &ticktime.to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start escript");
        let output = Output::of(&mut child, &name);
        ErlPeer {
            _guard: ChildGuard(child),
            name,
            output,
        }
    }

    /// Waits (up to `timeout`) for a stdout line starting with `prefix`; returns it.
    pub fn wait_line(&self, prefix: &str, timeout: Duration) -> String {
        self.output.wait_line(prefix, timeout)
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
