//! A money transfer across three nodes with gen_saga and two-phase commit. Three nodes run in
//! this process on loopback (no EPMD): `debit` holds alice's account, `credit` bob's, `audit`
//! the ledger. The `debit` saga starts the transaction: its worker puts a hold on alice's
//! money, and it passes the transaction to the `credit` and `audit` sagas on the other nodes,
//! whose workers prepare their parts. Nothing is final until every part succeeded: then the
//! commit reaches every saga and worker. With `--fail-credit` bob's account refuses the
//! credit, and the cancel reaches every other participant, which undoes its part.
//!
//! Run with `cargo run --example saga` or `cargo run --example saga -- --fail-credit`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ergo::saga::{Job, JobOptions, NextOptions, SagaContext, TxId, TxOptions};
use ergo::{
    gen_saga, saga_worker, Atom, Context, Dest, DistOptions, Node, NodeOptions, Reply, ReplyTo,
    SpawnOptions, Status, Term,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// One account's balance, shared by its saga and its workers.
type Account = Arc<Mutex<i64>>;

/// What the sagas and workers report to `main` when their part is final (committed or undone).
type Report = UnboundedSender<String>;

fn balance(account: &Account) -> i64 {
    *account.lock().unwrap_or_else(|p| p.into_inner())
}

fn change(account: &Account, by: i64) {
    *account.lock().unwrap_or_else(|p| p.into_inner()) += by;
}

/// The steps of one side of the transfer: prepare (hold), then commit or undo.
struct Step {
    side: &'static str,
    account: Account,
    /// 1 for credit, -1 for debit, 0 for the ledger.
    sign: i64,
    fail: bool,
    amount: i64,
    report: Report,
}

#[saga_worker]
impl Step {
    async fn handle_job_start(&mut self, job: &mut Job, amount: i64) -> Status {
        self.amount = amount;
        if self.fail {
            println!("[{}] refuses {amount}: account frozen", self.side);
            let _ = self.report.send(format!("{} failed", self.side));
            return Status::Stop(Term::tuple(vec![
                Term::atom("error"),
                Term::atom("account_frozen"),
            ]));
        }
        match self.sign {
            0 => println!("[{}] prepares the ledger entry for {amount}", self.side),
            s if s < 0 => println!(
                "[{}] holds {amount} (balance {})",
                self.side,
                balance(&self.account)
            ),
            _ => println!("[{}] prepares to receive {amount}", self.side),
        }
        if job.send_result(amount).is_err() {
            return Status::Stop(Term::atom("result_twice"));
        }
        Status::Continue
    }

    async fn handle_job_commit(&mut self, final_value: Term) {
        change(&self.account, self.sign * self.amount);
        if self.sign == 0 {
            println!(
                "[{}] commits {final_value}: ledger entry written",
                self.side
            );
        } else {
            println!(
                "[{}] commits {final_value}: balance {}",
                self.side,
                balance(&self.account)
            );
        }
        let _ = self.report.send(format!("{} committed", self.side));
    }

    async fn handle_job_cancel(&mut self, reason: Term) {
        if self.sign == 0 {
            println!(
                "[{}] rolls back ({reason}): ledger entry dropped",
                self.side
            );
        } else {
            println!(
                "[{}] rolls back ({reason}): balance stays {}",
                self.side,
                balance(&self.account)
            );
        }
        let _ = self.report.send(format!("{} rolled back", self.side));
    }
}

/// One side's saga: runs its step, passes the transaction on to `nexts`, and reports once
/// every part is prepared.
struct Side {
    side: &'static str,
    account: Account,
    sign: i64,
    fail: bool,
    nexts: Vec<Dest>,
    report: Report,
    /// The amount of each transaction in progress here.
    amounts: HashMap<TxId, i64>,
}

type SideArgs = (&'static str, Account, i64, bool, Vec<Dest>, Report);

#[gen_saga]
impl Side {
    async fn init(
        _ctx: &mut Context,
        (side, account, sign, fail, nexts, report): SideArgs,
    ) -> Result<Self, Term> {
        Ok(Side {
            side,
            account,
            sign,
            fail,
            nexts,
            report,
            amounts: HashMap::new(),
        })
    }

    async fn handle_tx_new(&mut self, saga: &mut SagaContext<'_>, tx: TxId, amount: i64) {
        self.amounts.insert(tx.clone(), amount);
        let step = Step {
            side: self.side,
            account: self.account.clone(),
            sign: self.sign,
            fail: self.fail,
            amount,
            report: self.report.clone(),
        };
        if let Err(error) = saga.start_job(&tx, step, JobOptions::default(), amount) {
            println!("[{}] cannot start its step: {error}", self.side);
            let _ = saga.cancel(&tx, Term::atom("no_worker"));
            return;
        }
        for next in self.nexts.clone() {
            println!("[{}] passes the transfer to {next}", self.side);
            if let Err(error) = saga.next(&tx, next, amount, NextOptions::default()) {
                println!("[{}] cannot pass it on: {error}", self.side);
                let _ = saga.cancel(&tx, Term::atom("unreachable"));
                return;
            }
        }
    }

    async fn handle_tx_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _next: ergo::saga::NextId,
        _result: Term,
    ) {
        self.prepared(saga, &tx);
    }

    async fn handle_job_result(
        &mut self,
        saga: &mut SagaContext<'_>,
        tx: TxId,
        _job: ergo::saga::JobId,
        _result: Term,
    ) {
        self.prepared(saga, &tx);
    }

    async fn handle_tx_done(&mut self, _tx: TxId, amount: i64) -> Term {
        println!("[{}] every part is prepared: commit {amount}", self.side);
        Term::tuple(vec![Term::atom("transferred"), Term::Int(amount)])
    }

    async fn handle_tx_commit(&mut self, tx: TxId, _value: Term) {
        self.amounts.remove(&tx);
        println!("[{}] transaction committed", self.side);
        let _ = self.report.send(format!("{} saga committed", self.side));
    }

    async fn handle_tx_cancel(&mut self, tx: TxId, reason: Term) {
        self.amounts.remove(&tx);
        println!("[{}] transaction cancelled: {reason}", self.side);
        let _ = self.report.send(format!("{} saga cancelled", self.side));
    }

    async fn handle_call(
        &mut self,
        saga: &mut SagaContext<'_>,
        amount: i64,
        _from: ReplyTo,
    ) -> Reply<Term> {
        let options = TxOptions {
            two_phase_commit: true,
            lifespan: Duration::from_secs(10),
            ..TxOptions::default()
        };
        match saga.start_transaction(options, amount) {
            Ok(_) => Reply::Reply(Term::atom("started")),
            Err(error) => Reply::Reply(Term::binary(error.to_string())),
        }
    }
}

impl Side {
    /// Sends this side's result (the amount it prepared) once its step and its next sagas are
    /// all prepared; without two-phase commit the transaction would end here.
    fn prepared(&mut self, saga: &mut SagaContext<'_>, tx: &TxId) {
        if !saga.pending(tx) {
            let amount = self.amounts.get(tx).copied().unwrap_or(0);
            let _ = saga.send_result(tx, amount);
        }
    }
}

async fn start(name: &str) -> Result<Node, Box<dyn std::error::Error>> {
    let options = NodeOptions {
        cookie: "saga_example".into(),
        ..NodeOptions::default()
    };
    let dist = DistOptions {
        listen_address: std::net::Ipv4Addr::LOCALHOST.into(),
        register_with_epmd: false,
        ..DistOptions::default()
    };
    let name = format!("{name}_{}@localhost", std::process::id());
    Ok(Node::start_distributed(&name, options, dist).await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ergo::logging::init()?;
    let fail_credit = std::env::args().any(|a| a == "--fail-credit");
    let nodes = [
        start("debit").await?,
        start("credit").await?,
        start("audit").await?,
    ];
    for a in &nodes {
        for b in &nodes {
            if a.name() != b.name() {
                let port = b.dist_port().ok_or("not distributed")?;
                a.add_static_route(b.name().as_str(), ([127, 0, 0, 1], port).into())?;
            }
        }
    }
    let at = |node: &Node| Dest::Remote {
        name: Atom::new("bank"),
        node: node.name().clone(),
    };
    let alice: Account = Arc::new(Mutex::new(100));
    let bob: Account = Arc::new(Mutex::new(0));
    let ledger: Account = Arc::new(Mutex::new(0));
    let (report, mut reports) = unbounded_channel();
    nodes[1]
        .start_saga::<Side>(
            (
                "credit",
                bob.clone(),
                1,
                fail_credit,
                vec![],
                report.clone(),
            ),
            SpawnOptions::named("bank"),
        )
        .await?;
    nodes[2]
        .start_saga::<Side>(
            ("audit", ledger, 0, false, vec![], report.clone()),
            SpawnOptions::named("bank"),
        )
        .await?;
    nodes[0]
        .start_saga::<Side>(
            (
                "debit",
                alice.clone(),
                -1,
                false,
                vec![at(&nodes[1]), at(&nodes[2])],
                report,
            ),
            SpawnOptions::named("bank"),
        )
        .await?;
    println!(
        "transfer 30 from alice (100) to bob (0){}",
        if fail_credit {
            ", bob's account frozen"
        } else {
            ""
        }
    );
    let started: Term = nodes[0].call(at(&nodes[0]), 30_i64).await?;
    println!("[debit] {started}");
    // Each side's saga and worker report once their part is final.
    for _ in 0..6 {
        match tokio::time::timeout(Duration::from_secs(10), reports.recv()).await {
            Ok(Some(_)) => {}
            _ => return Err("a side did not finish in 10 s".into()),
        }
    }
    println!("alice {}, bob {}", balance(&alice), balance(&bob));
    for node in &nodes {
        node.stop();
    }
    Ok(())
}
