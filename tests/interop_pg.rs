//! pg membership shared with real Erlang nodes: a three-node cluster (two `erl`, one Rust) in
//! scope `ergo_pg`, where joins, leaves, process exits and a node going down converge on every
//! node. Every wait polls a condition with a deadline.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::ChildGuard;
use ergo::core::pg::PgScope;
use ergo::{Context, Dest, DistOptions, Node, NodeOptions, Pid, SpawnOptions, Term};

const DEADLINE: Duration = Duration::from_secs(20);

/// A real `erl` running tests/interop/pg_side.erl.
struct ErlNode {
    _guard: ChildGuard,
    name: String,
}

fn start_erl(cookie: &str) -> ErlNode {
    let name = format!("{}@localhost", common::unique_name("pg_erl"));
    let eval = "[P | _] = init:get_plain_arguments(), \
                {ok, M, B} = compile:file(P, [binary, report]), \
                {module, M} = code:load_binary(M, P, B), \
                M:main().";
    let mut child = Command::new("erl")
        .args(["-sname", &name, "-setcookie", cookie, "-noshell"])
        .args(["-eval", eval, "-extra"])
        .arg(common::test_file("interop/pg_side.erl"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start erl");
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = ChildGuard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.trim() == "READY" {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("erl printed READY within 30 s");
    ErlNode {
        _guard: guard,
        name,
    }
}

fn ctl(erl: &ErlNode) -> Dest {
    Dest::Remote {
        name: ergo::Atom::new("pg_ctl"),
        node: ergo::Atom::new(&erl.name),
    }
}

async fn erl_call(node: &Node, erl: &ErlNode, request: Term) -> Term {
    node.call::<Term>(ctl(erl), request)
        .await
        .expect("pg_ctl answers")
}

fn sorted(mut pids: Vec<Pid>) -> Vec<Pid> {
    pids.sort_by_key(|p| (p.node.as_str().to_string(), p.id, p.serial, p.creation));
    pids
}

fn pids_of(term: Term) -> Vec<Pid> {
    match term {
        Term::List(items) => items
            .into_iter()
            .filter_map(|t| match t {
                Term::Pid(p) => Some(p),
                _ => None,
            })
            .collect(),
        other => panic!("not a list of pids: {other}"),
    }
}

/// Waits until every node (Rust and the given Erlang ones) sees exactly `expected` in `group`.
async fn converge(node: &Node, scope: &PgScope, erls: &[&ErlNode], group: &str, expected: &[Pid]) {
    let expected = sorted(expected.to_vec());
    let deadline = Instant::now() + DEADLINE;
    loop {
        let ours = sorted(scope.get_members(Term::atom(group)));
        let mut theirs = Vec::new();
        for erl in erls {
            let members = erl_call(
                node,
                erl,
                Term::tuple(vec![Term::atom("members"), Term::atom(group)]),
            )
            .await;
            theirs.push(sorted(pids_of(members)));
        }
        if ours == expected && theirs.iter().all(|t| *t == expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "group {group} did not converge: expected {expected:?}, Rust sees {ours:?}, Erlang sees {theirs:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn idle(node: &Node) -> Pid {
    node.spawn(SpawnOptions::default(), |mut ctx: Context| async move {
        loop {
            if let Err(reason) = ctx.recv().await {
                return reason;
            }
        }
    })
    .expect("spawn")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_converges_across_a_three_node_cluster() {
    if !common::require_erl("membership_converges_across_a_three_node_cluster") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("pgcookie");
    let node = Node::start(
        &format!("{}@localhost", common::unique_name("pg_rust")),
        NodeOptions {
            cookie: cookie.clone(),
            distribution: Some(DistOptions::default()),
            ..NodeOptions::default()
        },
    )
    .await
    .expect("rust node");
    let scope = PgScope::start(&node, "ergo_pg").await.expect("scope");
    let e1 = start_erl(&cookie);
    let mut e2 = Some(start_erl(&cookie));
    node.connect(&e1.name).await.expect("connect e1");
    let e2_name = e2.as_ref().map(|e| e.name.clone()).unwrap_or_default();
    node.connect(&e2_name).await.expect("connect e2");
    assert_eq!(
        erl_call(
            &node,
            &e1,
            Term::tuple(vec![Term::atom("connect"), Term::atom(&e2_name)])
        )
        .await,
        Term::atom("true")
    );

    // Joins from all three nodes.
    let p = idle(&node);
    scope
        .join(Term::atom("g"), &[p.clone()])
        .await
        .expect("join");
    let Term::Pid(a1) = erl_call(
        &node,
        &e1,
        Term::tuple(vec![Term::atom("join"), Term::atom("g")]),
    )
    .await
    else {
        panic!("join on e1");
    };
    let e2_ref = e2.as_ref().expect("e2");
    let Term::Pid(a2) = erl_call(
        &node,
        e2_ref,
        Term::tuple(vec![Term::atom("join"), Term::atom("g")]),
    )
    .await
    else {
        panic!("join on e2");
    };
    converge(
        &node,
        &scope,
        &[&e1, e2_ref],
        "g",
        &[p.clone(), a1.clone(), a2.clone()],
    )
    .await;
    assert_eq!(scope.get_local_members(Term::atom("g")), vec![p.clone()]);
    assert_eq!(scope.which_groups(), vec![Term::atom("g")]);

    // A Rust leave, then a Rust member that exits.
    scope
        .leave(Term::atom("g"), &[p.clone()])
        .await
        .expect("leave");
    assert!(matches!(
        scope.leave(Term::atom("g"), &[p.clone()]).await,
        Err(ergo::core::pg::PgError::NotJoined)
    ));
    converge(
        &node,
        &scope,
        &[&e1, e2_ref],
        "g",
        &[a1.clone(), a2.clone()],
    )
    .await;
    let short_lived = idle(&node);
    scope
        .join(Term::atom("g"), &[short_lived.clone()])
        .await
        .expect("join");
    converge(
        &node,
        &scope,
        &[&e1, e2_ref],
        "g",
        &[a1.clone(), a2.clone(), short_lived.clone()],
    )
    .await;
    node.exit(node.outside_pid(), &short_lived, Term::atom("kill"));
    converge(
        &node,
        &scope,
        &[&e1, e2_ref],
        "g",
        &[a1.clone(), a2.clone()],
    )
    .await;

    // An Erlang member that exits.
    erl_call(
        &node,
        &e1,
        Term::tuple(vec![Term::atom("kill"), Term::Pid(a1.clone())]),
    )
    .await;
    converge(&node, &scope, &[&e1, e2_ref], "g", &[a2.clone()]).await;

    // Only local processes can join.
    assert!(matches!(
        scope.join(Term::atom("g"), &[a2.clone()]).await,
        Err(ergo::core::pg::PgError::NotLocal(_))
    ));

    // A node going down takes its members with it.
    let survivor = idle(&node);
    scope
        .join(Term::atom("g"), &[survivor.clone()])
        .await
        .expect("join");
    converge(
        &node,
        &scope,
        &[&e1, e2_ref],
        "g",
        &[a2.clone(), survivor.clone()],
    )
    .await;
    e2.take();
    converge(&node, &scope, &[&e1], "g", &[survivor.clone()]).await;
}
