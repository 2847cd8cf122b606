//! trap_cancel rerouting to another saga (after its refusal, and after its node is lost), the
//! transaction limit (`{error, exceed_tx_limit}`), loop detection (`{error, loop_detected}`),
//! and the hop limit as the length of the path.

use ergo::saga::{SagaContext, SagaOptions, TxId, TxOptions};
use ergo::{Context, GenSaga, Init, SpawnOptions, Status, Term};

use crate::support::{error, Cluster, Hop, Plan, Work};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trap_cancel_reroutes_to_another_saga() {
    let cluster = Cluster::start("saga_trap").await;
    let refuse = Plan {
        refuse: true,
        ..Plan::default()
    };
    cluster.stage(1, "saga", "b", refuse).await;
    let compute = Plan {
        work: Some(Work::Compute),
        ..Plan::default()
    };
    cluster.stage(2, "saga", "c", compute).await;
    let originator = Plan {
        nexts: vec![Hop {
            to: cluster.saga(1, "saga"),
            value: 5,
            trap_cancel: true,
            timeout: None,
        }],
        fallback: Some(cluster.saga(2, "saga")),
        ..Plan::default()
    };
    cluster.stage(0, "saga", "a", originator).await;
    cluster.start_tx("saga", 0, false, 0).await;
    let log = &cluster.log;
    // b refused; a got that as a message, not a cancel, and went to c, which answered.
    assert_eq!(log.wait_for("a", "tx_done").await, Term::Int(1000));
    assert_eq!(log.of("a", "next_cancelled"), vec![Term::atom("refused")]);
    assert_eq!(log.of("b", "tx_cancel"), vec![Term::atom("refused")]);
    assert_eq!(log.of("c", "tx_new"), vec![Term::Int(1000)]);
    assert!(log.of("a", "tx_cancel").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saga_at_its_limit_refuses_with_exceed_tx_limit() {
    let cluster = Cluster::start("saga_limit").await;
    let limited = Plan {
        work: Some(Work::Hold),
        max_transactions: 1,
        ..Plan::default()
    };
    cluster.stage(1, "saga", "b", limited).await;
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
    cluster.start_tx("saga", 1, false, 0).await;
    cluster.log.wait_for("b.worker", "job_start").await;
    // b holds one transaction: the second is refused, and a's second transaction cancelled.
    cluster.start_tx("saga", 2, false, 0).await;
    assert_eq!(
        cluster.log.wait_for("a", "tx_cancel").await,
        error("exceed_tx_limit")
    );
    assert_eq!(cluster.log.of("b", "tx_new"), vec![Term::Int(1)]);
    assert!(cluster.log.of("b", "tx_cancel").is_empty());

    // An originator at its limit refuses to start one.
    let own = Plan {
        work: Some(Work::Hold),
        max_transactions: 1,
        ..Plan::default()
    };
    cluster.stage(0, "own", "own", own).await;
    cluster.start_tx("own", 1, false, 0).await;
    let refused = cluster
        .call(
            0,
            0,
            "own",
            Term::tuple(vec![
                Term::atom("start"),
                Term::Int(2),
                Term::atom("false"),
                Term::Int(0),
            ]),
        )
        .await;
    assert!(refused.to_string().contains("exceed_tx_limit"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_coming_back_is_a_loop() {
    let cluster = Cluster::start("saga_loop").await;
    // a -> b -> a: a holds the transaction already.
    let back = Plan {
        nexts: vec![Hop {
            to: cluster.saga(0, "saga"),
            value: 1,
            trap_cancel: false,
            timeout: None,
        }],
        ..Plan::default()
    };
    cluster.stage(1, "saga", "b", back).await;
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
    cluster.start_tx("saga", 1, false, 0).await;
    let log = &cluster.log;
    assert_eq!(log.wait_for("b", "tx_cancel").await, error("loop_detected"));
    assert_eq!(log.wait_for("a", "tx_cancel").await, error("loop_detected"));
    cluster.settle(&[(0, "saga"), (1, "saga")]).await;
    // a took part once: one new transaction, one cancel.
    assert_eq!(log.of("a", "tx_new").len(), 1);
    assert_eq!(log.of("a", "tx_cancel").len(), 1);
    assert_eq!(log.of("b", "tx_cancel").len(), 1);
}

/// A saga that passes every transaction on to the saga named in its argument, recording the
/// outcome of `next` (a chain of these measures how far a transaction goes).
struct Relay {
    to: Option<ergo::Dest>,
    log: crate::support::Log,
    who: String,
}

impl GenSaga for Relay {
    type Args = (Option<ergo::Dest>, crate::support::Log, String);

    async fn init(_ctx: &mut Context, (to, log, who): Self::Args) -> Init<(Self, SagaOptions)> {
        Init::Ok((Relay { to, log, who }, SagaOptions::default()))
    }

    async fn handle_tx_new(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _value: Term,
    ) -> Status {
        let outcome = match self.to.clone() {
            Some(to) => match saga.next(&tx, to, 0, Default::default()) {
                Ok(_) => Term::atom("passed"),
                Err(error) => Term::binary(error.to_string()),
            },
            None => Term::atom("leaf"),
        };
        self.log.record(&self.who, "next", outcome);
        Status::Continue
    }

    async fn handle_tx_cancel(
        &mut self,
        _saga: &mut SagaContext<'_>,
        _tx: TxId,
        _r: Term,
    ) -> Status {
        Status::Continue
    }

    async fn handle_call(
        &mut self,
        saga: &mut SagaContext<'_>,
        _request: ergo::Payload,
        _from: ergo::ReplyTo,
    ) -> ergo::CallOutcome {
        let options = TxOptions {
            hop_limit: 2,
            ..TxOptions::default()
        };
        let tx = saga.start_transaction(options, 0).expect("start");
        ergo::CallOutcome::Reply(ergo::Payload::new(Term::Reference(tx.0)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hop_limit_is_the_length_of_the_path() {
    // r0 (node 0) -> r1 (node 1) -> r2 (node 2) -> r3 (node 0): with a hop limit of 2, r2 is
    // two hops from the originator and may not pass it on.
    let cluster = Cluster::start("saga_hops").await;
    let log = cluster.log.clone();
    let start = |i: usize, name: &'static str, to: Option<ergo::Dest>| {
        let node = cluster.nodes[i].clone();
        let log = log.clone();
        async move {
            node.start_saga::<Relay>((to, log, name.to_string()), SpawnOptions::named(name))
                .await
                .expect("relay");
        }
    };
    start(0, "r3", None).await;
    start(2, "r2", Some(cluster.saga(0, "r3"))).await;
    start(1, "r1", Some(cluster.saga(2, "r2"))).await;
    start(0, "r0", Some(cluster.saga(1, "r1"))).await;
    let _tx = cluster.call(0, 0, "r0", Term::atom("start")).await;
    assert_eq!(log.wait_for("r0", "next").await, Term::atom("passed"));
    assert_eq!(log.wait_for("r1", "next").await, Term::atom("passed"));
    let refused = log.wait_for("r2", "next").await;
    assert!(refused.to_string().contains("hop limit"), "{refused}");
    assert!(log.of("r3", "next").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trap_cancel_reroutes_when_the_next_sagas_node_is_lost() {
    let cluster = Cluster::start("saga_trap_down").await;
    let hold = Plan {
        work: Some(Work::Hold),
        ..Plan::default()
    };
    cluster.stage(1, "saga", "b", hold).await;
    let compute = Plan {
        work: Some(Work::Compute),
        ..Plan::default()
    };
    cluster.stage(2, "saga", "c", compute).await;
    let originator = Plan {
        nexts: vec![Hop {
            to: cluster.saga(1, "saga"),
            value: 5,
            trap_cancel: true,
            timeout: None,
        }],
        fallback: Some(cluster.saga(2, "saga")),
        ..Plan::default()
    };
    cluster.stage(0, "saga", "a", originator).await;
    cluster.start_tx("saga", 0, false, 0).await;
    let log = &cluster.log;
    log.wait_for("b.worker", "job_start").await;
    cluster.nodes[1].stop();
    // b's node is gone: a got that as a message and finished the transaction with c.
    assert_eq!(
        log.wait_for("a", "next_cancelled").await,
        Term::atom("noconnection")
    );
    assert_eq!(log.wait_for("a", "tx_done").await, Term::Int(1000));
    assert!(log.of("a", "tx_cancel").is_empty());
}
