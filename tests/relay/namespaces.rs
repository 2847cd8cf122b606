//! Members that really cannot reach each other: the relay (the `relay` example) and three
//! members each run as their own OS process, each in a network namespace this test makes, linked
//! to the relay's namespace only (one veth pair per member, no routes between members). Members
//! A and C call each other and monitor across, through the relay; a direct TCP connect from A's
//! namespace to C's listener fails, while the same connect from the relay's namespace succeeds.
//!
//! Where namespaces cannot be made (a container without the rights, no `ip`), the same processes
//! run in this namespace with the `refuse_direct` hook, the test says so on stdout, and asserts
//! that the hook (not the network) refused A's direct connection. `ERGO_REQUIRE_NETNS=1` turns
//! "cannot make namespaces" into a failure.
//!
//! The member processes (and the connect probe in the relay's namespace) are this test binary
//! again, running this same test with [`ROLE`] set; members take commands on stdin and answer
//! one line each. A second test reruns the first without `ip` on its PATH: the hook mode runs
//! on every host, and `ERGO_REQUIRE_NETNS=1` is seen to fail there.

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use ergo::{Atom, Dest, DistOptions, Node, NodeOptions, SpawnOptions, Term};

use crate::common::wait::{next_within, wait_until_within};
use crate::common::{self, ChildGuard, Echo, Output};
use crate::support::{self, DEADLINE, SECRET};

/// This test's path in the test binary (the member processes run it again).
const TEST: &str =
    "namespaces::members_in_their_own_network_namespaces_reach_each_other_only_through_the_relay";
/// The environment variable that makes this test a member process or a connect probe.
const ROLE: &str = "ERGO_RELAY_NETNS_ROLE";
/// A member's settings, passed in the environment.
const NAME: &str = "ERGO_RELAY_NETNS_NAME";
const RELAY: &str = "ERGO_RELAY_NETNS_RELAY";
const LISTEN: &str = "ERGO_RELAY_NETNS_LISTEN";
const REFUSE_DIRECT: &str = "ERGO_RELAY_NETNS_REFUSE_DIRECT";
/// The connect probe's target.
const TARGET: &str = "ERGO_RELAY_NETNS_TARGET";
/// How long a direct TCP connect may take before it counts as failed.
const CONNECT_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_in_their_own_network_namespaces_reach_each_other_only_through_the_relay() {
    match std::env::var(ROLE).as_deref() {
        Ok("member") => return member_process().await,
        Ok("connect") => {
            let target = std::env::var(TARGET).expect("the probe's target");
            println!("{}", tcp_connect(&target).await);
            return;
        }
        _ => {}
    }
    let netns = match Netns::make(&["a", "b", "c"]) {
        Ok(netns) => {
            println!("relay namespaces test: mode netns (relay and each member in its own network namespace)");
            Some(netns)
        }
        Err(why) => {
            assert!(
                std::env::var("ERGO_REQUIRE_NETNS").as_deref() != Ok("1"),
                "ERGO_REQUIRE_NETNS=1 but network namespaces cannot be made: {why}"
            );
            println!("relay namespaces test: mode refuse_direct hook (network namespaces cannot be made: {why})");
            None
        }
    };
    let scenario = Scenario::start(netns).await;
    scenario.run().await;
}

