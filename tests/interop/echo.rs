//! Erlang (and Elixir) driving the Rust `echo` example over real distribution.
//!
//! Each test starts its own `echo` node (unique name and cookie) and a real `erl` through
//! `tests/interop/echo_client.escript`, which runs one case and prints PASS or FAIL.

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::child::Ended;
use common::{ChildGuard, EchoNode, Output};

/// Runs one case of the escript against `echo` (120 s at most); `on_armed` runs when the script
/// prints ARMED.
fn run_case(echo: &mut EchoNode, case: &str, on_armed: impl FnOnce(&mut EchoNode)) {
    let me = common::unique_name("erl");
    let mut child = Command::new("escript")
        .arg(common::test_file("interop/echo_client.escript"))
        .args([&me, &echo.name, &echo.cookie, case])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start escript");
    let output = Output::of(&mut child, &format!("case {case}"));
    let mut guard = ChildGuard(child);
    let mut on_armed = Some(on_armed);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match output.recv(deadline) {
            Ok(line) => {
                if line == "ARMED" {
                    if let Some(f) = on_armed.take() {
                        f(echo);
                    }
                }
            }
            Err(Ended::Closed) => break,
            Err(Ended::TimedOut) => output.fail("did not end within 120 s"),
        }
    }
    let status = guard.0.wait().expect("escript exit status");
    let text = output.text();
    assert!(
        status.success() && text.lines().any(|l| l == "PASS"),
        "case {case} failed ({status}):\n{text}"
    );
}

macro_rules! erlang_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            if !common::require_erl(stringify!($name)) {
                return;
            }
            let mut echo = EchoNode::start();
            run_case(&mut echo, stringify!($name), |_| {});
        }
    };
}

erlang_case!(ping);
erlang_case!(call);
erlang_case!(sys);
erlang_case!(sys_control);
erlang_case!(bad_request);
erlang_case!(cast);
erlang_case!(noproc);
erlang_case!(send_name);
erlang_case!(send_pid);
erlang_case!(link_kill);
erlang_case!(monitor);
erlang_case!(big_binaries);
erlang_case!(atoms);
erlang_case!(ordered);
erlang_case!(restart);
erlang_case!(pg_member);

#[test]
fn nodedown() {
    if !common::require_erl("nodedown") {
        return;
    }
    let mut echo = EchoNode::start();
    run_case(&mut echo, "nodedown", |echo| echo.stop());
}

#[test]
fn elixir_ping_and_call() {
    if !common::require_elixir("elixir_ping_and_call") {
        return;
    }
    let echo = EchoNode::start();
    let me = common::unique_name("ex");
    let script = format!(
        r#"
        node = :"{node}"
        :pong = Node.ping(node)
        {{:echo, :hi, pid}} = GenServer.call({{:echo, node}}, :hi)
        ^node = node(pid)
        {{:echo, %{{a: 1}}, ^pid}} = GenServer.call({{:echo, node}}, %{{a: 1}})
        IO.puts("PASS")
        "#,
        node = echo.name
    );
    let mut elixir = Command::new("elixir");
    elixir.args(["--sname", &me, "--cookie", &echo.cookie, "-e", &script]);
    common::run_within(elixir, Duration::from_secs(120), "elixir").assert_passed("elixir");
}
