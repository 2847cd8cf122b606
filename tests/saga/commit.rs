//! Two-phase commit across a three-node chain a -> b -> c, each saga with a computing job:
//! when every participant succeeds, every saga and worker commits once with the originator's
//! final value; when the leaf's worker fails before the commit, nothing commits anywhere and
//! the workers that already sent their results are cancelled.

use ergo::Term;

use crate::support::{worker_failed, Cluster, Hop, Plan, Work};

async fn chain(prefix: &str, leaf_work: Work) -> Cluster {
    let cluster = Cluster::start(prefix).await;
    let plan = |next: Option<usize>, work: Work| Plan {
        work: Some(work),
        nexts: next
            .map(|i| Hop {
                to: cluster.saga(i, "saga"),
                value: 10_i64.pow(u32::try_from(i).unwrap_or(0)),
                trap_cancel: false,
                timeout: None,
            })
            .into_iter()
            .collect(),
        ..Plan::default()
    };
    cluster.stage(2, "saga", "c", plan(None, leaf_work)).await;
    cluster
        .stage(1, "saga", "b", plan(Some(2), Work::Compute))
        .await;
    cluster
        .stage(0, "saga", "a", plan(Some(1), Work::Compute))
        .await;
    cluster.start_tx("saga", 1, true, 0).await;
    cluster
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_succeed_then_all_commit_once() {
    let cluster = chain("saga_2pc_ok", Work::Compute).await;
    let log = &cluster.log;
    // a: 1 + b (10 + c (100)).
    assert_eq!(log.wait_for("a", "tx_done").await, Term::Int(111));
    for who in ["a", "b", "c", "a.worker", "b.worker", "c.worker"] {
        let what = if who.ends_with("worker") {
            "job_commit"
        } else {
            "tx_commit"
        };
        log.wait_for(who, what).await;
    }
    cluster
        .settle(&[(0, "saga"), (1, "saga"), (2, "saga")])
        .await;
    for who in ["a", "b", "c"] {
        assert_eq!(log.of(who, "tx_commit"), vec![Term::Int(111)], "{who}");
        assert_eq!(
            log.of(&format!("{who}.worker"), "job_commit"),
            vec![Term::Int(111)]
        );
    }
    assert_eq!(log.count("tx_cancel") + log.count("job_cancel"), 0);
    // The commit ends the transaction on every saga.
    for i in 0..3 {
        assert_eq!(
            cluster.call(0, i, "saga", Term::atom("transactions")).await,
            Term::Int(0)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_failing_before_the_commit_rolls_everything_back() {
    let cluster = chain("saga_2pc_fail", Work::Fail).await;
    let log = &cluster.log;
    for who in ["a", "b", "c"] {
        assert_eq!(
            log.wait_for(who, "tx_cancel").await,
            worker_failed(),
            "{who}"
        );
    }
    // The workers that had sent their results wait for the commit; they are cancelled.
    for who in ["a.worker", "b.worker"] {
        assert_eq!(log.wait_for(who, "job_cancel").await, worker_failed());
    }
    cluster
        .settle(&[(0, "saga"), (1, "saga"), (2, "saga")])
        .await;
    assert_eq!(log.count("tx_commit") + log.count("job_commit"), 0);
    assert_eq!(log.count("tx_done"), 0);
    assert_eq!(log.count("tx_cancel"), 3, "{:?}", log.events());
    assert_eq!(log.count("job_cancel"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_lost_before_the_commit_cancels_the_transaction() {
    // a holds its own job, so the commit waits; b and c are done and wait for it.
    let cluster = Cluster::start("saga_2pc_lost").await;
    let hop = |i: usize| Hop {
        to: cluster.saga(i, "saga"),
        value: 1,
        trap_cancel: false,
        timeout: None,
    };
    let plan = |next: Option<usize>, work: Work| Plan {
        work: Some(work),
        nexts: next.map(hop).into_iter().collect(),
        ..Plan::default()
    };
    cluster
        .stage(2, "saga", "c", plan(None, Work::Compute))
        .await;
    cluster
        .stage(1, "saga", "b", plan(Some(2), Work::Compute))
        .await;
    cluster
        .stage(0, "saga", "a", plan(Some(1), Work::Hold))
        .await;
    cluster.start_tx("saga", 1, true, 0).await;
    let log = &cluster.log;
    assert_eq!(log.wait_for("a", "tx_result").await, Term::Int(2));
    cluster.nodes[2].stop();
    // b lost c, which had done its part: nothing can commit atomically any more.
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
    assert_eq!(log.count("tx_commit") + log.count("job_commit"), 0);
}
