//! Cancels started at each position of a three-node chain a -> b -> c (each saga with a job
//! that holds): the originator, the middle, the leaf, and a worker failing. Every participant
//! hears of it exactly once and no result is delivered; a node stopped in the middle of a
//! transaction and a lifespan ending cancel the same way.

use ergo::Term;

use crate::support::{error, worker_failed, Cluster, Hop, Plan, Work};

/// a (node 0) -> b (node 1) -> c (node 2), each holding a job; returns the cluster and the
/// transaction once every saga and worker has started.
async fn chain(prefix: &str, lifespan_ms: u64) -> (Cluster, Term) {
    let cluster = Cluster::start(prefix).await;
    let hold = |next: Option<usize>| Plan {
        work: Some(Work::Hold),
        nexts: next
            .map(|i| Hop {
                to: cluster.saga(i, "saga"),
                value: 1,
                trap_cancel: false,
                timeout: None,
            })
            .into_iter()
            .collect(),
        ..Plan::default()
    };
    cluster.stage(2, "saga", "c", hold(None)).await;
    cluster.stage(1, "saga", "b", hold(Some(2))).await;
    cluster.stage(0, "saga", "a", hold(Some(1))).await;
    let tx = cluster.start_tx("saga", 1, false, lifespan_ms).await;
    for who in ["a.worker", "b.worker", "c.worker"] {
        cluster.log.wait_for(who, "job_start").await;
    }
    (cluster, tx)
}

/// Waits until every saga and every worker but `failed` was cancelled, then checks each was
/// cancelled once with `reason` (a worker with the reason its saga got) and nothing else ended
/// the transaction.
async fn everyone_cancelled_once(cluster: &Cluster, failed: Option<&str>, reason: &Term) {
    let log = &cluster.log;
    for who in ["a", "b", "c"] {
        log.wait_for(who, "tx_cancel").await;
        let worker = format!("{who}.worker");
        if failed != Some(worker.as_str()) {
            log.wait_for(&worker, "job_cancel").await;
        }
    }
    cluster
        .settle(&[(0, "saga"), (1, "saga"), (2, "saga")])
        .await;
    for who in ["a", "b", "c"] {
        assert_eq!(
            log.of(who, "tx_cancel"),
            vec![reason.clone()],
            "{who}: {:?}",
            log.events()
        );
        let worker = format!("{who}.worker");
        let expected = if failed == Some(worker.as_str()) {
            vec![]
        } else {
            vec![reason.clone()]
        };
        assert_eq!(log.of(&worker, "job_cancel"), expected, "{worker}");
    }
    for what in [
        "tx_result",
        "job_result",
        "tx_done",
        "tx_commit",
        "job_commit",
    ] {
        assert_eq!(log.count(what), 0, "{what}: {:?}", log.events());
    }
    for i in 0..3 {
        assert_eq!(
            cluster.call(0, i, "saga", Term::atom("transactions")).await,
            Term::Int(0)
        );
    }
}

