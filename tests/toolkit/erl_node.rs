//! `ergo::testing::ErlNode`: a real `erl` started by the test, Erlang source compiled on it,
//! expressions evaluated with their values back as terms (exact through the external format),
//! exceptions and errors as typed errors, the node reached by a Rust node, and gone when
//! dropped.

use std::time::Duration;

use ergo::testing::{ErlError, ErlNode};
use ergo::{Atom, Term};

use crate::common;

/// A started node, or None when the test is skipped (erl missing and not required).
async fn erl(prefix: &str) -> Option<ErlNode> {
    let name = common::node_name(prefix);
    ErlNode::start(&name, "toolkit_cookie")
        .await
        .unwrap_or_else(|e| panic!("start erl {name}: {e}"))
}

#[tokio::test]
async fn expressions_come_back_as_exact_terms() {
    let Some(erl) = erl("kit_eval").await else {
        return;
    };
    assert_eq!(erl.eval("1 + 2").await.unwrap(), Term::from(3i64));
    assert_eq!(
        erl.eval("{ok, <<\"bin\">>, \"abc\", 1.5, [a | b]}")
            .await
            .unwrap(),
        Term::tuple(vec![
            Term::atom("ok"),
            Term::binary(&b"bin"[..]),
            Term::list(vec![
                Term::from(97i64),
                Term::from(98i64),
                Term::from(99i64)
            ]),
            Term::Float(1.5),
            Term::cons(vec![Term::atom("a")], Term::atom("b")),
        ])
    );
    // A pid of the erl node, with its node name: what text output would lose.
    let pid = erl.eval("self()").await.unwrap();
    let Term::Pid(pid) = pid else {
        panic!("not a pid: {pid}")
    };
    assert_eq!(pid.node, erl.atom());
    // Bindings carry over between calls; the final dot is optional.
    erl.eval("X = 20.").await.unwrap();
    assert_eq!(erl.eval_as::<i64>("X * 2").await.unwrap(), 40);
    // Output from the expression does not disturb the answer.
    assert_eq!(
        erl.eval("io:format(\"no newline\"), done").await.unwrap(),
        Term::atom("done")
    );
    assert!(erl.output().contains("no newline"), "{}", erl.output());
}

#[tokio::test]
async fn exceptions_and_parse_errors_are_typed() {
    let Some(erl) = erl("kit_errors").await else {
        return;
    };
    match erl.eval("erlang:error(boom)").await {
        Err(ErlError::Raised { class, reason, .. }) => {
            assert_eq!(class, Atom::new("error"));
            assert_eq!(*reason, Term::atom("boom"));
        }
        other => panic!("expected Raised, got {other:?}"),
    }
    match erl.eval("throw({nope, 1})").await {
        Err(ErlError::Raised { class, reason, .. }) => {
            assert_eq!(class, Atom::new("throw"));
            assert_eq!(
                *reason,
                Term::tuple(vec![Term::atom("nope"), Term::from(1i64)])
            );
        }
        other => panic!("expected Raised, got {other:?}"),
    }
    assert!(matches!(erl.eval("1 +").await, Err(ErlError::Parse { .. })));
    assert!(matches!(
        erl.eval_as::<i64>("an_atom").await,
        Err(ErlError::Convert { .. })
    ));
    // The node still answers after all that.
    assert_eq!(erl.eval("ok").await.unwrap(), Term::atom("ok"));
}

