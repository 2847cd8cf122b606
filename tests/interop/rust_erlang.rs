//! A Rust node driving a real Erlang node through the node API (the Rust -> Erlang direction of
//! issue 4's interop tests): connecting both ways, sends, gen_server calls, links and monitors
//! of Erlang processes, the Erlang node dying, wrong cookies, big binaries, many atoms and
//! 100,000 ordered messages each way.
//!
//! Each test starts its own `erl -sname <unique>@localhost -setcookie <unique>` running
//! `tests/interop/erl_side.erl` (compiled on the fly), which registers the gen_server `erl_echo`
//! and the relay `erl_relay`, and its own Rust node. Rust-side observations go through a
//! [`Probe`]: a Rust process (trapping exits) that runs commands sent to it as terms and forwards
//! everything else it receives to the test.

use crate::common;

use std::time::{Duration, Instant};

use ergo::{Atom, CallError, Context, Dest, Node, Pid, SpawnOptions, Term};
use tokio::sync::mpsc;

use common::wait::wait_until_within;
use common::ErlNode;

/// The deadline of any single wait.
const T: Duration = Duration::from_secs(30);
/// What "promptly" means for a failure that must not wait for a timeout.
const PROMPT: Duration = Duration::from_secs(5);

/// Starts `erl` running `erl_side.erl` with `cookie` in `mode` (`serve`, or `ping` with the Rust
/// node's name); does not wait for it.
fn erl_side(cookie: &str, mode: &[&str]) -> ErlNode {
    ErlNode::spawn("erl", cookie, &["interop/erl_side.erl"], mode)
}

/// Starts a serving `erl` and waits until it has registered everything.
async fn serve(cookie: &str) -> ErlNode {
    ErlNode::start("erl", cookie, &["interop/erl_side.erl"], &["serve"]).await
}

/// A distributed Rust node with a unique name.
async fn rust_node(cookie: &str) -> Node {
    common::dist_node("rs", cookie).await
}

/// A test's two nodes sharing a cookie, with a probe on the Rust one.
async fn pair() -> (Node, ErlNode, Probe) {
    let cookie = common::unique_name("cookie");
    let erl = serve(&cookie).await;
    let node = rust_node(&cookie).await;
    let probe = Probe::spawn(&node);
    (node, erl, probe)
}

fn atom(text: &str) -> Term {
    Term::atom(text)
}

fn tuple<const N: usize>(elems: [Term; N]) -> Term {
    Term::tuple(elems.to_vec())
}

fn parse(text: &str) -> Term {
    text.parse().expect("a valid term literal")
}

/// A destination given as a term: a pid, or `{Name, Node}`.
fn dest_of(term: &Term) -> Option<Dest> {
    match term {
        Term::Pid(p) => Some(Dest::Pid(p.clone())),
        Term::Reference(r) => Some(Dest::Alias(r.clone())),
        Term::Tuple(v) => match v.as_slice() {
            [Term::Atom(name), Term::Atom(node)] => Some(Dest::Remote {
                name: name.clone(),
                node: node.clone(),
            }),
            _ => None,
        },
        _ => None,
    }
}

/// Calls `to` from the probe: `{call_ok, Reply}`, `{call_down, Reason}`, `call_timeout`, or
/// `{call_error, Text}`.
async fn call(ctx: &Context, to: &Term, request: &Term, limit: Duration) -> Term {
    let Some(dest) = dest_of(to) else {
        return tuple([atom("call_error"), Term::binary(&b"not a destination"[..])]);
    };
    match ctx.call_timeout::<Term>(dest, request.clone(), limit).await {
        Ok(reply) => tuple([atom("call_ok"), reply]),
        Err(CallError::Down(reason)) => tuple([atom("call_down"), reason]),
        Err(CallError::Timeout) => atom("call_timeout"),
        Err(e) => tuple([
            atom("call_error"),
            Term::binary(format!("{e:?}").into_bytes()),
        ]),
    }
}

/// A Rust process (trapping exits) the test steers with command terms:
/// `{probe_link, Pid}` / `{probe_unlink, Pid}`, `{probe_monitor, Dest}` (answers
/// `{monitoring, Ref}`) / `{probe_demonitor, Ref}`, `{probe_send, Dest, Msg}`,
/// `{probe_exit, Pid, Reason}`, `{probe_call, Dest, Req[, Ms]}` (answers as [`call`]),
/// `{probe_send_seq, Dest, N}` (sends `{seq, 1..N}`, answers `{sent, N}`). Everything else it
/// receives is forwarded to the test as a term. A destination is a pid, `{Name, Node}` or an
/// alias.
struct Probe {
    pid: Pid,
    rx: mpsc::UnboundedReceiver<Term>,
    node: Node,
}

