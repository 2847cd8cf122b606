//! The `stage` example driven from a real Elixir node: an Elixir consumer subscribes to
//! `numbers` and gets 0, 1, 2, ... in order within its demand; `sink` subscribes a Rust consumer
//! to an Elixir producer on request and its stats add up; an Elixir consumer of each of `parts`'
//! partitions gets the events Elixir's own phash2 puts there.

use std::process::{Command, Stdio};
use std::time::Duration;

use ergo::Term;

use crate::common::{self, ChildGuard, Collector, Output};
use crate::elixir::{gen_stage_ebin, keyword, ElixirNode, T};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stage_example_serves_elixir() {
    let Some(ebin) = gen_stage_ebin("the_stage_example_serves_elixir") else {
        return;
    };
    common::ensure_system_epmd();
    let cookie = common::unique_name("cookie");
    let stage_name = common::node_name("stage_example");
    let mut child = Command::new(common::example_binary("stage"))
        .args(["--name", &stage_name, "--cookie", &cookie])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the stage example");
    let output = Output::of(&mut child, &stage_name);
    let _guard = ChildGuard(child);
    output
        .wait_line_async("ready", Duration::from_secs(30))
        .await;

    let node = common::dist_node("rs_example", &cookie).await;
    let ex = ElixirNode::start("ex_example", &cookie, &ebin).await;
    let remote = |name: &str| Term::tuple(vec![Term::atom(name), Term::atom(&stage_name)]);

    // numbers -> an Elixir consumer asking 100 at a time.
    let (report, mut rx) = Collector::new().spawn(&node);
    let consumer = ex
        .start_stage(
            &node,
            "Side.Consumer",
            Term::tuple(vec![Term::Pid(report), Term::Int(100)]),
            None,
        )
        .await;
    let sub = ex
        .apply(
            &node,
            "GenStage",
            "sync_subscribe",
            vec![consumer, keyword(&[("to", remote("numbers"))])],
        )
        .await;
    assert!(sub.as_tuple().is_some_and(|t| t[0].is_atom("ok")), "{sub}");
    let mut expected = 0;
    while expected < 500 {
        let m = tokio::time::timeout(T, rx.recv())
            .await
            .expect("a batch")
            .expect("open");
        let Some([tag, _, Term::Int(n), Term::Int(out), Term::List(events)]) = m.as_tuple() else {
            continue;
        };
        assert!(tag.is_atom("batch"));
        assert!(n <= out, "{n} events for a demand of {out}");
        for e in events {
            assert_eq!(e, &Term::Int(expected));
            expected += 1;
        }
    }

    // sink: a Rust consumer of an Elixir producer, on request.
    ex.start_stage(
        &node,
        "Side.Producer",
        Term::tuple(vec![Term::Int(0), Term::nil()]),
        Some("exsrc"),
    )
    .await;
    let exsrc = Term::tuple(vec![Term::atom("exsrc"), Term::atom(&ex.name)]);
    let subscribed = ex
        .apply(
            &node,
            "gen_server",
            "call",
            vec![
                remote("sink"),
                Term::tuple(vec![
                    Term::atom("subscribe"),
                    exsrc,
                    keyword(&[("max_demand", Term::Int(10))]),
                ]),
            ],
        )
        .await;
    assert!(
        matches!(subscribed.as_tuple(), Some([ok, Term::Reference(_)]) if ok.is_atom("ok")),
        "{subscribed}"
    );
    let counted = common::wait::poll_until(T, || async {
        let stats = ex
            .apply(
                &node,
                "gen_server",
                "call",
                vec![remote("sink"), Term::atom("stats")],
            )
            .await;
        let Some([Term::Int(count), Term::Int(sum), last]) = stats.as_tuple() else {
            panic!("stats: {stats}")
        };
        // In order from 0: the sum and the last event follow from the count.
        if *count > 0 {
            assert_eq!(*sum, count * (count - 1) / 2, "{stats}");
            assert_eq!(last, &Term::Int(count - 1), "{stats}");
        }
        *count >= 1_000
    })
    .await;
    assert!(
        counted,
        "the sink's consumer did not count 1000 events in time"
    );

    // parts: each partition's consumer gets only what Elixir's phash2 puts there (all four
    // subscribe: a partition without a consumer queues its events, and demand stalls).
    let (report, mut rx) = Collector::new().spawn(&node);
    let mut partition_of = std::collections::HashMap::new();
    for p in 0..4 {
        let consumer = ex
            .start_stage(
                &node,
                "Side.Consumer",
                Term::tuple(vec![Term::Pid(report.clone()), Term::Int(50)]),
                None,
            )
            .await;
        ex.apply(
            &node,
            "GenStage",
            "sync_subscribe",
            vec![
                consumer.clone(),
                keyword(&[("to", remote("parts")), ("partition", Term::Int(p))]),
            ],
        )
        .await;
        partition_of.insert(consumer, p);
    }
    let mut seen = 0;
    while seen < 400 {
        let m = tokio::time::timeout(T, rx.recv())
            .await
            .expect("a batch")
            .expect("open");
        let Some([_, consumer, _, _, Term::List(events)]) = m.as_tuple() else {
            continue;
        };
        let p = partition_of[consumer];
        let theirs = ex
            .apply(
                &node,
                "Side",
                "partitions",
                vec![Term::List(events.clone()), Term::Int(4)],
            )
            .await;
        let Term::List(theirs) = theirs else {
            panic!("{theirs}")
        };
        assert!(
            theirs.iter().all(|h| h == &Term::Int(p)),
            "partition {p}: {theirs:?}"
        );
        seen += events.len();
    }
}
