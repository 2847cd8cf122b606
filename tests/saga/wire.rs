//! The wire messages as another implementation (the Go version) sends and reads them, played
//! by plain processes on another node: a `'$saga_next'` with the seed's options map (charlist
//! keys, the lifespan in seconds, no `"LifespanMs"`) runs a transaction on our saga, whose result
//! comes back as `{'$saga_result', Pid, {Tx, Origin, Result}}`; and our saga's `'$saga_next'` to
//! a foreign saga has the seed's shape, whose `'$saga_result'` our saga takes.

use ergo::{Charlist, Map, Term};

use crate::common::{self, wait::next_within};
use crate::support::{Cluster, Hop, Plan, Work, DEADLINE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_saga_runs_a_transaction_on_ours() {
    let cluster = Cluster::start("saga_wire_in").await;
    let compute = Plan {
        work: Some(Work::Compute),
        ..Plan::default()
    };
    cluster.stage(1, "saga", "b", compute).await;
    let (foreign, mut rx) = common::forwarder(&cluster.nodes[0], false);
    let tx = Term::Reference(cluster.nodes[0].make_ref());
    let origin = Term::Reference(cluster.nodes[0].make_ref());
    let options = Term::Map(Map::from_pairs([
        (Charlist::encode("HopLimit"), Term::Int(3)),
        (Charlist::encode("Lifespan"), Term::Int(10)),
        (Charlist::encode("TwoPhaseCommit"), Term::atom("false")),
    ]));
    let next = Term::tuple(vec![
        Term::atom("$saga_next"),
        Term::Pid(foreign.clone()),
        Term::tuple(vec![
            tx.clone(),
            origin.clone(),
            Term::Int(42),
            Term::nil(),
            options,
        ]),
    ]);
    cluster.nodes[0]
        .send(cluster.saga(1, "saga"), next)
        .expect("send");
    // Our saga monitors the foreign one and answers over the hop it came by.
    let reply = next_within(&mut rx, DEADLINE).await;
    let Some([tag, Term::Pid(from), body]) = reply.as_tuple() else {
        panic!("not a saga message: {reply}");
    };
    assert!(tag.is_atom("$saga_result"), "{reply}");
    assert_eq!(from.node, *cluster.nodes[1].name());
    assert_eq!(
        body,
        &Term::tuple(vec![tx, origin, Term::Int(42)]),
        "{reply}"
    );
    assert_eq!(cluster.log.of("b", "tx_new"), vec![Term::Int(42)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_saga_passes_a_transaction_to_a_foreign_one() {
    let cluster = Cluster::start("saga_wire_out").await;
    let (foreign, mut rx) = common::forwarder(&cluster.nodes[1], false);
    cluster.nodes[1]
        .register("foreign", &foreign)
        .expect("register");
    let originator = Plan {
        nexts: vec![Hop {
            to: cluster.saga(1, "foreign"),
            value: 7,
            trap_cancel: false,
            timeout: None,
        }],
        ..Plan::default()
    };
    cluster.stage(0, "saga", "a", originator).await;
    let tx = cluster.start_tx("saga", 0, false, 5000).await;
    let next = next_within(&mut rx, DEADLINE).await;
    let Some([tag, Term::Pid(sender), body]) = next.as_tuple() else {
        panic!("not a saga message: {next}");
    };
    assert!(tag.is_atom("$saga_next"), "{next}");
    let Some([got_tx, origin, value, parents, Term::Map(options)]) = body.as_tuple() else {
        panic!("not {{Tx, Origin, Value, Parents, Options}}: {next}");
    };
    assert_eq!(got_tx, &tx);
    assert!(matches!(origin, Term::Reference(_)), "{next}");
    assert_eq!(value, &Term::Int(7));
    // The originator's path is empty: the receiver's is [Sender].
    assert_eq!(parents, &Term::nil());
    let key = |k: &str| options.get(&Charlist::encode(k)).cloned();
    assert_eq!(key("HopLimit"), Some(Term::Int(65535)));
    assert_eq!(key("TwoPhaseCommit"), Some(Term::atom("false")));
    // 5 s of lifespan, a little of it spent: 5 whole seconds rounded up, and the milliseconds.
    assert_eq!(key("Lifespan"), Some(Term::Int(5)));
    let Some(Term::Int(ms)) = key("LifespanMs") else {
        panic!("no LifespanMs: {next}");
    };
    assert!((4000..=5000).contains(&ms), "{ms}");
    // The foreign saga answers over the hop; our saga takes the result and is done.
    let result = Term::tuple(vec![
        Term::atom("$saga_result"),
        Term::Pid(foreign.clone()),
        Term::tuple(vec![tx, origin.clone(), Term::Int(700)]),
    ]);
    cluster.nodes[1].send(sender.clone(), result).expect("send");
    assert_eq!(cluster.log.wait_for("a", "tx_done").await, Term::Int(700));
}
