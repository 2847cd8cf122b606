//! RPC and remote spawn between a Rust node and real Erlang nodes, both ways (issue 5, first
//! half).
//!
//! The Rust node provides the functions of `tests/interop/rpc_demo.erl` (`provide_rpc`) and
//! makes `rpc_demo:echo_loop/0` spawnable; an Erlang twin node runs `rpc_demo.erl` itself. From
//! Erlang, `tests/interop/rpc_driver.erl` makes every call of its list with `rpc:call`,
//! `erpc:call`, `erpc:multicall`, `rpc:multicall`, `erpc:send_request` and the old `rex`
//! protocol against both nodes and requires the same answers (stack locations aside); then
//! Rust-only checks (built-ins, casts, a panicking function, spawn with link and monitor,
//! revoking). From Rust, `rpc_call`, `rpc_cast` and `spawn_request` against the Erlang twin,
//! errors included.
//!
//! Every test starts its own nodes with unique names and cookies; every wait has a deadline.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use ergo::{
    Atom, Context, Dest, Envelope, Exception, Node, Pid, RemoteSpawnOptions, RpcError,
    SpawnOptions, Term,
};
use tokio::sync::mpsc;

use common::{EchoNode, ErlNode};

/// The deadline of any single wait.
const T: Duration = Duration::from_secs(30);
/// What "promptly" means for a failure that must not wait for a timeout.
const PROMPT: Duration = Duration::from_secs(5);

/// The Erlang twin: `rpc_demo.erl` loaded, READY printed.
async fn twin(cookie: &str) -> ErlNode {
    ErlNode::start("erl", cookie, &["interop/rpc_demo.erl"], &[]).await
}

fn atom(text: &str) -> Term {
    Term::atom(text)
}

/// A distributed Rust node providing `rpc_demo`'s functions and its spawnable `echo_loop`.
async fn rust_node(cookie: &str) -> Node {
    let node = common::dist_node("rs", cookie).await;
    provide_demo(&node).expect("provide rpc_demo");
    node
}

fn provide_demo(node: &Node) -> Result<(), ergo::NetError> {
    node.provide_rpc("rpc_demo", "add", |(a, b): (i64, i64)| async move {
        a.checked_add(b)
            .ok_or_else(|| Exception::error(atom("badarith")))
    })?;
    node.provide_rpc("rpc_demo", "crash", |()| async {
        Err::<Term, _>(Exception::error(atom("crash")))
    })?;
    node.provide_rpc("rpc_demo", "throw_it", |(x,): (Term,)| async move {
        Err::<Term, _>(Exception::Throw(x))
    })?;
    node.provide_rpc("rpc_demo", "exit_it", |(x,): (Term,)| async move {
        Err::<Term, _>(Exception::Exit(x))
    })?;
    node.provide_rpc("rpc_demo", "echo", |(x,): (Term,)| async move {
        Ok::<_, Exception>(x)
    })?;
    node.provide_rpc("rpc_demo", "panic_it", |()| async { panics("boom") })?;
    node.provide_rpc("rpc_demo", "sleep", |(ms,): (u64,)| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok::<_, Exception>(atom("ok"))
    })?;
    node.provide_rpc_with_context(
        "rpc_demo",
        "hold",
        |ctx: Context, (to,): (Pid,)| async move {
            let _ = ctx.send(
                to,
                Term::tuple(vec![atom("holding"), Term::Atom(ctx.node().name().clone())]),
            );
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, Exception>(atom("ok"))
        },
    )?;
    node.provide_rpc_with_context(
        "rpc_demo",
        "gate",
        |mut ctx: Context, (to,): (Pid,)| async move {
            let me = Term::Pid(ctx.pid().clone());
            let node = Term::Atom(ctx.node().name().clone());
            let _ = ctx.send(
                to.clone(),
                Term::tuple(vec![atom("gated"), node.clone(), me]),
            );
            loop {
                match ctx.recv_timeout(Duration::from_secs(30)).await {
                    Ok(Some(envelope)) => {
                        if envelope.into_term().is_atom("open") {
                            break;
                        }
                    }
                    Ok(None) => return Err(Exception::exit(atom("never_opened"))),
                    Err(reason) => return Err(Exception::Exit(reason)),
                }
            }
            let _ = ctx.send(
                to,
                Term::tuple(vec![atom("notified"), node, atom("released")]),
            );
            Ok::<_, Exception>(atom("ok"))
        },
    )?;
    node.provide_rpc_with_context(
        "rpc_demo",
        "notify",
        |ctx: Context, (to, message): (Pid, Term)| async move {
            let note = Term::tuple(vec![
                atom("notified"),
                Term::Atom(ctx.node().name().clone()),
                message,
            ]);
            let _ = ctx.send(to, note);
            Ok::<_, Exception>(atom("ok"))
        },
    )?;
    node.make_spawnable("rpc_demo", "echo_loop", |mut ctx, _args| async move {
        loop {
            match ctx.recv_term().await {
                Err(reason) => return reason,
                Ok(Term::Tuple(t)) => match t.as_slice() {
                    [Term::Pid(from), m] => {
                        let _ = ctx.send(from.clone(), Term::tuple(vec![atom("echo"), m.clone()]));
                    }
                    [die, reason] if die.is_atom("die") => return reason.clone(),
                    _ => {}
                },
                Ok(_) => {}
            }
        }
    })?;
    Ok(())
}