async fn cancel_at(position: usize) {
    let (cluster, tx) = chain(&format!("saga_cancel{position}"), 0).await;
    let reply = cluster
        .call(
            0,
            position,
            "saga",
            Term::tuple(vec![Term::atom("cancel"), tx]),
        )
        .await;
    assert_eq!(reply, Term::atom("ok"));
    everyone_cancelled_once(&cluster, None, &Term::atom("user_cancel")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_at_the_originator_reaches_everyone_once() {
    cancel_at(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_in_the_middle_reaches_everyone_once() {
    cancel_at(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_at_the_leaf_reaches_everyone_once() {
    cancel_at(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_worker_cancels_everyone_else_once() {
    let (cluster, _tx) = chain("saga_cancel_worker", 0).await;
    let worker = cluster.log.of("b.worker", "job_start").remove(0);
    let Term::Pid(worker) = worker else {
        panic!("not a pid: {worker}");
    };
    cluster.nodes[1]
        .send(worker, Term::atom("fail"))
        .expect("send");
    everyone_cancelled_once(&cluster, Some("b.worker"), &worker_failed()).await;
    assert_eq!(cluster.log.of("b", "job_failed"), vec![worker_failed()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stopped_mid_transaction_cancels_the_rest() {
    let (cluster, _tx) = chain("saga_nodedown", 0).await;
    cluster.nodes[2].stop();
    let log = &cluster.log;
    // b lost its next saga with its node, a hears it from b.
    assert_eq!(
        log.wait_for("b", "tx_cancel").await,
        Term::atom("noconnection")
    );
    assert_eq!(
        log.wait_for("a", "tx_cancel").await,
        Term::atom("noconnection")
    );
    assert_eq!(
        log.wait_for("b.worker", "job_cancel").await,
        Term::atom("noconnection")
    );
    assert_eq!(
        log.wait_for("a.worker", "job_cancel").await,
        Term::atom("noconnection")
    );
    cluster.settle(&[(0, "saga"), (1, "saga")]).await;
    assert_eq!(log.of("a", "tx_cancel").len(), 1);
    assert_eq!(log.of("b", "tx_cancel").len(), 1);
    assert_eq!(log.count("tx_done") + log.count("tx_result"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifespan_ends_the_transaction_on_every_node() {
    let (cluster, _tx) = chain("saga_lifespan", 1000).await;
    everyone_cancelled_once(&cluster, None, &error("lifespan_expired")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saga_that_stops_cancels_its_transactions_everywhere() {
    let (cluster, _tx) = chain("saga_stop", 0).await;
    let reply = cluster.call(0, 1, "saga", Term::atom("stop")).await;
    assert_eq!(reply, Term::atom("ok"));
    // b told everyone, ran its own cancel once, and its worker undid its job.
    let log = &cluster.log;
    for who in ["a", "b", "c", "a.worker", "b.worker", "c.worker"] {
        let what = if who.ends_with("worker") {
            "job_cancel"
        } else {
            "tx_cancel"
        };
        assert_eq!(
            log.wait_for(who, what).await,
            Term::atom("shutdown"),
            "{who}"
        );
    }
    cluster.settle(&[(0, "saga"), (2, "saga")]).await;
    assert_eq!(log.count("tx_cancel"), 3, "{:?}", log.events());
    assert_eq!(log.count("job_cancel"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_saga_that_does_not_answer_in_time_cancels_the_transaction() {
    let cluster = Cluster::start("saga_next_timeout").await;
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
            timeout: Some(std::time::Duration::from_millis(200)),
        }],
        ..Plan::default()
    };
    cluster.stage(0, "saga", "a", originator).await;
    cluster.start_tx("saga", 1, false, 0).await;
    let log = &cluster.log;
    assert_eq!(log.wait_for("a", "tx_cancel").await, error("next_timeout"));
    assert_eq!(log.wait_for("b", "tx_cancel").await, error("next_timeout"));
    assert_eq!(
        log.wait_for("b.worker", "job_cancel").await,
        error("next_timeout")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_does_not_answer_in_time_fails() {
    let cluster = Cluster::start("saga_job_timeout").await;
    let hold = Plan {
        work: Some(Work::Hold),
        job_timeout: Some(std::time::Duration::from_millis(200)),
        ..Plan::default()
    };
    cluster.stage(0, "saga", "a", hold).await;
    cluster.start_tx("saga", 1, false, 0).await;
    let log = &cluster.log;
    // The worker is told, the saga's handle_job_failed runs, and (the test saga's choice) the
    // transaction is cancelled.
    assert_eq!(
        log.wait_for("a.worker", "job_cancel").await,
        error("job_timeout")
    );
    assert_eq!(log.wait_for("a", "job_failed").await, error("job_timeout"));
    assert_eq!(log.wait_for("a", "tx_cancel").await, error("job_timeout"));
    assert_eq!(log.of("a.worker", "job_cancel").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_originators_node_lost_cancels_the_rest_through_the_parent_monitors() {
    let (cluster, _tx) = chain("saga_parentdown", 0).await;
    cluster.nodes[0].stop();
    let log = &cluster.log;
    // b lost its parent with its node, and told c, which heard nothing from node 0.
    assert_eq!(
        log.wait_for("b", "tx_cancel").await,
        Term::atom("noconnection")
    );
    assert_eq!(
        log.wait_for("c", "tx_cancel").await,
        Term::atom("noconnection")
    );
    for who in ["b.worker", "c.worker"] {
        assert_eq!(
            log.wait_for(who, "job_cancel").await,
            Term::atom("noconnection")
        );
    }
    cluster.settle(&[(1, "saga"), (2, "saga")]).await;
    assert_eq!(log.of("b", "tx_cancel").len(), 1);
    assert_eq!(log.of("c", "tx_cancel").len(), 1);
}
