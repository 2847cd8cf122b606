//! `ergo::testing::SupervisorPlan` and `SupervisorKit`: a `#[supervisor]`'s declaration read
//! without starting it; the tree started, children killed by id, restarts asserted, the
//! restart intensity run out and run in again in paused time.

use std::time::Duration;

use ergo::testing::{SupervisorKit, SupervisorPlan};
use ergo::{
    gen_server, supervisor, ChildKind, ChildStart, Context, Restart, Strategy, SupervisorError,
    Term,
};

/// A worker that only holds its start argument.
struct Cell(i64);

#[gen_server]
impl Cell {
    async fn init(_ctx: &mut Context, value: i64) -> Result<Self, Term> {
        Ok(Cell(value))
    }
    async fn handle_call(&mut self, _request: Term, _from: ergo::ReplyTo<i64>) -> ergo::Reply<i64> {
        ergo::Reply::Reply(self.0)
    }
}

struct Pair;

#[supervisor(strategy = one_for_all, intensity = 2, period = 10)]
impl Pair {
    children! {
        worker(id = left, start = Cell, args = 1),
        worker(id = right, start = Cell, args = 2, restart = transient),
    }
}

struct Shop;

#[supervisor(strategy = rest_for_one, intensity = 1, period = 5)]
impl Shop {
    children! {
        worker(id = db, start = Cell, args = 10),
        supervisor(id = pair, start = Pair),
        worker(id = clerk, start = Cell, args = 20),
        worker(id = audit, start_with = ChildStart::gen_server::<Cell>(30), restart = temporary),
    }
}

/// Written by hand (the macro refuses a duplicate id at compile time): two children `twin`.
struct Broken;

impl ergo::Supervisor for Broken {
    type Args = ();
    fn init(_args: ()) -> Result<ergo::SupervisorSpec, Term> {
        let twin = |n: i64| ergo::ChildSpec::worker("twin", ChildStart::gen_server::<Cell>(n));
        Ok(ergo::SupervisorSpec::new(Strategy::OneForOne)
            .child(twin(1))
            .child(twin(2)))
    }
}

