//! Bad input to a saga: messages tagged as a saga's but of a wrong shape, a cancel for an
//! unknown transaction, and a cancel or result for a running transaction from a process that
//! is neither its parent nor one of its next sagas are logged and dropped; the saga and its
//! transaction go on.

use ergo::Term;

use crate::common;
use crate::support::{Cluster, Hop, Plan, Work};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_saga_messages_are_dropped_and_the_transaction_goes_on() {
    let cluster = Cluster::start("saga_bad").await;
    let hold = Plan {
        work: Some(Work::Hold),
        ..Plan::default()
    };
    cluster.stage(1, "saga", "b", hold).await;
    let originator = Plan {
        nexts: vec![Hop {
            to: cluster.saga(1, "saga"),
            value: 1,
            trap_cancel: false,
            timeout: None,
        }],
        ..Plan::default()
    };
    cluster.stage(0, "saga", "a", originator).await;
    let tx = cluster.start_tx("saga", 1, false, 0).await;
    let log = &cluster.log;
    log.wait_for("b.worker", "job_start").await;

    let (stranger, _rx) = common::forwarder(&cluster.nodes[0], false);
    let stranger = Term::Pid(stranger);
    let stranger_ref = Term::Reference(cluster.nodes[0].make_ref());
    let unknown_tx = Term::Reference(cluster.nodes[0].make_ref());
    let message =
        |tag: &str, body: Term| Term::tuple(vec![Term::atom(tag), stranger.clone(), body]);
    let bad = [
        // Wrong shapes.
        message("$saga_next", Term::tuple(vec![Term::Int(1), Term::Int(2)])),
        message("$saga_result", Term::atom("not_a_tuple")),
        Term::tuple(vec![Term::atom("$saga_cancel")]),
        // A cancel for a transaction b does not know.
        message(
            "$saga_cancel",
            Term::tuple(vec![unknown_tx, stranger_ref.clone(), Term::atom("boom")]),
        ),
        // b's transaction, but from neither its parent nor a next saga.
        message(
            "$saga_cancel",
            Term::tuple(vec![tx.clone(), stranger_ref.clone(), Term::atom("boom")]),
        ),
        message(
            "$saga_result",
            Term::tuple(vec![tx.clone(), stranger_ref.clone(), Term::Int(5)]),
        ),
        message(
            "$saga_commit",
            Term::tuple(vec![tx.clone(), stranger_ref, Term::Int(5)]),
        ),
    ];
    for term in bad {
        cluster.nodes[0]
            .send(cluster.saga(1, "saga"), term)
            .expect("send");
    }
    cluster.settle(&[(1, "saga")]).await;
    assert_eq!(
        cluster.call(0, 1, "saga", Term::atom("transactions")).await,
        Term::Int(1)
    );
    for what in ["tx_cancel", "tx_result", "tx_commit", "job_cancel", "info"] {
        assert_eq!(log.count(what), 0, "{what}: {:?}", log.events());
    }
    // The transaction still works: the worker finishes, b answers, a is done.
    let Term::Pid(worker) = log.of("b.worker", "job_start").remove(0) else {
        panic!("no worker pid");
    };
    cluster.nodes[1]
        .send(worker, Term::atom("finish"))
        .expect("send");
    assert_eq!(log.wait_for("a", "tx_done").await, Term::Int(1));
}