/// Where namespaces cannot be made (here: `ip` is not found), the test runs in the hook mode and
/// says so, and passes; unless `ERGO_REQUIRE_NETNS=1`, then it fails. So the hook mode is tested
/// on every host, and a host that must test namespaces cannot silently fall back.
#[test]
fn without_namespaces_the_test_runs_with_the_hook_unless_namespaces_are_required() {
    let rerun = |require: bool| {
        let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
        cmd.args([TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env("PATH", "")
            .env_remove(ROLE);
        if require {
            cmd.env("ERGO_REQUIRE_NETNS", "1");
        } else {
            cmd.env_remove("ERGO_REQUIRE_NETNS");
        }
        common::run_within(cmd, Duration::from_secs(120), "the test without `ip`")
    };
    let hook = rerun(false);
    assert!(hook.status.success(), "{hook:?}");
    assert!(
        hook.stdout
            .contains("relay namespaces test: mode refuse_direct hook"),
        "{hook:?}"
    );
    assert!(
        hook.stdout.contains("test result: ok. 1 passed"),
        "{hook:?}"
    );
    let required = rerun(true);
    assert!(!required.status.success(), "{required:?}");
    assert!(
        (required.stdout.clone() + &required.stderr)
            .contains("ERGO_REQUIRE_NETNS=1 but network namespaces cannot be made"),
        "{required:?}"
    );
}

/// The relay, the members and (when made) the namespaces, dropped in that order: processes
/// first, so that nothing keeps a namespace alive.
struct Scenario {
    members: Vec<MemberProcess>,
    relay: RelayProcess,
    netns: Option<Netns>,
}

struct RelayProcess {
    _child: ChildGuard,
    output: Output,
    node: String,
}

struct MemberProcess {
    child: ChildGuard,
    output: Output,
    node: String,
    /// Its distribution listener, as reached from the relay's side.
    address: String,
}

impl MemberProcess {
    /// Sends one command line.
    fn send(&mut self, command: &str) {
        let stdin = self.child.0.stdin.as_mut().expect("member stdin");
        if let Err(e) = writeln!(stdin, "{command}").and_then(|_| stdin.flush()) {
            self.output.fail(&format!("send {command:?}: {e}"));
        }
    }

    /// Sends `command` and returns the answer: the next line starting with `answer`.
    async fn ask(&mut self, command: &str, answer: &str) -> String {
        self.send(command);
        self.output.wait_line_async(answer, DEADLINE).await
    }
}

impl Scenario {
    async fn start(netns: Option<Netns>) -> Scenario {
        let cluster = support::cluster("rn");
        let dir = common::temp_dir("relay_netns");
        let clusters = dir.join("clusters.txt");
        std::fs::write(&clusters, format!("{cluster} {SECRET}\n")).expect("clusters file");

        let listen = if netns.is_some() {
            "0.0.0.0:0"
        } else {
            "127.0.0.1:0"
        };
        let mut cmd = in_namespace(
            netns.as_ref().map(|n| n.relay.as_str()),
            common::example_binary("relay"),
        );
        cmd.args(["--listen", listen, "--clusters"])
            .arg(&clusters)
            .args(["--name", &common::node_name("relay_ns")])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGuard(cmd.spawn().expect("the relay example starts"));
        let output = Output::of(&mut child.0, "relay");
        let ready = output.wait_line_async("ready ", DEADLINE).await;
        let mut words = ready.split_whitespace().skip(1);
        let (Some(node), Some(address)) = (words.next(), words.next()) else {
            output.fail("expected `ready <node> <address>`")
        };
        let port = address
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .unwrap_or_else(|| output.fail("no port in the relay's address"));
        let relay = RelayProcess {
            _child: child,
            output,
            node: node.to_string(),
        };

        let mut members = Vec::new();
        for (i, short) in ["a", "b", "c"].into_iter().enumerate() {
            let name = format!("{}@{cluster}", common::unique_name(short));
            let mut cmd = this_test_as(netns.as_ref().map(|n| n.members[i].as_str()), "member");
            let (relay_address, listen, refuse) = match &netns {
                Some(_) => (format!("{}:{port}", Netns::relay_side(i)), "0.0.0.0", "0"),
                None => (format!("localhost:{port}"), "127.0.0.1", "1"),
            };
            cmd.env(NAME, &name)
                .env(RELAY, relay_address)
                .env(LISTEN, listen)
                .env(REFUSE_DIRECT, refuse)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = ChildGuard(cmd.spawn().expect("a member process starts"));
            let output = Output::of(&mut child.0, &format!("member {short}"));
            let ready = output.wait_line_async("member ready ", DEADLINE).await;
            let dist_port = ready
                .split_whitespace()
                .nth(3)
                .and_then(|p| p.parse::<u16>().ok())
                .unwrap_or_else(|| output.fail("expected `member ready <node> <port>`"));
            let host = match &netns {
                Some(_) => Netns::member_side(i),
                None => "127.0.0.1".to_string(),
            };
            members.push(MemberProcess {
                child,
                output,
                node: name,
                address: format!("{host}:{dist_port}"),
            });
        }
        Scenario {
            members,
            relay,
            netns,
        }
    }

    async fn run(mut self) {
        let names: Vec<String> = self.members.iter().map(|m| m.node.clone()).collect();
        // Every member knows the other two, each through the relay.
        for (i, member) in self.members.iter_mut().enumerate() {
            let line = member.ask("members 2", "members ").await;
            let mut expected: Vec<String> = names
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, n)| format!("{n}={}", self.relay.node))
                .collect();
            expected.sort();
            let seen: Vec<String> = line.split_whitespace().skip(1).map(String::from).collect();
            assert_eq!(
                seen, expected,
                "member {i}: every other member routed through the relay"
            );
        }
        let (a_name, c_name) = (names[0].clone(), names[2].clone());
        let c_address = self.members[2].address.clone();
        let [a, _b, c] = &mut self.members[..] else {
            unreachable!("three members")
        };

        // Calls both ways between A and C.
        assert_eq!(
            a.ask(&format!("call {c_name}"), "call").await,
            format!("called {c_name}")
        );
        assert_eq!(
            c.ask(&format!("call {a_name}"), "call").await,
            format!("called {a_name}")
        );

        // A monitor from A on C's process, across the relay: C's process exits, A sees why.
        assert_eq!(
            a.ask(&format!("monitor {c_name}"), "monitoring").await,
            "monitoring"
        );
        assert_eq!(
            c.ask("kill_victim_when_monitored", "killed").await,
            "killed"
        );
        assert_eq!(
            a.output.wait_line_async("down ", DEADLINE).await,
            "down boom"
        );

        // A is connected to no node but the relay and the members.
        let connected = a.ask("connected", "connected").await;
        for n in connected.split_whitespace().skip(1) {
            assert!(
                n == self.relay.node || names.iter().any(|m| m == n),
                "A connected to {n}: {connected}"
            );
        }

        // A's direct connections to C's listener fail.
        let tcp = a.ask(&format!("tcp {c_address}"), "tcp ").await;
        let dist = a.ask(&format!("dist {c_address}"), "dist ").await;
        println!("relay namespaces test: from A to C's listener {c_address}: {tcp}; {dist}");
        assert!(dist.starts_with("dist failed"), "{dist}");
        match &self.netns {
            Some(netns) => {
                // The network refuses (not the hook): no route from A's namespace to C's ...
                assert!(tcp.starts_with("tcp failed"), "{tcp}");
                assert!(!dist.contains("no direct connections"), "{dist}");
                // ... while from the relay's namespace C's listener answers.
                let from_relay = netns.connect_from_relay(&c_address).await;
                assert_eq!(from_relay, "tcp ok", "the relay's namespace reaches C");
                println!("relay namespaces test: from the relay's namespace: {from_relay}");
            }
            None => {
                // One network: TCP gets through, the hook refuses the connection.
                assert_eq!(tcp, "tcp ok");
                assert!(dist.contains("no direct connections"), "{dist}");
            }
        }

        // The members stop when their stdin closes; they say so.
        for m in &mut self.members {
            drop(m.child.0.stdin.take());
            m.output.wait_line_async("member stopped", DEADLINE).await;
        }
        assert!(
            self.relay
                .output
                .text()
                .lines()
                .all(|l| !l.contains("panic")),
            "{}",
            self.relay.output.text()
        );
    }
}