impl Probe {
    fn spawn(node: &Node) -> Probe {
        let (tx, rx) = mpsc::unbounded_channel();
        let options = SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        };
        let pid = node
            .spawn(options, move |mut ctx| async move {
                loop {
                    let envelope = match ctx.recv().await {
                        Ok(e) => e,
                        Err(reason) => return reason,
                    };
                    let term = envelope.into_term();
                    let out = match Probe::command(&ctx, &term).await {
                        Some(answer) => answer,
                        None => term,
                    };
                    if tx.send(out).is_err() {
                        return atom("normal");
                    }
                }
            })
            .expect("spawn the probe");
        Probe {
            pid,
            rx,
            node: node.clone(),
        }
    }

    /// Runs `term` if it is a command; returns the answer to forward.
    async fn command(ctx: &Context, term: &Term) -> Option<Term> {
        let Term::Tuple(v) = term else {
            return None;
        };
        let (Some(Term::Atom(verb)), args) = (v.first(), &v[1..]) else {
            return None;
        };
        let failed = |what: String| {
            Some(tuple([
                atom("probe_error"),
                Term::binary(what.into_bytes()),
            ]))
        };
        match (verb.as_str(), args) {
            ("probe_link", [Term::Pid(p)]) => {
                ctx.link(p);
                Some(tuple([atom("linked"), Term::Pid(p.clone())]))
            }
            ("probe_monitor", [target]) => {
                let dest = dest_of(target)?;
                Some(tuple([
                    atom("monitoring"),
                    Term::Reference(ctx.monitor(dest)),
                ]))
            }
            ("probe_send", [to, msg]) => match ctx.send(dest_of(to)?, msg.clone()) {
                Ok(()) => Some(atom("sent")),
                Err(e) => failed(format!("send: {e}")),
            },
            ("probe_call", [to, req]) => Some(call(ctx, to, req, T).await),
            ("probe_call", [to, req, Term::Int(ms)]) => {
                let limit = Duration::from_millis(u64::try_from(*ms).ok()?);
                Some(call(ctx, to, req, limit).await)
            }
            ("probe_unlink", [Term::Pid(p)]) => {
                ctx.unlink(p);
                Some(tuple([atom("unlinked"), Term::Pid(p.clone())]))
            }
            ("probe_demonitor", [Term::Reference(r)]) => Some(tuple([
                atom("demonitored"),
                atom(if ctx.demonitor(r) { "true" } else { "false" }),
            ])),
            ("probe_exit", [Term::Pid(p), reason]) => {
                ctx.exit(p, reason.clone());
                Some(atom("exit_sent"))
            }
            ("probe_send_seq", [to, Term::Int(n)]) => {
                let dest = dest_of(to)?;
                for i in 1..=*n {
                    if let Err(e) = ctx.send(dest.clone(), tuple([atom("seq"), Term::Int(i)])) {
                        return failed(format!("send {i}: {e}"));
                    }
                }
                Some(tuple([atom("sent"), Term::Int(*n)]))
            }
            _ => None,
        }
    }

    fn term(&self) -> Term {
        Term::Pid(self.pid.clone())
    }

    /// Sends the probe a command (or any message).
    fn tell(&self, command: Term) {
        self.node
            .send(Dest::Pid(self.pid.clone()), command)
            .expect("the probe is alive");
    }

    /// The next term the probe forwards, within `limit`.
    async fn next_within(&mut self, limit: Duration) -> Term {
        match tokio::time::timeout(limit, self.rx.recv()).await {
            Ok(Some(t)) => t,
            Ok(None) => panic!("the probe exited"),
            Err(_) => panic!("the probe received nothing within {limit:?}"),
        }
    }

    /// The next term the probe forwards, within [`T`].
    async fn next(&mut self) -> Term {
        self.next_within(T).await
    }

    /// Runs a command and returns its answer.
    async fn run(&mut self, command: Term) -> Term {
        self.tell(command);
        self.next().await
    }

    /// Links to or monitors `pid` and proves the signal has reached it: the probe's own
    /// `{ping, Probe}` sent after it comes back as `{pong, Pid}` (signals between a pair of
    /// processes stay in order).
    async fn confirm_reached(&mut self, pid: &Pid) {
        let ping = tuple([atom("ping"), self.term()]);
        assert_eq!(
            self.run(tuple([atom("probe_send"), Term::Pid(pid.clone()), ping]))
                .await,
            atom("sent")
        );
        assert_eq!(
            self.next().await,
            tuple([atom("pong"), Term::Pid(pid.clone())])
        );
    }

    async fn link(&mut self, pid: &Pid) {
        let answer = self
            .run(tuple([atom("probe_link"), Term::Pid(pid.clone())]))
            .await;
        assert_eq!(answer, tuple([atom("linked"), Term::Pid(pid.clone())]));
        self.confirm_reached(pid).await;
    }

    async fn monitor(&mut self, target: Term) -> Term {
        match self.run(tuple([atom("probe_monitor"), target])).await {
            Term::Tuple(v) if v.len() == 2 && v[0].is_atom("monitoring") => v[1].clone(),
            other => panic!("monitor answered {other}"),
        }
    }
}