#[tokio::test]
async fn source_is_compiled_and_loaded_and_errors_are_shown() {
    let Some(erl) = erl("kit_compile").await else {
        return;
    };
    let module = erl
        .compile(
            "-module(kit_sq).\n-export([sq/1]).\n-define(TWICE(X), (X + X)).\n\
             sq(X) -> X * X.\ntwice(X) -> ?TWICE(X).\n",
        )
        .await
        .unwrap();
    assert_eq!(module, Atom::new("kit_sq"));
    assert_eq!(erl.eval_as::<i64>("kit_sq:sq(7)").await.unwrap(), 49);
    match erl
        .compile("-module(kit_bad).\nf() -> undefined_var.\ng( -> ok.\n")
        .await
    {
        Err(ErlError::Compile(text)) => assert!(text.contains("syntax error"), "{text}"),
        other => panic!("expected Compile, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rust_node_reaches_it_and_it_is_gone_when_dropped() {
    common::ensure_system_epmd();
    let Some(erl) = erl("kit_peer").await else {
        return;
    };
    erl.compile(
        "-module(kit_echo).\n-export([start/0]).\n\
         start() -> register(kit_echo, spawn(fun loop/0)), ok.\n\
         loop() -> receive {From, Msg} -> From ! {echo, Msg}, loop() end.\n",
    )
    .await
    .unwrap();
    erl.eval("kit_echo:start()").await.unwrap();
    let node = common::dist_node("kit_rust", "toolkit_cookie").await;
    let (me, mut rx) = common::forwarder(&node, false);
    node.send(
        ("kit_echo", erl.name()),
        Term::tuple(vec![Term::Pid(me), Term::atom("hello")]),
    )
    .unwrap();
    assert_eq!(
        common::wait::next_within(&mut rx, std::time::Duration::from_secs(30)).await,
        Term::tuple(vec![Term::atom("echo"), Term::atom("hello")])
    );
    // The erl side sees the Rust node.
    let nodes = erl.eval("nodes(hidden) ++ nodes()").await.unwrap();
    assert!(nodes.to_string().contains(node.name().as_str()), "{nodes}");
    let name = erl.name().to_string();
    drop(erl);
    common::wait::eventually(
        "the erl node gone from EPMD",
        std::time::Duration::from_secs(10),
        || {
            let short = name.split('@').next().unwrap_or_default().to_string();
            async move {
                let names = std::process::Command::new("epmd").arg("-names").output();
                names.is_ok_and(|o| {
                    !String::from_utf8_lossy(&o.stdout).contains(&format!("name {short} "))
                })
            }
        },
    )
    .await;
}

#[tokio::test]
async fn options_flags_files_plain_args_and_a_start_expression() {
    let dir = common::temp_dir("kit_opts");
    let side = dir.join("kit_side.erl");
    std::fs::write(
        &side,
        "-module(kit_side).\n-export([main/0]).\n\
         main() ->\n\
             [Mode] = init:get_plain_arguments(),\n\
             io:format(\"noise~n\"),\n\
             io:format(\"READY ~s ~p~n\", [Mode, is_alive()]),\n\
             receive never -> ok end.\n",
    )
    .unwrap();
    let name = common::node_name("kit_opts");
    let Some(mut erl) = ErlNode::options(&name, "toolkit_cookie")
        .hidden()
        .args(["-connect_all", "false"])
        .load_file(&side)
        .plain_args(["serve"])
        .run("kit_side:main()")
        .start()
        .await
        .unwrap_or_else(|e| panic!("start {name}: {e}"))
    else {
        return;
    };
    let within = Duration::from_secs(30);
    // The start expression runs in its own process: its lines are the test's to wait for.
    assert_eq!(
        erl.wait_line("READY", within).await.unwrap(),
        "READY serve true"
    );
    // The flags reached erl.
    let args = erl
        .eval("{init:get_argument(hidden), init:get_argument(connect_all)}")
        .await
        .unwrap();
    assert_eq!(
        args.to_string(),
        "{{ok,[[]]},{ok,[[\"false\"]]}}",
        "{}",
        erl.output()
    );
    // Lines printed by an eval come in order after the start expression's.
    erl.eval("io:format(\"after~n\")").await.unwrap();
    assert_eq!(erl.next_line(within).await.unwrap(), "after");
    // A module from a file, loaded later.
    let later = dir.join("kit_later.erl");
    std::fs::write(&later, "-module(kit_later).\n-export([n/0]).\nn() -> 42.\n").unwrap();
    assert_eq!(erl.load_file(&later).await.unwrap(), Atom::new("kit_later"));
    assert_eq!(erl.eval_as::<i64>("kit_later:n()").await.unwrap(), 42);
    // The OS pid is the node's own.
    let os_pid: String = erl.eval_as("list_to_binary(os:getpid())").await.unwrap();
    assert_eq!(Some(os_pid.parse::<u32>().unwrap()), erl.os_pid());
    // Killed: requests and line waits see it gone.
    erl.kill();
    assert!(
        matches!(erl.next_line(within).await, Err(ErlError::Exited { .. })),
        "{}",
        erl.output()
    );
    assert!(matches!(erl.eval("ok").await, Err(ErlError::Exited { .. })));
}

#[tokio::test]
async fn background_evaluation_and_waiting_for_a_condition() {
    let Some(erl) = erl("kit_bg").await else {
        return;
    };
    let within = Duration::from_secs(30);
    erl.eval("Parent = self()").await.unwrap();
    // Blocks in a receive until the test sends it something: in the background.
    let task = erl
        .eval_background("register(kit_waiter, self()), receive {go, N} -> N * 2 end")
        .await
        .unwrap();
    assert!(matches!(task.pid(), Term::Pid(_)), "{:?}", task);
    erl.wait_until("whereis(kit_waiter) =/= undefined", within)
        .await
        .unwrap();
    erl.eval("kit_waiter ! {go, 21}").await.unwrap();
    assert_eq!(task.result(within).await.unwrap(), Term::from(42i64));
    // An exception in the background is typed.
    let failing = erl.eval_background("exit(gone)").await.unwrap();
    match failing.result(within).await {
        Err(ErlError::Raised { class, reason, .. }) => {
            assert_eq!(class, Atom::new("exit"));
            assert_eq!(*reason, Term::atom("gone"));
        }
        other => panic!("expected Raised, got {other:?}"),
    }
    // A condition that never holds ends at its deadline with the last value shown.
    match erl
        .wait_until(
            "whereis(nobody_here) =/= undefined",
            Duration::from_millis(200),
        )
        .await
    {
        Err(ErlError::Timeout { request, .. }) => assert!(request.contains("false"), "{request}"),
        other => panic!("expected Timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_file_that_does_not_compile_fails_the_start() {
    let dir = common::temp_dir("kit_badfile");
    let bad = dir.join("kit_broken.erl");
    std::fs::write(&bad, "-module(kit_broken).\nf( -> ok.\n").unwrap();
    let name = common::node_name("kit_badfile");
    match ErlNode::options(&name, "toolkit_cookie")
        .load_file(&bad)
        .start()
        .await
    {
        Ok(None) => {}
        Err(ErlError::Compile(text)) => {
            assert!(text.contains("kit_broken.erl"), "{text}");
            assert!(text.contains("syntax error"), "{text}");
        }
        other => panic!("expected Compile, got {other:?}"),
    }
}

/// Runs one test of this binary again, in a child process with an empty PATH (so no `erl`).
fn rerun_without_erl(test: &str, require: bool) -> std::process::Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("PATH", "")
        .env_remove("CI");
    if require {
        cmd.env("ERGO_REQUIRE_ERL", "1");
    } else {
        cmd.env_remove("ERGO_REQUIRE_ERL");
    }
    cmd.output().expect("rerun the test binary")
}

#[test]
fn without_erl_a_test_is_skipped_unless_erl_is_required() {
    let test = "erl_node::expressions_come_back_as_exact_terms";
    let skipped = rerun_without_erl(test, false);
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("SKIPPED {test}: `erl` is not installed")),
        "{stderr}"
    );
    let required = rerun_without_erl(test, true);
    let out = String::from_utf8_lossy(&required.stdout).into_owned()
        + &String::from_utf8_lossy(&required.stderr);
    assert!(!required.status.success(), "{out}");
    assert!(out.contains("ERGO_REQUIRE_ERL=1 requires it"), "{out}");
}