/// `program`, run in network namespace `netns` when given (through `ip netns exec`).
fn in_namespace(netns: Option<&str>, program: std::path::PathBuf) -> Command {
    match netns {
        Some(netns) => {
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", netns]).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

/// This test binary running this test again in `role` ([`ROLE`]), in `netns` when given.
fn this_test_as(netns: Option<&str>, role: &str) -> Command {
    let mut cmd = in_namespace(netns, std::env::current_exe().expect("the test binary"));
    cmd.args([
        TEST,
        "--exact",
        "--nocapture",
        "--quiet",
        "--test-threads=1",
    ])
    .env(ROLE, role);
    cmd
}

/// A TCP connect to `target` within [`CONNECT_WITHIN`]: `tcp ok` or `tcp failed <why>`.
async fn tcp_connect(target: &str) -> String {
    match tokio::time::timeout(CONNECT_WITHIN, tokio::net::TcpStream::connect(target)).await {
        Ok(Ok(_)) => "tcp ok".into(),
        Ok(Err(e)) => format!("tcp failed {e}"),
        Err(_) => format!("tcp failed: no answer within {CONNECT_WITHIN:?}"),
    }
}

/// The namespaces: the relay's, and one per member linked to it by a veth pair on its own
/// subnet (`10.77.<i+1>.0/24`: the relay's side `.1`, the member's `.2`). Members have no
/// route but their own subnet, so no member reaches another. Addresses and interface names
/// live inside the namespaces only, so parallel runs never collide; the namespace names are
/// unique. Dropping deletes the namespaces (and with them the veth pairs).
struct Netns {
    relay: String,
    members: Vec<String>,
}

impl Netns {
    /// Makes the namespaces and links, or says why it cannot (undoing what it made).
    fn make(members: &[&str]) -> Result<Netns, String> {
        let base = common::unique_name("ergo_rn");
        let relay = format!("{base}_relay");
        ip(&["netns", "add", &relay])?;
        // From here on, dropping `netns` deletes what was made.
        let mut netns = Netns {
            relay,
            members: Vec::new(),
        };
        ip(&["-n", &netns.relay, "link", "set", "lo", "up"])?;
        for (i, short) in members.iter().enumerate() {
            let ns = format!("{base}_{short}");
            ip(&["netns", "add", &ns])?;
            netns.members.push(ns.clone());
            let relay_if = format!("m{i}");
            ip(&[
                "-n",
                &netns.relay,
                "link",
                "add",
                &relay_if,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                &ns,
            ])?;
            let relay_addr = format!("{}/24", Netns::relay_side(i));
            let member_addr = format!("{}/24", Netns::member_side(i));
            ip(&[
                "-n",
                &netns.relay,
                "addr",
                "add",
                &relay_addr,
                "dev",
                &relay_if,
            ])?;
            ip(&["-n", &netns.relay, "link", "set", &relay_if, "up"])?;
            ip(&["-n", &ns, "addr", "add", &member_addr, "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        }
        // Running a program inside one must work too (it remounts /sys, which a container
        // may forbid).
        ip(&["netns", "exec", &netns.relay, "true"])?;
        Ok(netns)
    }

    /// The relay's address on member `i`'s link.
    fn relay_side(i: usize) -> String {
        format!("10.77.{}.1", i + 1)
    }

    /// Member `i`'s address.
    fn member_side(i: usize) -> String {
        format!("10.77.{}.2", i + 1)
    }

    /// A TCP connect to `target` from the relay's namespace (this test binary, as a probe).
    async fn connect_from_relay(&self, target: &str) -> String {
        let mut cmd = this_test_as(Some(&self.relay), "connect");
        cmd.env(TARGET, target);
        let done = tokio::task::spawn_blocking(move || {
            common::run_within(cmd, DEADLINE, "the connect probe in the relay's namespace")
        })
        .await
        .expect("the probe ran");
        done.stdout
            .lines()
            .find(|l| l.starts_with("tcp "))
            .map(String::from)
            .unwrap_or_else(|| panic!("no answer from the probe: {done:?}"))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in self.members.iter().chain([&self.relay]) {
            if let Err(why) = ip(&["netns", "del", ns]) {
                eprintln!("relay namespaces test: cleaning up: {why}");
            }
        }
    }
}

/// Runs `ip args...` (10 s at most): Ok, or what it said.
fn ip(args: &[&str]) -> Result<(), String> {
    let mut cmd = Command::new("ip");
    cmd.args(args).stdin(Stdio::null());
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    let stderr = child.stderr.take();
    let mut guard = ChildGuard(child);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        match guard.0.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Ok(None) => return Err(format!("ip {}: no answer within 10 s", args.join(" "))),
            Err(e) => return Err(format!("ip {}: {e}", args.join(" "))),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut said = String::new();
    if let Some(mut stderr) = stderr {
        let _ = std::io::Read::read_to_string(&mut stderr, &mut said);
    }
    Err(format!("ip {}: {status}: {}", args.join(" "), said.trim()))
}

/// A member process: its node joins through the relay, then it answers commands from stdin,
/// one line each, until stdin closes.
async fn member_process() {
    let var = |key: &str| std::env::var(key).unwrap_or_else(|_| panic!("{key} set"));
    let name = var(NAME);
    let options = NodeOptions {
        cookie: support::COOKIE.into(),
        ..NodeOptions::default()
    };
    let dist = DistOptions {
        listen_address: var(LISTEN).parse().expect("listen address"),
        register_with_epmd: false,
        ..DistOptions::default()
    };
    let node = Node::start_distributed(&name, options, dist)
        .await
        .expect("member node starts");
    node.start_server::<Echo>((), SpawnOptions::named("echo"))
        .await
        .expect("echo");
    let (victim, _victim_rx) = common::forwarder(&node, false);
    node.register("victim", &victim).expect("register victim");
    let mut options = support::member_options(vec![var(RELAY)], SECRET);
    options.refuse_direct = var(REFUSE_DIRECT) == "1";
    let membership = node.join_relays(options).await.expect("join");
    let port = node.dist_port().expect("distributed");
    println!("member ready {name} {port}");

    let (tx, mut commands) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut watchers = Vec::new();
    while let Some(line) = commands.recv().await {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["members", n] => {
                let n: usize = n.parse().expect("a count");
                wait_until_within("the other members", DEADLINE, || {
                    membership.members().len() == n
                })
                .await;
                let mut seen: Vec<String> = node
                    .proxy_routes()
                    .into_iter()
                    .map(|(to, route)| format!("{to}={}", route.via))
                    .collect();
                seen.sort();
                println!("members {}", seen.join(" "));
            }
            ["call", to] => {
                let payload = Term::binary(vec![7u8; 1024]);
                let echo = Dest::Remote {
                    name: Atom::new("echo"),
                    node: Atom::new(to),
                };
                match node.call::<Term>(echo, payload.clone()).await {
                    Ok(reply) if reply == payload => println!("called {to}"),
                    Ok(other) => println!("call answered {other}"),
                    Err(e) => println!("call failed {e}"),
                }
            }
            ["monitor", to] => {
                let (watcher, mut events) = common::forwarder(&node, false);
                let target = Dest::Remote {
                    name: Atom::new("victim"),
                    node: Atom::new(to),
                };
                node.monitor(&watcher, &target);
                println!("monitoring");
                watchers.push(tokio::spawn(async move {
                    let down = next_within(&mut events, DEADLINE).await;
                    match down.as_tuple() {
                        Some([tag, _, _, _, reason]) if tag.is_atom("DOWN") => {
                            println!("down {reason}")
                        }
                        _ => println!("down unexpected {down}"),
                    }
                }));
            }
            ["kill_victim_when_monitored"] => {
                wait_until_within("the monitor reaches the victim", DEADLINE, || {
                    node.process_info(&victim)
                        .map(|i| !i.monitored_by.is_empty())
                        .unwrap_or(false)
                })
                .await;
                node.exit(node.outside_pid(), &victim, Term::atom("boom"));
                println!("killed");
            }
            ["connected"] => {
                let nodes: Vec<String> = node
                    .connected_nodes()
                    .iter()
                    .map(|n| n.to_string())
                    .collect();
                println!("connected {}", nodes.join(" "));
            }
            ["tcp", target] => println!("{}", tcp_connect(target).await),
            ["dist", target] => {
                // A node name with no relay route, reached (if at all) straight at `target`.
                let probe = format!("{}@{}", common::unique_name("direct"), node_host(&name));
                let address = target.parse().expect("a socket address");
                node.add_static_route(&probe, address)
                    .expect("static route");
                match tokio::time::timeout(DEADLINE, node.connect(&probe)).await {
                    Ok(Ok(())) => println!("dist connected"),
                    Ok(Err(e)) => println!("dist failed {}", chain(&e)),
                    Err(_) => println!("dist failed: no answer within {DEADLINE:?}"),
                }
            }
            _ => panic!("unknown command {line:?}"),
        }
    }
    for w in watchers {
        w.abort();
    }
    node.stop();
    println!("member stopped");
}

/// `error` and its sources, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text = format!("{text}: {e}");
        source = e.source();
    }
    text
}

/// The host part of a node name.
fn node_host(name: &str) -> &str {
    name.split_once('@').map(|(_, h)| h).unwrap_or(name)
}