/// Calls `erl_echo` from outside any process.
async fn erl_call(node: &Node, erl: &ErlNode, request: Term) -> Term {
    node.call_timeout::<Term>(erl.dest("erl_echo"), request.clone(), T)
        .await
        .unwrap_or_else(|e| panic!("erl_echo call {request}: {e:?}"))
}

/// A fresh Erlang victim process.
async fn victim(node: &Node, erl: &ErlNode) -> Pid {
    match erl_call(node, erl, atom("spawn_victim")).await {
        Term::Pid(p) => p,
        other => panic!("spawn_victim answered {other}"),
    }
}

fn list_has(term: &Term, name: &Atom) -> bool {
    matches!(term, Term::List(v) if v.iter().any(|t| t == &Term::Atom(name.clone())))
}

macro_rules! require_erl {
    ($name:literal) => {
        if !common::require_erl($name) {
            return;
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_connects_and_both_list_each_other() {
    require_erl!("rust_connects_and_both_list_each_other");
    let (node, erl, mut probe) = pair().await;
    node.monitor_nodes(&probe.pid, true).expect("monitor_nodes");
    node.connect(&erl.name).await.expect("connect to erl");
    assert!(node.nodes().contains(&erl.atom()), "{:?}", node.nodes());
    assert_eq!(
        probe.next().await,
        tuple([atom("nodeup"), Term::Atom(erl.atom())])
    );
    let theirs = erl_call(&node, &erl, atom("nodes")).await;
    assert!(list_has(&theirs, node.name()), "erl's nodes(): {theirs}");
    // Connecting again is a no-op that succeeds.
    node.connect(&erl.name).await.expect("connect again");
    assert_eq!(node.nodes(), vec![erl.atom()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erlang_connects_to_rust() {
    require_erl!("erlang_connects_to_rust");
    let cookie = common::unique_name("cookie");
    let node = rust_node(&cookie).await;
    let mut probe = Probe::spawn(&node);
    node.monitor_nodes(&probe.pid, true).expect("monitor_nodes");
    let erl = erl_side(&cookie, &["ping", node.name().as_str()]);
    assert_eq!(erl.wait_line("PING").await, "PING pong");
    let theirs = erl.wait_line("NODES").await;
    assert_eq!(theirs, format!("NODES [{}]", node.name()));
    assert_eq!(
        probe.next().await,
        tuple([atom("nodeup"), Term::Atom(erl.atom())])
    );
    wait_until_within("the Rust node lists erl", T, || {
        node.nodes() == vec![erl.atom()]
    })
    .await;
    // The connection Erlang made carries our calls too.
    let reply = erl_call(&node, &erl, atom("hello")).await;
    assert!(
        matches!(&reply, Term::Tuple(v) if v.len() == 3 && v[1] == atom("hello")),
        "{reply}"
    );
    assert_eq!(node.nodes(), vec![erl.atom()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_to_registered_name_and_pid() {
    require_erl!("send_to_registered_name_and_pid");
    let (node, erl, mut probe) = pair().await;
    // From a process, to {erl_relay, Node}; the first send also connects.
    let relay = Term::tuple(vec![atom("erl_relay"), Term::Atom(erl.atom())]);
    let msg = tuple([probe.term(), atom("by_name")]);
    assert_eq!(
        probe.run(tuple([atom("probe_send"), relay, msg])).await,
        atom("sent")
    );
    assert_eq!(
        probe.next().await,
        tuple([atom("relayed"), atom("by_name")])
    );
    // From outside any process.
    node.send(
        erl.dest("erl_relay"),
        tuple([probe.term(), atom("outside")]),
    )
    .expect("send");
    assert_eq!(
        probe.next().await,
        tuple([atom("relayed"), atom("outside")])
    );
    // To the relay's pid.
    let Term::Pid(relay_pid) = erl_call(&node, &erl, atom("relay_pid")).await else {
        panic!("relay_pid is not a pid");
    };
    assert_eq!(relay_pid.node, erl.atom());
    let payload =
        parse("{a, [1, 2.5, <<\"b\">>, \"str\"], #{k => v}, -7, 123456789012345678901234567890}");
    node.send(
        Dest::Pid(relay_pid.clone()),
        tuple([probe.term(), payload.clone()]),
    )
    .expect("send to pid");
    assert_eq!(probe.next().await, tuple([atom("relayed"), payload]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_erlang_gen_server() {
    require_erl!("call_erlang_gen_server");
    let (node, erl, mut probe) = pair().await;
    let reply = erl_call(&node, &erl, atom("hello")).await;
    let Term::Tuple(v) = &reply else {
        panic!("{reply}")
    };
    let [tag, req, Term::Pid(echo_pid)] = v.as_slice() else {
        panic!("{reply}")
    };
    assert_eq!((tag, req), (&atom("echo"), &atom("hello")));
    assert_eq!(echo_pid.node, erl.atom());
    // By pid, with a richer request.
    let request = parse("{req, [1, 2.5, <<\"bin\">>], #{<<\"k\">> => {v, 'odd atom'}}, \"text\"}");
    let reply = node
        .call_timeout::<Term>(Dest::Pid(echo_pid.clone()), request.clone(), T)
        .await
        .expect("call by pid");
    assert_eq!(
        reply,
        tuple([atom("echo"), request, Term::Pid(echo_pid.clone())])
    );
    // From a Rust process.
    let dest = Term::tuple(vec![atom("erl_echo"), Term::Atom(erl.atom())]);
    let answer = probe
        .run(tuple([atom("probe_call"), dest, atom("from_process")]))
        .await;
    assert_eq!(
        answer,
        tuple([
            atom("call_ok"),
            tuple([
                atom("echo"),
                atom("from_process"),
                Term::Pid(echo_pid.clone())
            ])
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_to_unknown_name_is_noproc() {
    require_erl!("call_to_unknown_name_is_noproc");
    let (node, erl, _probe) = pair().await;
    // Before any connection (the call connects), then on the open connection.
    for round in 0..2 {
        let started = Instant::now();
        let result = node
            .call_timeout::<Term>(erl.dest("no_such_server"), atom("x"), T)
            .await;
        assert!(
            matches!(&result, Err(CallError::Down(r)) if r == &atom("noproc")),
            "round {round}: {result:?}"
        );
        assert!(
            started.elapsed() < PROMPT,
            "round {round}: took {:?}",
            started.elapsed()
        );
    }
    // A pid that has exited: noproc as well.
    let gone = victim(&node, &erl).await;
    assert_eq!(
        erl_call(
            &node,
            &erl,
            tuple([atom("kill"), Term::Pid(gone.clone()), atom("kill")])
        )
        .await,
        atom("ok")
    );
    let started = Instant::now();
    let result = node
        .call_timeout::<Term>(Dest::Pid(gone), atom("x"), T)
        .await;
    assert!(
        matches!(&result, Err(CallError::Down(r)) if r == &atom("noproc")),
        "{result:?}"
    );
    assert!(started.elapsed() < PROMPT, "took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_to_erlang_pids_sees_exit() {
    require_erl!("link_to_erlang_pids_sees_exit");
    let (node, erl, mut probe) = pair().await;
    // The victim exits by itself with a reason: the trapping probe gets {'EXIT', V, Reason}.
    for reason in [
        "{shutdown, because}",
        "normal",
        "{'EXIT', [nested, <<1,2>>]}",
    ] {
        let v = victim(&node, &erl).await;
        probe.link(&v).await;
        let reason = parse(reason);
        let die = tuple([atom("die"), reason.clone()]);
        assert_eq!(
            probe
                .run(tuple([atom("probe_send"), Term::Pid(v.clone()), die]))
                .await,
            atom("sent")
        );
        assert_eq!(
            probe.next().await,
            tuple([atom("EXIT"), Term::Pid(v), reason])
        );
    }
    // Killed by another Erlang process: killed.
    let v = victim(&node, &erl).await;
    probe.link(&v).await;
    erl_call(
        &node,
        &erl,
        tuple([atom("kill"), Term::Pid(v.clone()), atom("kill")]),
    )
    .await;
    assert_eq!(
        probe.next().await,
        tuple([atom("EXIT"), Term::Pid(v), atom("killed")])
    );

    // A Rust process that does not trap dies with the Erlang process's reason.
    let v = victim(&node, &erl).await;
    let (tx, mut linked) = mpsc::unbounded_channel();
    let v2 = v.clone();
    let plain = node
        .spawn(SpawnOptions::default(), move |mut ctx| async move {
            ctx.link(&v2);
            let _ = tx.send(());
            loop {
                if let Err(reason) = ctx.recv().await {
                    return reason;
                }
            }
        })
        .expect("spawn");
    let reference = probe.monitor(Term::Pid(plain.clone())).await;
    tokio::time::timeout(T, linked.recv())
        .await
        .expect("linked in time");
    // The link must be in place on the Erlang side before the victim dies: a ping from the
    // probe cannot prove that (different sender), so ask Erlang for the victim's links.
    eventually_linked(&node, &erl, &v, &plain).await;
    let die = tuple([atom("die"), atom("boom")]);
    probe.tell(tuple([atom("probe_send"), Term::Pid(v.clone()), die]));
    assert_eq!(probe.next().await, atom("sent"));
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(plain),
            atom("boom")
        ])
    );

    // The other way: a linked Rust process exits, the Erlang process (not trapping) dies too.
    let v = victim(&node, &erl).await;
    let reference = probe.monitor(Term::Pid(v.clone())).await;
    probe.confirm_reached(&v).await;
    let v2 = v.clone();
    node.spawn(SpawnOptions::default(), move |ctx| async move {
        ctx.link(&v2);
        atom("rust_side_gone")
    })
    .expect("spawn");
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(v),
            atom("rust_side_gone")
        ])
    );
}

/// Waits until Erlang reports `rust` among `pid`'s links.
async fn eventually_linked(node: &Node, erl: &ErlNode, pid: &Pid, rust: &Pid) {
    let deadline = Instant::now() + T;
    loop {
        let links = erl_call(node, erl, tuple([atom("links_of"), Term::Pid(pid.clone())])).await;
        if list_has_pid(&links, rust) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{rust:?} not among the links of {pid:?}: {links}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn list_has_pid(term: &Term, pid: &Pid) -> bool {
    matches!(term, Term::List(v) if v.iter().any(|t| t == &Term::Pid(pid.clone())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_erlang_pids_and_names_sees_down() {
    require_erl!("monitor_erlang_pids_and_names_sees_down");
    let (node, erl, mut probe) = pair().await;
    let v = victim(&node, &erl).await;
    let reference = probe.monitor(Term::Pid(v.clone())).await;
    probe.confirm_reached(&v).await;
    erl_call(
        &node,
        &erl,
        tuple([atom("kill"), Term::Pid(v.clone()), atom("kill")]),
    )
    .await;
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(v.clone()),
            atom("killed")
        ])
    );
    // Monitoring what is already gone: DOWN with noproc.
    let reference = probe.monitor(Term::Pid(v.clone())).await;
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(v),
            atom("noproc")
        ])
    );
    // An exit reason of the victim's own.
    let v = victim(&node, &erl).await;
    let reference = probe.monitor(Term::Pid(v.clone())).await;
    probe.confirm_reached(&v).await;
    let reason = parse("{bad, [1, 2], <<\"why\">>}");
    let die = tuple([atom("die"), reason.clone()]);
    assert_eq!(
        probe
            .run(tuple([atom("probe_send"), Term::Pid(v.clone()), die]))
            .await,
        atom("sent")
    );
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(v),
            reason
        ])
    );
    // By registered name: the DOWN names {Name, Node}.
    let name = tuple([atom("named_victim"), Term::Atom(erl.atom())]);
    let Term::Pid(v) = erl_call(
        &node,
        &erl,
        tuple([atom("spawn_victim"), atom("named_victim")]),
    )
    .await
    else {
        panic!("spawn_victim/1 did not answer a pid");
    };
    let reference = probe.monitor(name.clone()).await;
    probe.confirm_reached(&v).await;
    let die = tuple([atom("die"), atom("bye")]);
    assert_eq!(
        probe
            .run(tuple([atom("probe_send"), Term::Pid(v), die]))
            .await,
        atom("sent")
    );
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            name.clone(),
            atom("bye")
        ])
    );
    // A name nobody has: noproc.
    let reference = probe.monitor(name.clone()).await;
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            name,
            atom("noproc")
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_erlang_node_gives_noconnection() {
    require_erl!("killing_the_erlang_node_gives_noconnection");
    let (node, mut erl, mut probe) = pair().await;
    let linked = victim(&node, &erl).await;
    probe.link(&linked).await;
    let monitored = victim(&node, &erl).await;
    let reference = probe.monitor(Term::Pid(monitored.clone())).await;
    probe.confirm_reached(&monitored).await;
    node.monitor_node(&probe.pid, &Atom::new(&erl.name), true)
        .expect("monitor_node");
    // A Rust process that does not trap, linked to an Erlang process: it dies with noconnection.
    let doomed_victim = victim(&node, &erl).await;
    let doomed = node
        .spawn(SpawnOptions::default(), move |mut ctx| async move {
            ctx.link(&doomed_victim);
            loop {
                if let Err(reason) = ctx.recv().await {
                    return reason;
                }
            }
        })
        .expect("spawn");
    let doomed_ref = probe.monitor(Term::Pid(doomed.clone())).await;
    // A call in flight: erl_echo never answers `hang`.
    let caller = node.clone();
    let dest = erl.dest("erl_echo");
    let call = tokio::spawn(async move {
        let started = Instant::now();
        let result = caller
            .call_timeout::<Term>(dest, atom("hang"), Duration::from_secs(120))
            .await;
        (result, started.elapsed())
    });
    erl.wait_line("HANGING").await;

    let killed_at = Instant::now();
    erl.kill();

    let mut expected = vec![
        tuple([atom("EXIT"), Term::Pid(linked), atom("noconnection")]),
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(monitored),
            atom("noconnection"),
        ]),
        tuple([atom("nodedown"), Term::Atom(erl.atom())]),
        tuple([
            atom("DOWN"),
            doomed_ref,
            atom("process"),
            Term::Pid(doomed),
            atom("noconnection"),
        ]),
    ];
    let mut unexpected = Vec::new();
    let deadline = tokio::time::Instant::now() + PROMPT;
    while !expected.is_empty() {
        match tokio::time::timeout_at(deadline, probe.rx.recv()).await {
            Ok(Some(got)) => match expected.iter().position(|e| e == &got) {
                Some(at) => {
                    expected.remove(at);
                }
                None => unexpected.push(got),
            },
            _ => break,
        }
    }
    let call = tokio::time::timeout_at(deadline, call).await;
    assert!(
        expected.is_empty() && unexpected.is_empty(),
        "within {PROMPT:?} of the kill: missing {expected:?}, unexpected {unexpected:?}"
    );
    let (result, _) = call
        .unwrap_or_else(|_| panic!("the call in flight still waits {PROMPT:?} after the kill"))
        .expect("join");
    assert!(
        matches!(&result, Err(CallError::Down(r)) if r == &atom("noconnection")),
        "{result:?}"
    );
    assert!(
        killed_at.elapsed() < PROMPT,
        "took {:?}",
        killed_at.elapsed()
    );
    wait_until_within("erl leaves nodes()", T, || node.nodes().is_empty()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_cookie_refused_both_ways() {
    require_erl!("wrong_cookie_refused_both_ways");
    // Rust dials Erlang with the wrong cookie.
    let erl = serve(&common::unique_name("erl_cookie")).await;
    let node = rust_node(&common::unique_name("rust_cookie")).await;
    let result = tokio::time::timeout(T, node.connect(&erl.name))
        .await
        .expect("connect ends");
    assert!(
        matches!(result, Err(ergo::NetError::Connect { .. })),
        "{result:?}"
    );
    assert!(node.nodes().is_empty(), "{:?}", node.nodes());
    // Erlang dials Rust with the wrong cookie: pang.
    let pinger = erl_side(
        &common::unique_name("other_cookie"),
        &["ping", node.name().as_str()],
    );
    assert_eq!(pinger.wait_line("PING").await, "PING pang");
    assert_eq!(pinger.wait_line("NODES").await, "NODES []");
    assert!(node.nodes().is_empty(), "{:?}", node.nodes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_binaries_round_trip() {
    require_erl!("big_binaries_round_trip");
    let (node, erl, mut probe) = pair().await;
    for size in [1usize << 20, 10 << 20] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
        let bin = Term::binary(data);
        // A call (request and reply both carry it)...
        let reply = erl_call(&node, &erl, bin.clone()).await;
        let Term::Tuple(v) = reply else {
            panic!("not a tuple")
        };
        assert!(v.len() == 3 && v[0] == atom("echo"), "reply shape");
        assert!(v[1] == bin, "{size} bytes did not come back equal");
        // ...and plain messages through the relay to a process.
        node.send(erl.dest("erl_relay"), tuple([probe.term(), bin.clone()]))
            .expect("send");
        let back = probe.next_within(Duration::from_secs(60)).await;
        assert!(
            back == tuple([atom("relayed"), bin]),
            "{size} bytes relayed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_three_thousand_atoms_both_ways() {
    require_erl!("over_three_thousand_atoms_both_ways");
    let (node, erl, mut probe) = pair().await;
    let atoms: Vec<Term> = (0..3500).map(|i| atom(&format!("rs_atom_{i}"))).collect();
    // All at once, twice (the second time both atom caches are warm).
    for round in 0..2 {
        let reply = erl_call(&node, &erl, Term::list(atoms.clone())).await;
        let Term::Tuple(v) = reply else {
            panic!("not a tuple")
        };
        assert!(v[1] == Term::list(atoms.clone()), "round {round}");
    }
    // In batches of 100 (cache slots reused across messages)...
    for (batch, chunk) in atoms.chunks(100).enumerate() {
        let reply = erl_call(&node, &erl, Term::list(chunk.to_vec())).await;
        let Term::Tuple(v) = reply else {
            panic!("not a tuple")
        };
        assert!(v[1] == Term::list(chunk.to_vec()), "batch {batch}");
    }
    // ...and one atom per message, Erlang to a Rust process, new atoms Erlang makes.
    let fresh: Vec<Term> = (0..3500).map(|i| atom(&format!("erl_made_{i}"))).collect();
    let ok = erl_call(
        &node,
        &erl,
        tuple([atom("echo_each"), probe.term(), Term::list(fresh.clone())]),
    )
    .await;
    assert_eq!(ok, atom("ok"));
    for (i, a) in fresh.into_iter().enumerate() {
        let got = probe.next().await;
        assert!(got == tuple([atom("each"), a]), "atom {i}: {got}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_messages_rust_to_erlang_in_order() {
    require_erl!("hundred_thousand_messages_rust_to_erlang_in_order");
    let (node, erl, mut probe) = pair().await;
    const N: i64 = 100_000;
    let sink = erl_call(
        &node,
        &erl,
        tuple([atom("start_sink"), Term::Int(N), probe.term()]),
    )
    .await;
    assert!(matches!(sink, Term::Pid(_)), "{sink}");
    let started = Instant::now();
    let answer = probe
        .run(tuple([atom("probe_send_seq"), sink, Term::Int(N)]))
        .await;
    assert_eq!(answer, tuple([atom("sent"), Term::Int(N)]));
    let report = probe.next_within(Duration::from_secs(120)).await;
    assert_eq!(report, tuple([atom("sink_done"), Term::Int(N)]));
    eprintln!("{N} messages Rust -> Erlang in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_messages_erlang_to_rust_in_order() {
    require_erl!("hundred_thousand_messages_erlang_to_rust_in_order");
    let (node, erl, mut probe) = pair().await;
    const N: i64 = 100_000;
    let started = Instant::now();
    let ok = erl_call(
        &node,
        &erl,
        tuple([atom("send_seq"), probe.term(), Term::Int(N)]),
    )
    .await;
    assert_eq!(ok, atom("ok"));
    for i in 1..=N {
        let got = probe.next().await;
        assert!(
            got == tuple([atom("seq"), Term::Int(i)]),
            "expected {{seq, {i}}}, got {got}"
        );
    }
    assert_eq!(probe.next().await, tuple([atom("seq_done"), Term::Int(N)]));
    eprintln!("{N} messages Erlang -> Rust in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cast_and_alias_send() {
    require_erl!("cast_and_alias_send");
    let (node, erl, mut probe) = pair().await;
    // A gen_server cast, from outside a process and from one.
    node.cast(
        erl.dest("erl_echo"),
        tuple([atom("reply_to"), probe.term(), atom("c1")]),
    )
    .expect("cast");
    assert_eq!(probe.next().await, tuple([atom("cast_echo"), atom("c1")]));
    // To an Erlang process's alias; once it is deactivated, messages to it are dropped.
    let answer = erl_call(&node, &erl, atom("alias_receiver")).await;
    let Term::Tuple(v) = &answer else {
        panic!("alias_receiver answered {answer}")
    };
    let [alias @ Term::Reference(_), Term::Pid(receiver)] = v.as_slice() else {
        panic!("alias_receiver answered {answer}")
    };
    let me = probe.term();
    let via_alias = |m: &str| {
        tuple([
            atom("probe_send"),
            alias.clone(),
            tuple([me.clone(), atom(m)]),
        ])
    };
    assert_eq!(probe.run(via_alias("a1")).await, atom("sent"));
    assert_eq!(probe.next().await, tuple([atom("via_alias"), atom("a1")]));
    assert_eq!(probe.run(via_alias("unalias")).await, atom("sent"));
    assert_eq!(probe.next().await, atom("unaliased"));
    assert_eq!(probe.run(via_alias("dropped")).await, atom("sent"));
    let check = tuple([probe.term(), atom("check")]);
    let to_pid = tuple([atom("probe_send"), Term::Pid(receiver.clone()), check]);
    assert_eq!(probe.run(to_pid).await, atom("sent"));
    assert_eq!(
        probe.next().await,
        tuple([atom("checked"), Term::list(vec![atom("a1")])])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlink_demonitor_and_exit_signals() {
    require_erl!("unlink_demonitor_and_exit_signals");
    let (node, erl, mut probe) = pair().await;
    // Unlink: Erlang forgets the link, and the victim's death is not reported.
    let v = victim(&node, &erl).await;
    probe.link(&v).await;
    eventually_linked(&node, &erl, &v, &probe.pid).await;
    assert_eq!(
        probe
            .run(tuple([atom("probe_unlink"), Term::Pid(v.clone())]))
            .await,
        tuple([atom("unlinked"), Term::Pid(v.clone())])
    );
    // Unlinking is acknowledged (UNLINK_ID_ACK) and the link is gone on the Erlang side.
    eventually_not(
        &node,
        &erl,
        tuple([atom("links_of"), Term::Pid(v.clone())]),
        &probe.pid,
    )
    .await;
    // Demonitor: Erlang forgets the monitor.
    let reference = probe.monitor(Term::Pid(v.clone())).await;
    probe.confirm_reached(&v).await;
    let watchers = erl_call(
        &node,
        &erl,
        tuple([atom("monitored_by"), Term::Pid(v.clone())]),
    )
    .await;
    assert!(list_has_pid(&watchers, &probe.pid), "{watchers}");
    assert_eq!(
        probe.run(tuple([atom("probe_demonitor"), reference])).await,
        tuple([atom("demonitored"), atom("true")])
    );
    eventually_not(
        &node,
        &erl,
        tuple([atom("monitored_by"), Term::Pid(v.clone())]),
        &probe.pid,
    )
    .await;
    // Neither an EXIT nor a DOWN comes when it dies now; then an exit signal from Rust
    // (exit/2) kills another Erlang process with the reason given.
    let die = tuple([atom("die"), atom("unwatched")]);
    assert_eq!(
        probe
            .run(tuple([atom("probe_send"), Term::Pid(v.clone()), die]))
            .await,
        atom("sent")
    );
    let w = victim(&node, &erl).await;
    let reference = probe.monitor(Term::Pid(w.clone())).await;
    probe.confirm_reached(&w).await;
    let reason = parse("{shutdown, from_rust}");
    assert_eq!(
        probe
            .run(tuple([
                atom("probe_exit"),
                Term::Pid(w.clone()),
                reason.clone()
            ]))
            .await,
        atom("exit_sent")
    );
    // The first thing the probe hears is w's DOWN: nothing came from v.
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(w),
            reason
        ])
    );
    // `normal` from another process does not kill a process that does not trap exits; `kill`
    // does, untrappably.
    let x = victim(&node, &erl).await;
    let reference = probe.monitor(Term::Pid(x.clone())).await;
    probe.confirm_reached(&x).await;
    probe
        .run(tuple([
            atom("probe_exit"),
            Term::Pid(x.clone()),
            atom("normal"),
        ]))
        .await;
    probe.confirm_reached(&x).await;
    probe
        .run(tuple([
            atom("probe_exit"),
            Term::Pid(x.clone()),
            atom("kill"),
        ]))
        .await;
    assert_eq!(
        probe.next().await,
        tuple([
            atom("DOWN"),
            reference,
            atom("process"),
            Term::Pid(x),
            atom("killed")
        ])
    );
}

/// Waits until `request` to `erl_echo` answers a list without `pid`.
async fn eventually_not(node: &Node, erl: &ErlNode, request: Term, pid: &Pid) {
    let deadline = Instant::now() + T;
    loop {
        let answer = erl_call(node, erl, request.clone()).await;
        if !list_has_pid(&answer, pid) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{request} still answers {answer}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_failures_crash_and_timeout() {
    require_erl!("call_failures_crash_and_timeout");
    let (node, erl, mut probe) = pair().await;
    // The server exits during the call: the call fails with its reason, promptly.
    let server = erl_call(&node, &erl, atom("spawn_server")).await;
    let started = Instant::now();
    let answer = probe
        .run(tuple([atom("probe_call"), server, atom("crash")]))
        .await;
    assert_eq!(answer, tuple([atom("call_down"), atom("crashed")]));
    assert!(started.elapsed() < PROMPT, "took {:?}", started.elapsed());
    // No reply in time: a timeout, and the late reply is dropped (the server tells the probe
    // right after replying, so a leaked reply would come first).
    let dest = tuple([atom("erl_echo"), Term::Atom(erl.atom())]);
    let request = tuple([atom("reply_after"), Term::Int(300)]);
    let answer = probe
        .run(tuple([
            atom("probe_call"),
            dest.clone(),
            request,
            Term::Int(100),
        ]))
        .await;
    assert_eq!(answer, atom("call_timeout"));
    assert_eq!(probe.next().await, atom("late_reply_sent"));
    // The server is still fine, and so is the caller.
    let answer = probe
        .run(tuple([atom("probe_call"), dest, atom("after")]))
        .await;
    assert!(
        matches!(&answer, Term::Tuple(v) if v.len() == 2 && v[0] == atom("call_ok")),
        "{answer}"
    );
}