/// Runs `rpc_driver.erl` case `case` against the Rust node and the twin; `on_line` sees every
/// line (to act on REVOKE). Returns the check lines, and fails on DIFF or BAD.
async fn drive(
    cookie: &str,
    node: &Node,
    twin: &ErlNode,
    case: &str,
    mut on_line: impl FnMut(&str, &ErlNode),
) -> Vec<String> {
    let driver = ErlNode::spawn(
        "erl",
        cookie,
        &["interop/rpc_demo.erl", "interop/rpc_driver.erl"],
        &[case, node.name().as_str(), &twin.name],
    );
    let mut checks = Vec::new();
    loop {
        let line = driver.next_line().await;
        on_line(&line, &driver);
        if line == "DONE" {
            break;
        }
        if ["SAME ", "DIFF ", "OK ", "BAD "]
            .iter()
            .any(|p| line.starts_with(p))
        {
            checks.push(line);
        }
    }
    eprintln!("case {case}:\n{}", checks.join("\n"));
    let failed: Vec<&String> = checks
        .iter()
        .filter(|l| l.starts_with("DIFF ") || l.starts_with("BAD "))
        .collect();
    assert!(
        failed.is_empty(),
        "case {case}: {} failed checks:\n{}\n\nfull output:\n{}",
        failed.len(),
        failed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        driver.output()
    );
    checks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erlang_calls_into_rust_as_into_erlang() {
    if !common::require_erl("erlang_calls_into_rust_as_into_erlang") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let twin = twin(&cookie).await;
    let node = rust_node(&cookie).await;
    let checks = drive(&cookie, &node, &twin, "compare", |_, _| {}).await;
    // 10 calls x 7 ways, plus timeouts, bad arguments, spawn of an unknown function, features
    // and a block call holding rex.
    assert_eq!(checks.len(), 10 * 7 + 6, "checks: {checks:#?}");
    for (label, expected) in [
        ("rpc:call add ", "{value,3}"),
        (
            "rpc:call unknown_function ",
            "{value,{badrpc,{'EXIT',{undef,[{rpc_demo,nofun,[],[]}]}}}}",
        ),
        (
            "erpc:call wrong_arity ",
            "{error,{exception,undef,[{rpc_demo,add,[1],[]}]}}",
        ),
        (
            "erpc:call error ",
            "{error,{exception,crash,[{rpc_demo,crash,0,[]}]}}",
        ),
        ("erpc:call throw ", "{throw,t}"),
        ("erpc:call exit ", "{exit,{exception,bye}}"),
        ("features_request ", "{value,{features_reply,[erpc]}}"),
        (
            "rpc:block_call unknown_function ",
            "{value,{badrpc,{'EXIT',{undef,[{rpc_demo,nofun,[],[]}]}}}}",
        ),
        (
            "rpc:block_call blocks rex ",
            "{value,{released,second,{reply,ok},ok}}",
        ),
    ] {
        let line = format!("SAME {label}{expected}");
        assert!(checks.contains(&line), "missing {line:?} in {checks:#?}");
    }
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erlang_uses_rust_builtins_casts_and_spawn() {
    if !common::require_erl("erlang_uses_rust_builtins_casts_and_spawn") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let twin = twin(&cookie).await;
    let node = rust_node(&cookie).await;
    let checks = drive(&cookie, &node, &twin, "rust", |_, _| {}).await;
    assert_eq!(checks.len(), 30, "checks: {checks:#?}");
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_function_is_undef() {
    if !common::require_erl("revoked_function_is_undef") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let twin = twin(&cookie).await;
    let node = rust_node(&cookie).await;
    let probe = node.clone();
    let checks = drive(&cookie, &node, &twin, "revoke", move |line, driver| {
        if line == "REVOKE" {
            assert!(probe.revoke_rpc("rpc_demo", "add"));
            assert!(!probe.revoke_rpc("rpc_demo", "add"));
            let to = Dest::Remote {
                name: Atom::new("rpc_driver"),
                node: Atom::new(&driver.name),
            };
            probe.send(to, atom("go")).expect("send go");
        }
    })
    .await;
    assert_eq!(checks.len(), 3, "checks: {checks:#?}");
    node.stop();
}

/// A provided function's body that panics with `message` (Erlang sees `error:{panic, Message}`).
fn panics(message: &str) -> Result<Term, Exception> {
    panic!("{message}")
}

/// Asserts that `result` is the error `matches` accepts, showing it otherwise.
fn expect_err<V: std::fmt::Debug>(
    result: Result<V, RpcError>,
    what: &str,
    matches: impl FnOnce(&RpcError) -> bool,
) {
    match result {
        Err(err) if matches(&err) => {}
        other => panic!("{what}: unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_calls_into_erlang() {
    if !common::require_erl("rust_calls_into_erlang") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let mut twin = twin(&cookie).await;
    let node = rust_node(&cookie).await;
    let erl = twin.name.clone();
    call_checks(&node, &erl, || twin.kill()).await;
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_calls_into_rust() {
    common::ensure_system_epmd();
    let cookie = common::unique_name("cookie");
    let node = rust_node(&cookie).await;
    let other = rust_node(&cookie).await;
    let name = other.name().to_string();
    call_checks(&node, &name, || other.stop()).await;
    // A call to the node itself runs locally.
    let me = node.name().to_string();
    let sum: i64 = node
        .rpc_call(&me, "rpc_demo", "add", vec![Term::Int(2), Term::Int(3)], T)
        .await
        .expect("local add");
    assert_eq!(sum, 5);
    expect_err(
        node.rpc_call::<Term>(&me, "rpc_demo", "nofun", vec![], T)
            .await,
        "local undef",
        |e| matches!(e, RpcError::Error { reason, .. } if reason.is_atom("undef")),
    );
    node.stop();
}

/// Where a provided function's first poll runs: calls that finish at once are run by the task
/// that reads their connection (so two calls over one connection report the same task), a
/// function whose first poll takes long moves into a process per call, and comes back once its
/// polls are short again. Each function reports the tokio task it runs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_first_polls_move_into_a_process() {
    common::ensure_system_epmd();
    let cookie = common::unique_name("cookie");
    let node = rust_node(&cookie).await;
    let other = rust_node(&cookie).await;
    let task = || tokio::task::try_id().map(|id| id.to_string());
    other
        .provide_rpc("probe", "quick", move |()| async move {
            Ok::<_, Exception>(task())
        })
        .expect("provide probe:quick");
    other
        .provide_rpc("probe", "heavy", move |(ms,): (u64,)| async move {
            // Computes without yielding for `ms`.
            let deadline = Instant::now() + Duration::from_millis(ms);
            while Instant::now() < deadline {
                std::hint::spin_loop();
            }
            Ok::<_, Exception>(task())
        })
        .expect("provide probe:heavy");
    let to = other.name().to_string();
    let call = |function: &'static str, args: Vec<Term>| {
        let (node, to) = (node.clone(), to.clone());
        async move {
            node.rpc_call::<Option<String>>(&to, "probe", function, args, T)
                .await
                .unwrap_or_else(|e| panic!("probe:{function}: {e}"))
                .expect("a tokio task")
        }
    };
    let reader = call("quick", vec![]).await;
    assert_eq!(
        call("quick", vec![]).await,
        reader,
        "quick calls share the reader"
    );
    // 2 ms on the reader: more than 100 us on average from now on.
    assert_eq!(call("heavy", vec![Term::Int(2)]).await, reader);
    let first = call("heavy", vec![Term::Int(0)]).await;
    let second = call("heavy", vec![Term::Int(0)]).await;
    assert!(
        first != reader && second != reader && first != second,
        "heavy calls run in processes of their own: reader {reader}, then {first}, {second}"
    );
    assert_eq!(call("quick", vec![]).await, reader, "other functions stay");
    let mut back = false;
    for _ in 0..100 {
        if call("heavy", vec![Term::Int(0)]).await == reader {
            back = true;
            break;
        }
    }
    assert!(back, "short polls bring the function back to the reader");
    node.stop();
    other.stop();
}

/// `rpc_call` and `rpc_cast` from `node` to `erl` (a node running `rpc_demo`'s functions, in
/// Erlang or Rust); `kill` takes that node down during a call in flight.
async fn call_checks(node: &Node, erl: &str, kill: impl FnOnce()) {
    let erl = erl.to_string();
    let call = |m: &'static str, f: &'static str, args: Vec<Term>| {
        let node = node.clone();
        let erl = erl.clone();
        async move { node.rpc_call::<Term>(&erl, m, f, args, T).await }
    };

    let sum: i64 = node
        .rpc_call(&erl, "rpc_demo", "add", vec![Term::Int(1), Term::Int(2)], T)
        .await
        .expect("add");
    assert_eq!(sum, 3);
    let value = Term::tuple(vec![
        atom("a"),
        Term::list(vec![Term::Int(1)]),
        Term::binary(b"xyz".to_vec()),
    ]);
    assert_eq!(
        call("rpc_demo", "echo", vec![value.clone()])
            .await
            .expect("echo"),
        value
    );
    assert_eq!(
        call("erlang", "node", vec![]).await.expect("node"),
        Term::Atom(Atom::new(&erl))
    );
    expect_err(call("rpc_demo", "crash", vec![]).await, "crash", |e| {
        matches!(e, RpcError::Error { reason, stack }
            if reason.is_atom("crash") && stack.to_string().starts_with("[{rpc_demo,crash,0,"))
    });
    expect_err(
        call("nomod", "nofun", vec![atom("x")]).await,
        "undef",
        |e| {
            matches!(e, RpcError::Error { reason, stack }
            if reason.is_atom("undef") && stack.to_string() == "[{nomod,nofun,[x],[]}]")
        },
    );
    expect_err(
        call("rpc_demo", "add", vec![atom("a"), atom("b")]).await,
        "function_clause",
        |e| matches!(e, RpcError::Error { reason, .. } if reason.is_atom("function_clause")),
    );
    expect_err(
        call("rpc_demo", "throw_it", vec![atom("t")]).await,
        "throw",
        |e| matches!(e, RpcError::Throw(t) if t.is_atom("t")),
    );
    expect_err(
        call("rpc_demo", "exit_it", vec![atom("bye")]).await,
        "exit",
        |e| matches!(e, RpcError::Exit(r) if r.is_atom("bye")),
    );
    expect_err(
        node.rpc_call::<String>(&erl, "rpc_demo", "add", vec![Term::Int(1), Term::Int(2)], T)
            .await,
        "bad result type",
        |e| matches!(e, RpcError::BadResult(_)),
    );

    // A call that outlives its timeout fails in time.
    let started = Instant::now();
    expect_err(
        node.rpc_call::<Term>(
            &erl,
            "rpc_demo",
            "sleep",
            vec![Term::Int(10_000)],
            Duration::from_millis(300),
        )
        .await,
        "timeout",
        |e| matches!(e, RpcError::Timeout(_)),
    );
    assert!(
        started.elapsed() < PROMPT,
        "timeout took {:?}",
        started.elapsed()
    );

    // A cast reaches the function: notify sends to a Rust process.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sink = node
        .spawn(SpawnOptions::default(), move |mut ctx| async move {
            while let Ok(term) = ctx.recv_term().await {
                let _ = tx.send(term);
            }
            atom("normal")
        })
        .expect("sink");
    node.rpc_cast(
        &erl,
        "rpc_demo",
        "notify",
        vec![Term::Pid(sink.clone()), atom("cast")],
    )
    .await
    .expect("rpc_cast");
    let got = tokio::time::timeout(T, rx.recv())
        .await
        .expect("cast result in time");
    assert_eq!(
        got,
        Some(Term::tuple(vec![
            atom("notified"),
            Term::Atom(Atom::new(&erl)),
            atom("cast")
        ]))
    );

    // The node going down fails a call in flight at once: `hold` tells the sink it runs.
    let slow = {
        let node = node.clone();
        let erl = erl.clone();
        tokio::spawn(async move {
            node.rpc_call::<Term>(&erl, "rpc_demo", "hold", vec![Term::Pid(sink)], T)
                .await
        })
    };
    let held = tokio::time::timeout(T, rx.recv())
        .await
        .expect("hold runs in time");
    assert_eq!(
        held,
        Some(Term::tuple(vec![
            atom("holding"),
            Term::Atom(Atom::new(&erl))
        ]))
    );
    let killed = Instant::now();
    kill();
    let result = tokio::time::timeout(T, slow)
        .await
        .expect("in time")
        .expect("task");
    expect_err(result, "nodedown", |e| {
        matches!(e, RpcError::NoConnection(_))
    });
    assert!(
        killed.elapsed() < PROMPT,
        "nodedown took {:?}",
        killed.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_spawns_on_erlang() {
    if !common::require_erl("rust_spawns_on_erlang") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let twin = twin(&cookie).await;
    let node = rust_node(&cookie).await;
    run_spawn_checks(&node, twin.name.clone()).await;
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_spawns_on_rust() {
    common::ensure_system_epmd();
    let cookie = common::unique_name("cookie");
    let node = rust_node(&cookie).await;
    let other = rust_node(&cookie).await;
    let name = other.name().to_string();
    run_spawn_checks(&node, name).await;
    node.stop();
    other.stop();
}

/// Runs [`spawn_checks`] in a trapping process on `node`, against `peer`.
async fn run_spawn_checks(node: &Node, peer: String) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Result<(), String>>();
    node.spawn(
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
        move |mut ctx| async move {
            let result = spawn_checks(&mut ctx, &peer).await;
            let _ = tx.send(result);
            atom("normal")
        },
    )
    .expect("spawn the checker");
    let result = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("checks finish in time");
    match result {
        Some(Ok(())) => {}
        Some(Err(message)) => panic!("{message}"),
        None => panic!("the checker died"),
    }
}

/// The next envelope in time, rendered as a term.
async fn next(ctx: &mut Context) -> Result<Envelope, String> {
    match ctx.recv_timeout(T).await {
        Ok(Some(env)) => Ok(env),
        Ok(None) => Err("nothing arrived in time".into()),
        Err(reason) => Err(format!("the checker got exit signal {reason}")),
    }
}

async fn spawn_checks(ctx: &mut Context, erl: &str) -> Result<(), String> {
    let both = RemoteSpawnOptions {
        link: true,
        monitor: true,
        timeout: Some(T),
    };
    let spawned = ctx
        .spawn_request(erl, "rpc_demo", "echo_loop", vec![], both)
        .await
        .map_err(|e| format!("spawn_request: {e}"))?;
    if spawned.pid.node.as_str() != erl {
        return Err(format!("spawned on {}", spawned.pid.node));
    }
    let monitor = spawned.monitor.clone().ok_or("no monitor reference")?;
    let info = ctx.node().process_info(ctx.pid()).ok_or("checker info")?;
    if !info.links.contains(&spawned.pid) || !info.monitors.contains(&monitor) {
        return Err(format!("link or monitor missing: {info:?}"));
    }
    ctx.send(
        spawned.pid.clone(),
        Term::tuple(vec![Term::Pid(ctx.pid().clone()), atom("hello")]),
    )
    .map_err(|e| e.to_string())?;
    let echo = next(ctx).await?.into_term();
    if echo != Term::tuple(vec![atom("echo"), atom("hello")]) {
        return Err(format!("expected the echo, got {echo}"));
    }
    ctx.send(
        spawned.pid.clone(),
        Term::tuple(vec![atom("die"), atom("boom")]),
    )
    .map_err(|e| e.to_string())?;
    let (mut down, mut exit) = (false, false);
    while !(down && exit) {
        match next(ctx).await? {
            Envelope::Down(d) if d.reference == monitor && d.reason.is_atom("boom") => down = true,
            Envelope::Exit(e) if e.from == spawned.pid && e.reason.is_atom("boom") => exit = true,
            other => return Err(format!("unexpected {}", other.into_term())),
        }
    }

    // Monitor only: an unknown function exits with undef, as on any Erlang node.
    let monitor_only = RemoteSpawnOptions {
        monitor: true,
        timeout: Some(T),
        ..RemoteSpawnOptions::default()
    };
    let spawned = ctx
        .spawn_request(erl, "nomod", "nofun", vec![Term::Int(1)], monitor_only)
        .await
        .map_err(|e| format!("spawn_request nomod: {e}"))?;
    match next(ctx).await? {
        Envelope::Down(d)
            if Some(&d.reference) == spawned.monitor.as_ref()
                && d.reason.to_string() == "{undef,[{nomod,nofun,[1],[]}]}" => {}
        other => return Err(format!("unexpected {}", other.into_term())),
    }

    // Link only: our exit takes the remote process down (seen through a second monitor).
    let linked = ctx
        .spawn_request(
            erl,
            "rpc_demo",
            "echo_loop",
            vec![],
            RemoteSpawnOptions {
                link: true,
                timeout: Some(T),
                ..RemoteSpawnOptions::default()
            },
        )
        .await
        .map_err(|e| format!("spawn_request link: {e}"))?;
    let watch = ctx.monitor(linked.pid.clone());
    ctx.unlink(&linked.pid);
    ctx.exit(&linked.pid, atom("stop_now"));
    match next(ctx).await? {
        Envelope::Down(d) if d.reference == watch && d.reason.is_atom("stop_now") => {}
        other => return Err(format!("unexpected {}", other.into_term())),
    }

    // An unknown node fails promptly.
    let started = Instant::now();
    match ctx
        .spawn_request(
            "nobody@nowhere.invalid",
            "rpc_demo",
            "echo_loop",
            vec![],
            monitor_only,
        )
        .await
    {
        Err(_) if started.elapsed() < PROMPT => {}
        other => return Err(format!("spawn on an unknown node: {other:?}")),
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_example_rpc_and_spawn() {
    if !common::require_erl("echo_example_rpc_and_spawn") {
        return;
    }
    common::ensure_system_epmd();
    let echo = EchoNode::start();
    let (name, cookie) = (echo.name.clone(), echo.cookie.clone());
    // A real erl node from the test kit: each step is evaluated there and its value asserted
    // here, so a failure names the step and shows the value.
    let erl = ergo::testing::ErlNode::start(&common::node_name("erl"), &cookie)
        .await
        .unwrap_or_else(|e| panic!("start erl: {e}"))
        .expect("require_erl said erl is installed");
    let eval = |expr: String| {
        let erl = &erl;
        async move {
            erl.eval_within(&expr, Duration::from_secs(30))
                .await
                .unwrap_or_else(|e| panic!("{expr}: {e}"))
        }
    };
    eval(format!("N = '{name}'")).await;
    assert_eq!(
        eval("rpc:call(N, echo, reverse, [[1, 2, 3]])".into()).await,
        Term::list(vec![Term::from(3i64), Term::from(2i64), Term::from(1i64)])
    );
    assert_eq!(
        eval("erpc:call(N, echo, reverse, [<<\"abc\">>])".into()).await,
        Term::binary(&b"cba"[..])
    );
    assert_eq!(
        eval("rpc:call(N, echo, crash, [])".into())
            .await
            .to_string(),
        "{badrpc,{'EXIT',{crash,[{echo,crash,0,[]}]}}}"
    );
    match erl.eval("erpc:call(N, echo, crash, [])").await {
        Err(ergo::testing::ErlError::Raised { class, reason, .. }) => {
            assert_eq!(class, Atom::new("error"));
            assert!(
                reason.to_string().starts_with("{exception,crash,"),
                "{reason}"
            );
        }
        other => panic!("erpc:call of a crash: {other:?}"),
    }
    eval("process_flag(trap_exit, true)".into()).await;
    eval("R = spawn_request(N, echo, start, [], [link, monitor])".into()).await;
    let pid = eval("receive {spawn_reply, R, ok, P} -> P after 10000 -> no_reply end".into()).await;
    assert!(
        matches!(&pid, Term::Pid(p) if p.node.as_str() == name),
        "{pid}"
    );
    assert_eq!(
        eval("P ! {self(), hi}, receive {echo, hi} = E -> E after 10000 -> no_echo end".into())
            .await,
        Term::tuple(vec![atom("echo"), atom("hi")])
    );
    assert_eq!(
        eval(
            "P ! stop, receive {'DOWN', R, process, P, Why} -> Why after 10000 -> no_down end"
                .into()
        )
        .await,
        atom("normal")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elixir_calls_and_spawns_on_rust() {
    if !common::require_elixir("elixir_calls_and_spawns_on_rust") {
        return;
    }
    let cookie = common::unique_name("cookie");
    let node = rust_node(&cookie).await;
    let me = common::unique_name("ex");
    let script = format!(
        r#"
        node = :"{node}"
        3 = :rpc.call(node, :rpc_demo, :add, [1, 2])
        3 = :erpc.call(node, :rpc_demo, :add, [1, 2])
        {{:badrpc, {{:EXIT, {{:undef, [{{:rpc_demo, :nofun, [], []}}]}}}}}} = :rpc.call(node, :rpc_demo, :nofun, [])
        :ok = try do
          :erpc.call(node, :rpc_demo, :crash, [])
        catch
          :error, {{:exception, :crash, [{{:rpc_demo, :crash, 0, []}}]}} -> :ok
        end
        pid = Node.spawn_link(node, :rpc_demo, :echo_loop, [])
        send(pid, {{self(), :hi}})
        receive do
          {{:echo, :hi}} -> :ok
        after
          10_000 -> raise "no echo"
        end
        IO.puts("PASS")
        "#,
        node = node.name()
    );
    let mut elixir = Command::new("elixir");
    elixir.args(["--sname", &me, "--cookie", &cookie, "-e", &script]);
    tokio::task::spawn_blocking(move || {
        common::run_within(elixir, Duration::from_secs(60), "elixir")
    })
    .await
    .expect("elixir ran")
    .assert_passed("elixir");
    node.stop();
}
