//! A sum computed by three nodes' sagas in parallel, with interim results flowing back.

use ergo::Term;

use crate::support::{Cluster, Hop, Plan, Work};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_sum_in_parallel_with_interim_results() {
    let cluster = Cluster::start("saga_sum").await;
    let leaf = Plan {
        work: Some(Work::Compute),
        forward_interim: true,
        ..Plan::default()
    };
    cluster.stage(1, "saga", "b", leaf.clone()).await;
    cluster.stage(2, "saga", "c", leaf).await;
    let originator = Plan {
        work: Some(Work::Compute),
        nexts: vec![
            Hop {
                to: cluster.saga(1, "saga"),
                value: 10,
                trap_cancel: false,
                timeout: None,
            },
            Hop {
                to: cluster.saga(2, "saga"),
                value: 100,
                trap_cancel: false,
                timeout: None,
            },
        ],
        ..Plan::default()
    };
    cluster.stage(0, "saga", "a", originator).await;
    cluster.start_tx("saga", 1, false, 0).await;

    let log = &cluster.log;
    assert_eq!(log.wait_for("a", "tx_done").await, Term::Int(111));
    // Each next saga computed its own part; the originator saw both results and, forwarded by
    // them, their workers' interim results.
    assert_eq!(log.of("b", "tx_new"), vec![Term::Int(10)]);
    assert_eq!(log.of("c", "tx_new"), vec![Term::Int(100)]);
    let mut results = log.of("a", "tx_result");
    results.sort_by_key(|t| t.to_string());
    assert_eq!(results, vec![Term::Int(10), Term::Int(100)]);
    let mut interims = log.of("a", "tx_interim");
    interims.sort_by_key(|t| t.to_string());
    assert_eq!(interims, vec![Term::Int(10), Term::Int(100)]);
    assert_eq!(log.of("a", "job_interim"), vec![Term::Int(1)]);
    assert_eq!(log.count("tx_cancel"), 0, "{:?}", log.events());
    // Without two-phase commit nothing commits, and the transaction is over everywhere.
    assert_eq!(log.count("tx_commit") + log.count("job_commit"), 0);
    for i in 0..3 {
        assert_eq!(
            cluster.call(0, i, "saga", Term::atom("transactions")).await,
            Term::Int(0)
        );
    }
}
