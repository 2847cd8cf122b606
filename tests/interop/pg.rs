//! pg membership shared with real Erlang nodes: a three-node cluster (two `erl`, one Rust) in
//! scope `ergo_pg`, where joins, leaves, process exits and a node going down converge on every
//! node. Every wait polls a condition with a deadline.

use crate::common;

use std::time::{Duration, Instant};

use ergo::runtime::pg::PgScope;
use ergo::{Context, Dest, Node, Pid, SpawnOptions, Term};

const DEADLINE: Duration = Duration::from_secs(20);

use common::ErlNode;

async fn start_erl(cookie: &str) -> ErlNode {
    ErlNode::start("pg_erl", cookie, &["interop/pg_side.erl"], &[]).await
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
    let node = common::dist_node("pg_rust", &cookie).await;
    let scope = PgScope::start(&node, "ergo_pg").await.expect("scope");
    let e1 = start_erl(&cookie).await;
    let mut e2 = Some(start_erl(&cookie).await);
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
        .join(Term::atom("g"), std::slice::from_ref(&p))
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
        .leave(Term::atom("g"), std::slice::from_ref(&p))
        .await
        .expect("leave");
    assert!(matches!(
        scope.leave(Term::atom("g"), std::slice::from_ref(&p)).await,
        Err(ergo::runtime::pg::PgError::NotJoined)
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
        .join(Term::atom("g"), std::slice::from_ref(&short_lived))
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
    converge(
        &node,
        &scope,
        &[&e1, e2_ref],
        "g",
        std::slice::from_ref(&a2),
    )
    .await;

    // Only local processes can join.
    assert!(matches!(
        scope.join(Term::atom("g"), std::slice::from_ref(&a2)).await,
        Err(ergo::runtime::pg::PgError::NotLocal(_))
    ));

    // A node going down takes its members with it.
    let survivor = idle(&node);
    scope
        .join(Term::atom("g"), std::slice::from_ref(&survivor))
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
    converge(&node, &scope, &[&e1], "g", std::slice::from_ref(&survivor)).await;
}

/// Phoenix.PubSub's view of the cluster is pg scope `Elixir.Phoenix.PubSub`: a Rust process in
/// the adapter's group receives an Elixir broadcast (`{forward_to_local, Topic, Msg, Dispatcher}`)
/// and broadcasts back to Elixir subscribers, with no dummy `pg2` process anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phoenix_pubsub_style_broadcasts_both_ways_with_elixir() {
    if !common::require_elixir("phoenix_pubsub_style_broadcasts_both_ways_with_elixir") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("pubsub");
    let node = common::dist_node("pubsub_rust", &cookie).await;
    let scope = PgScope::start(&node, "Elixir.Phoenix.PubSub")
        .await
        .expect("scope");
    let group = Term::atom("Elixir.MyApp.PubSub.Adapter");
    // The Rust subscriber: answers every broadcast by broadcasting {echo, Msg} to the other
    // nodes' members of the group, as a PubSub adapter forwards to remote nodes.
    let relay = {
        let scope = scope.clone();
        let group = group.clone();
        node.spawn(
            SpawnOptions::default(),
            move |mut ctx: Context| async move {
                loop {
                    let message = match ctx.recv().await {
                        Ok(envelope) => envelope.into_term(),
                        Err(reason) => return reason,
                    };
                    if let Some([tag, topic, msg, dispatcher]) = message.as_tuple() {
                        if tag.is_atom("forward_to_local") {
                            let echoed = Term::tuple(vec![
                                tag.clone(),
                                topic.clone(),
                                Term::tuple(vec![Term::atom("echo"), msg.clone()]),
                                dispatcher.clone(),
                            ]);
                            // The sender's node joined its subscriber just before sending,
                            // but that join reaches our scope process on its own, concurrently
                            // with this message: wait (with a deadline) until it has landed.
                            let deadline = Instant::now() + Duration::from_secs(5);
                            let remote = loop {
                                let remote: Vec<_> = scope
                                    .get_members(group.clone())
                                    .into_iter()
                                    .filter(|m| &m.node != ctx.node().name())
                                    .collect();
                                if !remote.is_empty() || Instant::now() > deadline {
                                    break remote;
                                }
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            };
                            for member in remote {
                                let _ = ctx.send(member, echoed.clone());
                            }
                        }
                    }
                }
            },
        )
        .expect("spawn")
    };
    scope.join(group.clone(), &[relay]).await.expect("join");
    let script = format!(
        r#"
        rust = :"{rust}"
        {{:ok, _}} = :pg.start(Phoenix.PubSub)
        true = Node.connect(rust)
        parent = self()
        sub = spawn(fn ->
          receive do
            {{:forward_to_local, topic, msg, _}} -> send(parent, {{:got, topic, msg}})
          end
        end)
        :ok = :pg.join(Phoenix.PubSub, MyApp.PubSub.Adapter, sub)
        wait = fn wait, n ->
          remote = Enum.filter(:pg.get_members(Phoenix.PubSub, MyApp.PubSub.Adapter), &(node(&1) == rust))
          cond do
            remote != [] -> remote
            n == 0 -> raise "no Rust member in the group"
            true -> Process.sleep(20); wait.(wait, n - 1)
          end
        end
        for pid <- wait.(wait, 250) do
          send(pid, {{:forward_to_local, "room:1", :hello_rust, Phoenix.PubSub}})
        end
        receive do
          {{:got, "room:1", {{:echo, :hello_rust}}}} -> IO.puts("PASS")
        after
          10_000 -> raise "no broadcast back from Rust"
        end
        "#,
        rust = node.name()
    );
    let me = common::unique_name("pubsub_ex");
    let mut elixir = std::process::Command::new("elixir");
    elixir.args(["--sname", &me, "--cookie", &cookie, "-e", &script]);
    tokio::task::spawn_blocking(move || {
        common::run_within(elixir, Duration::from_secs(60), "elixir")
    })
    .await
    .expect("elixir ran")
    .assert_passed("elixir");
}
