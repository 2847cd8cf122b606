//! `ergo::testing::ErlNode`: a real `erl` started by the test, Erlang source compiled on it,
//! expressions evaluated with their values back as terms (exact through the external format),
//! exceptions and errors as typed errors, the node reached by a Rust node, and gone when
//! dropped.

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