#[test]
fn the_declaration_is_read_without_starting_anything() {
    let plan = SupervisorPlan::of::<Shop>(()).expect("a valid declaration");
    plan.should_have_flags(Strategy::RestForOne, 1, Duration::from_secs(5));
    plan.should_have_children(&["db", "pair", "clerk", "audit"]);
    plan.should_have_child("db", ChildKind::Worker, Restart::Permanent);
    plan.should_have_child("pair", ChildKind::Supervisor, Restart::Permanent);
    plan.should_have_child("audit", ChildKind::Worker, Restart::Temporary);
    let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        plan.should_have_children(&["pair", "db", "clerk", "audit"])
    }))
    .expect_err("the order differs");
    let text = wrong.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains(r#"the declaration has ["db", "pair", "clerk", "audit"]"#),
        "{text}"
    );
    let nested = SupervisorPlan::of::<Pair>(()).expect("valid");
    nested.should_have_flags(Strategy::OneForAll, 2, Duration::from_secs(10));
    nested.should_have_child("right", ChildKind::Worker, Restart::Transient);
    assert!(matches!(
        SupervisorPlan::of::<Broken>(()),
        Err(SupervisorError::InvalidSpec(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn rest_for_one_restarts_the_killed_child_and_those_after_it() {
    let mut kit = SupervisorKit::<Shop>::start(()).await.expect("start");
    kit.kill("pair").await;
    kit.should_not_restart("db");
    kit.should_restart("pair");
    kit.should_restart("clerk");
    // A temporary child is not restarted, even when rest_for_one stops it.
    kit.should_not_restart("audit");
    assert!(kit.child("audit").is_none());
    assert!(kit.stopped().is_none());
    let should_fail =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| kit.should_restart("db")))
            .expect_err("db kept its pid");
    let text = should_fail
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("expected child db to be restarted"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn too_many_restarts_stop_the_supervisor_unless_time_passes() {
    let mut kit = SupervisorKit::<Shop>::start(()).await.expect("start");
    kit.kill("clerk").await;
    kit.should_restart("clerk");
    // Past the 5 s window (in no real time), one more restart is allowed.
    kit.advance(Duration::from_secs(6)).await;
    kit.kill("clerk").await;
    kit.should_restart("clerk");
    // A second one inside the window is one too many (intensity 1).
    kit.kill("db").await;
    kit.should_not_restart("db");
    kit.should_stop(Term::atom("shutdown"));
}

#[tokio::test(start_paused = true)]
async fn a_transient_child_is_restarted_after_an_abnormal_exit_only() {
    let mut kit = SupervisorKit::<Pair>::start(()).await.expect("start");
    kit.exit_child("right", Term::atom("boom")).await;
    kit.should_restart("right");
    kit.should_restart("left"); // one_for_all
    kit.advance(Duration::from_secs(11)).await;
    kit.exit_child("right", Term::atom("shutdown")).await;
    kit.should_not_restart("right");
    kit.should_not_restart("left");
    assert!(kit.child("right").is_none());
    assert!(kit.child("left").is_some());
}

/// How many more times a [`Flaky`] crashes right after its start.
static FLAKY_CRASHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(ergo::Term, Debug, Clone, PartialEq)]
struct Crash;

/// A worker that, while [`FLAKY_CRASHES`] says so, tells itself to crash as soon as it starts.
struct Flaky;

#[gen_server]
impl Flaky {
    async fn init(ctx: &mut Context, _args: ()) -> Result<Self, Term> {
        use std::sync::atomic::Ordering;
        let more =
            FLAKY_CRASHES.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if more.is_ok() {
            let _ = ctx.send(ctx.pid().clone(), Crash);
        }
        Ok(Flaky)
    }
    async fn handle_info(&mut self, _ctx: &mut Context, _crash: Crash) -> ergo::Status {
        tracing::warn!(reason = "asked", "flaky crashing");
        ergo::Status::Stop(Term::atom("boom"))
    }
}

struct Shaky;

#[supervisor(strategy = one_for_one, intensity = 5, period = 10)]
impl Shaky {
    children! {
        worker(id = flaky, start = Flaky, args = ()),
        worker(id = steady, start = Cell, args = 1),
    }
}

#[tokio::test(start_paused = true)]
async fn the_childrens_effects_and_two_restarts_in_one_step_are_seen() {
    let mut kit = SupervisorKit::<Shaky>::start(()).await.expect("start");
    // The two children's start, seen as spawns on the kit's node.
    kit.should_spawn().times(2);
    kit.no_more_effects();
    // Killed, flaky comes back, crashes at once, and comes back again: one step, two restarts.
    FLAKY_CRASHES.store(1, std::sync::atomic::Ordering::SeqCst);
    kit.kill("flaky").await;
    kit.should_restart("flaky");
    kit.should_restart_times("flaky", 2);
    kit.should_restart_times("steady", 0);
    kit.should_not_restart("steady");
    kit.should_spawn().times(2);
    kit.should_send().message(Crash).once();
    kit.should_log(ergo::testing::Level::WARN)
        .containing("crashing")
        .field("reason", "asked")
        .once();
    kit.should_log(ergo::testing::Level::INFO)
        .containing("child restarted")
        .field("child", "flaky")
        .times(2);
    kit.no_more_effects();
    // A plain kill: one restart, no crash.
    kit.kill("flaky").await;
    kit.should_restart_times("flaky", 1);
    kit.should_spawn().once();
    kit.should_send().never();
    let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kit.should_restart_times("flaky", 2)
    }))
    .expect_err("restarted once");
    let text = wrong.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("expected child flaky to be restarted 2 time(s) in the last step, it was restarted 1 time(s)"),
        "{text}"
    );
}

/// A worker that spawns a helper process, links to it and monitors it.
struct Linker;

#[gen_server]
impl Linker {
    async fn init(ctx: &mut Context, _args: ()) -> Result<Self, Term> {
        let helper = ctx
            .node()
            .spawn(
                ergo::SpawnOptions::default(),
                |mut ctx: Context| async move {
                    let _ = ctx.recv_term().await;
                    Term::atom("normal")
                },
            )
            .map_err(|e| Term::binary(e.to_string().into_bytes()))?;
        ctx.link(&helper);
        ctx.monitor(helper);
        Ok(Linker)
    }
}

struct Linked;

#[supervisor(strategy = one_for_one, intensity = 3, period = 10)]
impl Linked {
    children! {
        worker(id = linker, start = Linker, args = ()),
    }
}

#[tokio::test(start_paused = true)]
async fn a_childs_links_monitors_and_spawns_are_recorded_and_done() {
    let mut kit = SupervisorKit::<Linked>::start(()).await.expect("start");
    let linker = kit.child("linker").cloned().expect("linker runs");
    kit.should_spawn().times(2); // the linker and its helper
    kit.should_link().from(&linker).once();
    kit.should_monitor().from(&linker).once();
    kit.no_more_effects();
    let before = kit.node().process_count();
    kit.kill("linker").await;
    kit.should_restart_times("linker", 1);
    // The link was made, not only recorded: the old helper died with the old linker.
    assert_eq!(kit.node().process_count(), before);
    let again = kit.child("linker").cloned().expect("linker runs again");
    kit.should_link().from(&linker).never(); // claimed above
    kit.should_link().from(&again).once();
    kit.should_monitor().from(&again).once();
    kit.should_spawn().times(2);
    kit.no_more_effects();
    let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kit.should_link().from(&again).once()
    }))
    .expect_err("the link was claimed");
    let text = wrong.downcast_ref::<String>().cloned().unwrap_or_default();
    // The listing names who did what.
    assert!(
        text.contains(&format!("[x] {}: link to", Term::Pid(again.clone()))),
        "{text}"
    );
}
