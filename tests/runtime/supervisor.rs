//! Supervisor runtime semantics against real crashes: each strategy (every child, panics and
//! abnormal exits), each restart type, the intensity window, shutdown order (also through a
//! tree) and timeouts (brutal_kill, timeout, infinity), significant children and auto_shutdown,
//! the runtime API, nested trees with gen_servers, and a gen_server child's reaction to its
//! parent's exit signal (OTP's `{'EXIT', Parent, Reason}`: terminate, then exit). Workers report
//! their starts and stops on a channel; every wait has a deadline (no fixed sleeps).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ergo::runtime::gen::supervisor::{ChildCounts, ChildPid};
use ergo::runtime::process::Envelope as Env;
use ergo::{
    AutoShutdown, ChildSpec, ChildStart, Context, GenServer, Init, Node, NodeOptions, Pid, Restart,
    Shutdown, SpawnOptions, Strategy, SupervisorError, SupervisorSpec, Term,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::common;
use crate::common::wait::next;

const DEADLINE: Duration = Duration::from_secs(5);

/// What a test worker reports.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    Started(&'static str, Pid, Vec<Term>),
    Stopped(&'static str, Term),
}

type Events = UnboundedReceiver<Event>;

async fn node() -> Node {
    common::start_node("sup", NodeOptions::default()).await
}

/// How a test worker reacts to the supervisor's `shutdown`.
#[derive(Clone, Copy, PartialEq)]
enum OnShutdown {
    /// Does not trap exits: dies at once.
    Die,
    /// Traps exits, reports `Stopped`, exits with the reason.
    Report,
    /// Traps exits and ignores `shutdown` (must be killed).
    Ignore,
}

/// A worker: reports `Started`, then obeys messages `panic`, `normal`, `shutdown`,
/// `{exit, Reason}`.
fn worker(id: &'static str, tx: &UnboundedSender<Event>, on_shutdown: OnShutdown) -> ChildStart {
    let tx = tx.clone();
    let options = SpawnOptions {
        trap_exit: on_shutdown != OnShutdown::Die,
        ..SpawnOptions::default()
    };
    ChildStart::process_with(options, move |mut ctx: Context, extra| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(Event::Started(id, ctx.pid().clone(), extra));
            loop {
                match ctx.recv().await {
                    Err(reason) => return reason,
                    Ok(Env::Exit(exit)) => {
                        let reason = exit.reason;
                        if on_shutdown == OnShutdown::Report {
                            let _ = tx.send(Event::Stopped(id, reason.clone()));
                            return reason;
                        }
                    }
                    Ok(other) => {
                        let msg = other.into_term();
                        if msg.is_atom("panic") {
                            panic!("worker {id} told to panic");
                        }
                        if msg.is_atom("normal") || msg.is_atom("shutdown") {
                            return msg;
                        }
                        if let Term::Tuple(elems) = &msg {
                            if let [tag, reason] = elems.as_slice() {
                                if tag.is_atom("exit") {
                                    return reason.clone();
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

/// The next `n` events.
async fn events(rx: &mut Events, n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(next(rx).await);
    }
    out
}

fn started(events: &[Event]) -> Vec<(&'static str, Pid)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Started(id, pid, _) => Some((*id, pid.clone())),
            _ => None,
        })
        .collect()
}

/// Asserts nothing more arrives: a supervisor round trip proves it has handled everything sent
/// before, and then the channel must be empty.
async fn assert_quiet(node: &Node, sup: &Pid, rx: &mut Events) {
    node.supervisor_ref(sup.clone())
        .which_children()
        .await
        .expect("supervisor answers");
    assert!(rx.try_recv().is_err(), "unexpected extra event");
}

/// A oneshot with the exit reason of `pid`, watched by a monitor from a helper process.
async fn watch(node: &Node, pid: &Pid) -> tokio::sync::oneshot::Receiver<Term> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let target = pid.clone();
    node.spawn(SpawnOptions::default(), move |mut ctx| async move {
        let reference = ctx.monitor(target);
        let _ = ready_tx.send(());
        loop {
            match ctx.recv().await {
                Ok(Env::Down(down)) if down.reference == reference => {
                    let _ = tx.send(down.reason);
                    return Term::atom("normal");
                }
                Ok(_) => {}
                Err(reason) => return reason,
            }
        }
    })
    .expect("watcher spawns");
    // Return only once the monitor is in place, so no exit can slip by as `noproc`.
    ready_rx.await.expect("watcher ready");
    rx
}

/// Like [`watch`], but reports the exit as `Stopped("supervisor", reason)` on the workers' own
/// channel, so the test sees it ordered after the children's stops.
async fn watch_events(node: &Node, pid: &Pid, tx: &UnboundedSender<Event>) {
    let rx = watch(node, pid).await;
    let tx = tx.clone();
    tokio::spawn(async move {
        if let Ok(reason) = rx.await {
            let _ = tx.send(Event::Stopped("supervisor", reason));
        }
    });
}

async fn exit_reason(rx: tokio::sync::oneshot::Receiver<Term>) -> Term {
    tokio::time::timeout(DEADLINE, rx)
        .await
        .expect("exit within deadline")
        .expect("watcher reports")
}

fn pid_of(children: &[ergo::runtime::gen::supervisor::ChildInfo], id: &str) -> Option<Pid> {
    children
        .iter()
        .find(|c| c.id.as_ref().is_some_and(|a| a.as_str() == id))
        .and_then(|c| c.pid.pid().cloned())
}

/// Waits until child `id` no longer runs as `old` (restarted or gone); returns its new pid.
async fn wait_replaced(node: &Node, sup: &Pid, id: &str, old: &Pid) -> Option<Pid> {
    let start = Instant::now();
    loop {
        let children = node
            .supervisor_ref(sup.clone())
            .which_children()
            .await
            .expect("supervisor answers");
        let now = pid_of(&children, id);
        if now.as_ref() != Some(old) {
            return now;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "child {id} still runs as the old pid"
        );
        tokio::task::yield_now().await;
    }
}

fn three(
    strategy: Strategy,
    tx: &UnboundedSender<Event>,
    on_shutdown: OnShutdown,
) -> SupervisorSpec {
    SupervisorSpec::new(strategy)
        .intensity(10)
        .child(ChildSpec::worker("a", worker("a", tx, on_shutdown)))
        .child(ChildSpec::worker("b", worker("b", tx, on_shutdown)))
        .child(ChildSpec::worker("c", worker("c", tx, on_shutdown)))
}

async fn start_three(
    node: &Node,
    strategy: Strategy,
    on_shutdown: OnShutdown,
) -> (
    Pid,
    Events,
    Vec<(&'static str, Pid)>,
    UnboundedSender<Event>,
) {
    let (tx, mut rx) = unbounded_channel();
    let sup = node
        .start_supervisor_spec(three(strategy, &tx, on_shutdown), SpawnOptions::default())
        .await
        .expect("sup starts");
    let first = started(&events(&mut rx, 3).await);
    assert_eq!(
        first.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        ["a", "b", "c"],
        "children start in order"
    );
    (sup, rx, first, tx)
}

#[tokio::test]
async fn one_for_one_restarts_only_the_crashed_child() {
    let node = node().await;
    let (sup, mut rx, first, _tx) =
        start_three(&node, Strategy::OneForOne, OnShutdown::Report).await;
    node.send(first[1].1.clone(), Term::atom("panic"))
        .expect("send");
    let ev = events(&mut rx, 1).await;
    let restarted = started(&ev);
    assert_eq!(restarted.len(), 1);
    assert_eq!(restarted[0].0, "b");
    assert_ne!(restarted[0].1, first[1].1, "a new pid");
    assert!(!node.is_alive(&first[1].1));
    assert_quiet(&node, &sup, &mut rx).await;
    let children = node
        .supervisor_ref(sup.clone())
        .which_children()
        .await
        .expect("which");
    assert_eq!(pid_of(&children, "a"), Some(first[0].1.clone()));
    assert_eq!(pid_of(&children, "b"), Some(restarted[0].1.clone()));
    assert_eq!(pid_of(&children, "c"), Some(first[2].1.clone()));
}

#[tokio::test]
async fn one_for_all_stops_others_in_reverse_then_restarts_all_in_order() {
    let node = node().await;
    let (sup, mut rx, first, _tx) =
        start_three(&node, Strategy::OneForAll, OnShutdown::Report).await;
    // An abnormal exit (not a panic): b returns `crash`.
    node.send(first[1].1.clone(), exit_with(Term::atom("crash")))
        .expect("send");
    let ev = events(&mut rx, 5).await;
    assert_eq!(ev[0], Event::Stopped("c", Term::atom("shutdown")));
    assert_eq!(ev[1], Event::Stopped("a", Term::atom("shutdown")));
    let again = started(&ev[2..]);
    assert_eq!(
        again.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    for ((_, old), (_, new)) in first.iter().zip(&again) {
        assert_ne!(old, new, "every child has a new pid");
        assert!(!node.is_alive(old));
    }
    assert_quiet(&node, &sup, &mut rx).await;
}

#[tokio::test]
async fn rest_for_one_restarts_the_crashed_child_and_those_after_it() {
    let node = node().await;
    let (sup, mut rx, first, _tx) =
        start_three(&node, Strategy::RestForOne, OnShutdown::Report).await;
    node.send(first[1].1.clone(), Term::atom("panic"))
        .expect("send");
    let ev = events(&mut rx, 3).await;
    assert_eq!(ev[0], Event::Stopped("c", Term::atom("shutdown")));
    let again = started(&ev[1..]);
    assert_eq!(
        again.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        ["b", "c"]
    );
    assert_quiet(&node, &sup, &mut rx).await;
    let children = node
        .supervisor_ref(sup.clone())
        .which_children()
        .await
        .expect("which");
    assert_eq!(
        pid_of(&children, "a"),
        Some(first[0].1.clone()),
        "a is untouched"
    );
    assert_eq!(pid_of(&children, "b"), Some(again[0].1.clone()));
    assert_eq!(pid_of(&children, "c"), Some(again[1].1.clone()));
}

#[tokio::test]
async fn simple_one_for_one_starts_dynamic_children_with_extra_args_and_restarts_them() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::SimpleOneForOne)
        .intensity(5)
        .child(ChildSpec::worker(
            "conn",
            worker("conn", &tx, OnShutdown::Report),
        ));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let sref = node.supervisor_ref(sup.clone());
    assert!(rx.try_recv().is_err(), "no child before start_dynamic");
    let mut pids = Vec::new();
    for n in 1..=3 {
        let pid = sref
            .start_dynamic(vec![Term::Int(n)])
            .await
            .expect("start")
            .expect("a pid");
        match next(&mut rx).await {
            Event::Started("conn", p, extra) => {
                assert_eq!(p, pid);
                assert_eq!(extra, vec![Term::Int(n)]);
            }
            other => panic!("unexpected {other:?}"),
        }
        pids.push(pid);
    }
    assert_eq!(
        sref.count_children().await.expect("count"),
        ChildCounts {
            specs: 1,
            active: 3,
            supervisors: 0,
            workers: 3
        }
    );
    node.send(pids[1].clone(), Term::atom("panic"))
        .expect("send");
    match next(&mut rx).await {
        Event::Started("conn", p, extra) => {
            assert_ne!(p, pids[1]);
            assert_eq!(
                extra,
                vec![Term::Int(2)],
                "restarted with the same extra args"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    sref.terminate_dynamic(&pids[0]).await.expect("terminate");
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("conn", Term::atom("shutdown"))
    );
    assert_eq!(sref.count_children().await.expect("count").active, 2);
    let result = sref.terminate_dynamic(&pids[0]).await;
    assert!(
        matches!(result, Err(SupervisorError::NotFound)),
        "{result:?}"
    );
    let result = sref.terminate_child("conn").await;
    assert!(
        matches!(result, Err(SupervisorError::SimpleOneForOne)),
        "{result:?}"
    );
    // Stopping the supervisor stops the dynamic children together.
    sref.stop(Term::atom("normal")).await.expect("stop");
    let ev = events(&mut rx, 2).await;
    assert!(ev
        .iter()
        .all(|e| matches!(e, Event::Stopped("conn", r) if r.is_atom("shutdown"))));
}

/// Starts a one-child supervisor with `restart`, makes the child exit by `how`, and reports
/// whether it was restarted and whether its spec is still listed.
async fn restart_case(restart: Restart, how: Term) -> (bool, bool) {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(5)
        .child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Die)).restart(restart));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let old = started(&events(&mut rx, 1).await)[0].1.clone();
    node.send(old.clone(), how).expect("send");
    let new = wait_replaced(&node, &sup, "w", &old).await;
    let children = node
        .supervisor_ref(sup.clone())
        .which_children()
        .await
        .expect("which");
    let listed = !children.is_empty();
    if new.is_some() {
        assert!(
            matches!(next(&mut rx).await, Event::Started("w", ref p, _) if Some(p) == new.as_ref())
        );
    }
    assert_quiet(&node, &sup, &mut rx).await;
    (new.is_some(), listed)
}

fn exit_with(reason: Term) -> Term {
    Term::tuple(vec![Term::atom("exit"), reason])
}

#[tokio::test]
async fn permanent_children_restart_after_every_exit() {
    assert_eq!(
        restart_case(Restart::Permanent, Term::atom("normal")).await,
        (true, true)
    );
    assert_eq!(
        restart_case(Restart::Permanent, Term::atom("shutdown")).await,
        (true, true)
    );
    let shutdown_tuple = Term::tuple(vec![Term::atom("shutdown"), Term::atom("done")]);
    assert_eq!(
        restart_case(Restart::Permanent, exit_with(shutdown_tuple)).await,
        (true, true)
    );
    assert_eq!(
        restart_case(Restart::Permanent, Term::atom("panic")).await,
        (true, true)
    );
    assert_eq!(
        restart_case(Restart::Permanent, exit_with(Term::atom("boom"))).await,
        (true, true)
    );
}

#[tokio::test]
async fn transient_children_restart_only_after_abnormal_exits() {
    assert_eq!(
        restart_case(Restart::Transient, Term::atom("normal")).await,
        (false, true)
    );
    assert_eq!(
        restart_case(Restart::Transient, Term::atom("shutdown")).await,
        (false, true)
    );
    let shutdown_tuple = Term::tuple(vec![Term::atom("shutdown"), Term::atom("done")]);
    assert_eq!(
        restart_case(Restart::Transient, exit_with(shutdown_tuple)).await,
        (false, true)
    );
    assert_eq!(
        restart_case(Restart::Transient, Term::atom("panic")).await,
        (true, true)
    );
    assert_eq!(
        restart_case(Restart::Transient, exit_with(Term::atom("boom"))).await,
        (true, true)
    );
}

#[tokio::test]
async fn temporary_children_never_restart_and_their_spec_goes() {
    assert_eq!(
        restart_case(Restart::Temporary, Term::atom("normal")).await,
        (false, false)
    );
    assert_eq!(
        restart_case(Restart::Temporary, Term::atom("shutdown")).await,
        (false, false)
    );
    let shutdown_tuple = Term::tuple(vec![Term::atom("shutdown"), Term::atom("done")]);
    assert_eq!(
        restart_case(Restart::Temporary, exit_with(shutdown_tuple)).await,
        (false, false)
    );
    assert_eq!(
        restart_case(Restart::Temporary, Term::atom("panic")).await,
        (false, false)
    );
    assert_eq!(
        restart_case(Restart::Temporary, exit_with(Term::atom("boom"))).await,
        (false, false)
    );
}

#[tokio::test]
async fn intensity_exceeded_within_the_period_shuts_the_supervisor_down_after_its_children() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(2)
        .period(Duration::from_secs(30))
        .child(ChildSpec::worker(
            "keeper",
            worker("keeper", &tx, OnShutdown::Report),
        ))
        .child(ChildSpec::worker(
            "crasher",
            worker("crasher", &tx, OnShutdown::Die),
        ));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    watch_events(&node, &sup, &tx).await;
    let mut crasher = started(&events(&mut rx, 2).await)[1].1.clone();
    for _ in 0..2 {
        node.send(crasher.clone(), Term::atom("panic"))
            .expect("send");
        crasher = started(&events(&mut rx, 1).await)[0].1.clone();
    }
    // The third crash within the period exceeds intensity 2.
    node.send(crasher, Term::atom("panic")).expect("send");
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("keeper", Term::atom("shutdown"))
    );
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("supervisor", Term::atom("shutdown"))
    );
}

#[tokio::test]
async fn restarts_spread_beyond_the_period_are_tolerated() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let period = Duration::from_millis(250);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(1)
        .period(period)
        .child(ChildSpec::worker(
            "crasher",
            worker("crasher", &tx, OnShutdown::Die),
        ));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let mut crasher = started(&events(&mut rx, 1).await)[0].1.clone();
    for _ in 0..3 {
        node.send(crasher.clone(), Term::atom("panic"))
            .expect("send");
        crasher = started(&events(&mut rx, 1).await)[0].1.clone();
        // The supervisor counted that restart before starting the child, so it lies before
        // `restarted_by`; once a full period has passed since, it has left the window.
        let restarted_by = Instant::now();
        tokio::time::sleep_until((restarted_by + period + Duration::from_millis(10)).into()).await;
    }
    assert!(
        node.is_alive(&sup),
        "one restart per period never exceeds intensity 1"
    );
    // Two quick crashes do exceed it.
    node.send(crasher, Term::atom("panic")).expect("send");
    watch_events(&node, &sup, &tx).await;
    crasher = started(&events(&mut rx, 1).await)[0].1.clone();
    node.send(crasher, Term::atom("panic")).expect("send");
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("supervisor", Term::atom("shutdown"))
    );
}

#[tokio::test]
async fn stopping_a_supervisor_stops_children_in_reverse_start_order() {
    let node = node().await;
    let (sup, mut rx, _, tx) = start_three(&node, Strategy::OneForOne, OnShutdown::Report).await;
    watch_events(&node, &sup, &tx).await;
    node.supervisor_ref(sup.clone())
        .stop(Term::atom("normal"))
        .await
        .expect("stop");
    let ev = events(&mut rx, 3).await;
    let order: Vec<_> = ev
        .iter()
        .map(|e| match e {
            Event::Stopped(id, _) => *id,
            _ => "?",
        })
        .collect();
    assert_eq!(order, ["c", "b", "a"]);
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("supervisor", Term::atom("normal"))
    );
}

#[tokio::test]
async fn parent_exit_stops_the_supervisor_with_the_parents_reason() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = three(Strategy::OneForOne, &tx, OnShutdown::Report);
    let (sup_tx, sup_rx) = tokio::sync::oneshot::channel();
    let parent = node
        .spawn(SpawnOptions::default(), move |mut ctx| async move {
            let me = ctx.pid().clone();
            let sup = ctx
                .node()
                .start_supervisor_spec(
                    spec,
                    SpawnOptions {
                        link: Some(me),
                        ..SpawnOptions::default()
                    },
                )
                .await;
            let _ = sup_tx.send(sup);
            match ctx.recv().await {
                Ok(env) => env.into_term(),
                Err(reason) => reason,
            }
        })
        .expect("parent spawns");
    let sup = sup_rx.await.expect("parent reports").expect("sup starts");
    events(&mut rx, 3).await;
    watch_events(&node, &sup, &tx).await;
    node.send(parent, Term::atom("goodbye")).expect("send");
    let ev = events(&mut rx, 3).await;
    assert_eq!(ev[0], Event::Stopped("c", Term::atom("shutdown")));
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("supervisor", Term::atom("goodbye"))
    );
}

#[tokio::test]
async fn shutdown_timeout_kills_a_child_that_ignores_shutdown() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let limit = Duration::from_millis(200);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker(
            "polite",
            worker("polite", &tx, OnShutdown::Report),
        ))
        .child(
            ChildSpec::worker("stubborn", worker("stubborn", &tx, OnShutdown::Ignore))
                .shutdown(Shutdown::Timeout(limit)),
        );
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let first = started(&events(&mut rx, 2).await);
    let stubborn_down = watch(&node, &first[1].1).await;
    let t0 = Instant::now();
    node.supervisor_ref(sup.clone())
        .stop(Term::atom("shutdown"))
        .await
        .expect("stop");
    assert!(
        t0.elapsed() >= limit,
        "waited the shutdown timeout before killing"
    );
    assert_eq!(exit_reason(stubborn_down).await, Term::atom("killed"));
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("polite", Term::atom("shutdown"))
    );
}

#[tokio::test]
async fn brutal_kill_does_not_let_the_child_see_shutdown() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(
        ChildSpec::worker("w", worker("w", &tx, OnShutdown::Report)).shutdown(Shutdown::BrutalKill),
    );
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let first = started(&events(&mut rx, 1).await);
    let down = watch(&node, &first[0].1).await;
    let sref = node.supervisor_ref(sup.clone());
    sref.terminate_child("w").await.expect("terminate");
    assert_eq!(exit_reason(down).await, Term::atom("killed"));
    assert_quiet(&node, &sup, &mut rx).await;
    assert_eq!(
        sref.which_children().await.expect("which")[0].pid,
        ChildPid::Undefined
    );
}

#[tokio::test]
async fn any_significant_child_exit_shuts_the_supervisor_down() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(ChildSpec::worker(
            "other",
            worker("other", &tx, OnShutdown::Report),
        ))
        .child(
            ChildSpec::worker("key", worker("key", &tx, OnShutdown::Die))
                .restart(Restart::Transient)
                .significant(true),
        );
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    watch_events(&node, &sup, &tx).await;
    let first = started(&events(&mut rx, 2).await);
    node.send(first[1].1.clone(), Term::atom("normal"))
        .expect("send");
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("other", Term::atom("shutdown"))
    );
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("supervisor", Term::atom("shutdown"))
    );
}

#[tokio::test]
async fn all_significant_waits_for_every_significant_child() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .auto_shutdown(AutoShutdown::AllSignificant)
        .child(
            ChildSpec::worker("s1", worker("s1", &tx, OnShutdown::Die))
                .restart(Restart::Temporary)
                .significant(true),
        )
        .child(
            ChildSpec::worker("s2", worker("s2", &tx, OnShutdown::Die))
                .restart(Restart::Transient)
                .significant(true),
        );
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    watch_events(&node, &sup, &tx).await;
    let first = started(&events(&mut rx, 2).await);
    node.send(first[0].1.clone(), Term::atom("normal"))
        .expect("send");
    wait_replaced(&node, &sup, "s1", &first[0].1).await;
    assert!(
        node.is_alive(&sup),
        "one significant child is still running"
    );
    // An abnormal exit of a transient child is a restart, not an auto_shutdown.
    node.send(first[1].1.clone(), Term::atom("panic"))
        .expect("send");
    let s2 = started(&events(&mut rx, 1).await)[0].1.clone();
    assert!(node.is_alive(&sup));
    node.send(s2, Term::atom("shutdown")).expect("send");
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("supervisor", Term::atom("shutdown"))
    );
}

#[test]
fn a_permanent_significant_child_is_rejected() {
    let (tx, _rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Die)).significant(true));
    assert!(matches!(spec.check(), Err(SupervisorError::InvalidSpec(_))));
    let dup = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Die)))
        .child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Die)));
    assert!(matches!(dup.check(), Err(SupervisorError::InvalidSpec(m)) if m.contains("duplicate")));
}

#[tokio::test]
async fn a_failing_child_start_undoes_the_started_ones_and_fails_the_supervisor() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker("a", worker("a", &tx, OnShutdown::Report)))
        .child(ChildSpec::worker(
            "b",
            ChildStart::new(|_cx| async { Err(Term::atom("no_db")) }),
        ))
        .child(ChildSpec::worker("c", worker("c", &tx, OnShutdown::Report)));
    let err = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect_err("start fails");
    let expected = Term::tuple(vec![
        Term::atom("shutdown"),
        Term::tuple(vec![
            Term::atom("failed_to_start_child"),
            Term::atom("b"),
            Term::atom("no_db"),
        ]),
    ]);
    assert!(
        matches!(&err, SupervisorError::InitFailed(reason) if *reason == expected),
        "{err:?}"
    );
    let ev = events(&mut rx, 2).await;
    assert!(matches!(ev[0], Event::Started("a", _, _)));
    assert_eq!(ev[1], Event::Stopped("a", Term::atom("shutdown")));
    assert!(rx.try_recv().is_err(), "c never started");
}

#[tokio::test]
async fn runtime_api_start_terminate_restart_delete_count() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let sup = node
        .start_supervisor_spec(
            SupervisorSpec::new(Strategy::OneForOne),
            SpawnOptions::default(),
        )
        .await
        .expect("sup starts");
    let sref = node.supervisor_ref(sup.clone());
    assert_eq!(
        sref.count_children().await.expect("count"),
        ChildCounts {
            specs: 0,
            active: 0,
            supervisors: 0,
            workers: 0
        }
    );
    let pid = sref
        .start_child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Report)))
        .await
        .expect("start")
        .expect("pid");
    assert!(matches!(next(&mut rx).await, Event::Started("w", ref p, _) if *p == pid));
    let result = sref
        .start_child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Report)))
        .await;
    assert!(
        matches!(&result, Err(SupervisorError::AlreadyStarted(p)) if *p == pid),
        "{result:?}"
    );
    sref.terminate_child("w").await.expect("terminate");
    assert_eq!(
        next(&mut rx).await,
        Event::Stopped("w", Term::atom("shutdown"))
    );
    assert_eq!(
        sref.count_children().await.expect("count"),
        ChildCounts {
            specs: 1,
            active: 0,
            supervisors: 0,
            workers: 1
        }
    );
    let result = sref
        .start_child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Report)))
        .await;
    assert!(
        matches!(result, Err(SupervisorError::AlreadyPresent)),
        "{result:?}"
    );
    let again = sref
        .restart_child("w")
        .await
        .expect("restart")
        .expect("pid");
    assert_ne!(again, pid);
    assert!(matches!(next(&mut rx).await, Event::Started("w", ref p, _) if *p == again));
    sref.terminate_child("w").await.expect("terminate");
    next(&mut rx).await;
    sref.delete_child("w").await.expect("delete");
    let result = sref.terminate_child("w").await;
    assert!(
        matches!(result, Err(SupervisorError::NotFound)),
        "{result:?}"
    );
    assert!(sref.which_children().await.expect("which").is_empty());
    let result = sref.start_dynamic(vec![]).await;
    assert!(
        matches!(result, Err(SupervisorError::NotSimpleOneForOne)),
        "{result:?}"
    );
    // A failing start is reported and nothing is added.
    let failing = ChildSpec::worker(
        "f",
        ChildStart::new(|_cx| async { Err(Term::atom("nope")) }),
    );
    let result = sref.start_child(failing).await;
    assert!(
        matches!(&result, Err(SupervisorError::StartFailed(x)) if *x == Term::atom("nope")),
        "{result:?}"
    );
    assert!(sref.which_children().await.expect("which").is_empty());
}

/// A hand-written gen_server child: `which` answers its start argument; `crash` panics.
struct Echo(i64);

impl GenServer for Echo {
    type Args = i64;
    async fn init(_ctx: &mut Context, args: i64) -> Init<Self> {
        Init::Ok(Echo(args))
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: ergo::Payload,
        _from: ergo::ReplyTo,
    ) -> ergo::CallOutcome {
        let request = request.into_term();
        if request.is_atom("crash") {
            panic!("echo told to crash");
        }
        ergo::CallOutcome::Reply(ergo::Payload::new(Term::Int(self.0)))
    }
}

#[tokio::test]
async fn a_tree_of_supervisors_and_gen_servers_restarts_a_crashed_subtree() {
    let node = node().await;
    let name = common::unique_name("echo");
    let sub = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0)
        .child(ChildSpec::worker(
            "echo",
            ChildStart::gen_server_opts::<Echo>(SpawnOptions::named(&name), 7),
        ));
    let root = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(3)
        .child(ChildSpec::supervisor(
            "sub",
            ChildStart::supervisor_spec(sub),
        ));
    let root = node
        .start_supervisor_spec(root, SpawnOptions::default())
        .await
        .expect("root starts");
    let rref = node.supervisor_ref(root.clone());
    let sub1 = pid_of(&rref.which_children().await.expect("which"), "sub").expect("sub runs");
    assert_eq!(
        rref.count_children().await.expect("count"),
        ChildCounts {
            specs: 1,
            active: 1,
            supervisors: 1,
            workers: 0
        }
    );
    let echo1 = node.whereis(&name).expect("echo registered");
    assert_eq!(
        node.call::<i64>(echo1.clone(), Term::atom("which"))
            .await
            .expect("call"),
        7
    );
    // The echo crashes; intensity 0 makes sub give up (shutdown); root restarts sub, which
    // starts a fresh echo under the same name.
    let _ = node.call::<Term>(echo1.clone(), Term::atom("crash")).await;
    let sub2 = wait_replaced(&node, &root, "sub", &sub1)
        .await
        .expect("sub restarted");
    assert_ne!(sub1, sub2);
    assert!(!node.is_alive(&sub1));
    let echo2 = node.whereis(&name).expect("echo registered again");
    assert_ne!(echo1, echo2);
    assert_eq!(
        node.call::<i64>(echo2, Term::atom("which"))
            .await
            .expect("call"),
        7
    );
    // Stopping root takes the whole tree down.
    rref.stop(Term::atom("shutdown")).await.expect("stop");
    assert!(!node.is_alive(&sub2));
    assert!(node.whereis(&name).is_none());
}

#[tokio::test]
async fn erlang_callers_get_which_children_and_count_children_terms() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker("w", worker("w", &tx, OnShutdown::Die)));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let pid = started(&events(&mut rx, 1).await)[0].1.clone();
    let which: Term = node
        .call(sup.clone(), Term::atom("which_children"))
        .await
        .expect("call");
    let expected = Term::list(vec![Term::tuple(vec![
        Term::atom("w"),
        Term::Pid(pid),
        Term::atom("worker"),
        Term::list(vec![]),
    ])]);
    assert_eq!(which, expected);
    let counts: Term = node
        .call(sup, Term::atom("count_children"))
        .await
        .expect("call");
    assert!(counts.to_string().contains("{active,1}"), "{counts}");
}

/// A start function that runs `worker` while `allowed` permits remain, and fails (`no_room`)
/// otherwise; counts every attempt.
fn limited(
    id: &'static str,
    tx: &UnboundedSender<Event>,
    allowed: Arc<AtomicUsize>,
    attempts: Arc<AtomicUsize>,
) -> ChildStart {
    let inner = worker(id, tx, OnShutdown::Die);
    ChildStart::new(move |cx| {
        let inner = inner.clone();
        let allowed = Arc::clone(&allowed);
        attempts.fetch_add(1, Ordering::SeqCst);
        async move {
            let permit =
                allowed.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            if permit.is_err() {
                return Err(Term::atom("no_room"));
            }
            inner.start(cx).await
        }
    })
}

#[tokio::test]
async fn a_failing_restart_is_retried_until_the_intensity_gives_up() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let attempts = Arc::new(AtomicUsize::new(0));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(3)
        .period(Duration::from_secs(30))
        .child(ChildSpec::worker(
            "w",
            limited(
                "w",
                &tx,
                Arc::new(AtomicUsize::new(1)),
                Arc::clone(&attempts),
            ),
        ));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let pid = started(&events(&mut rx, 1).await)[0].1.clone();
    let down = watch(&node, &sup).await;
    node.send(pid, Term::atom("panic")).expect("send");
    // Restarts 1..=3 fail and are each retried; the 4th exceeds intensity 3.
    assert_eq!(exit_reason(down).await, Term::atom("shutdown"));
    assert_eq!(attempts.load(Ordering::SeqCst), 1 + 3);
}

#[tokio::test]
async fn a_restart_that_fails_once_is_retried_and_succeeds() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let attempts = Arc::new(AtomicUsize::new(0));
    let failures_left = Arc::new(AtomicUsize::new(0));
    let inner = worker("w", &tx, OnShutdown::Die);
    let (counter, failures) = (Arc::clone(&attempts), Arc::clone(&failures_left));
    let flaky = ChildStart::new(move |cx| {
        let inner = inner.clone();
        counter.fetch_add(1, Ordering::SeqCst);
        let fail = failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        async move {
            if fail {
                return Err(Term::atom("not_yet"));
            }
            inner.start(cx).await
        }
    });
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(2)
        .period(Duration::from_secs(30))
        .child(ChildSpec::worker("w", flaky));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let pid = started(&events(&mut rx, 1).await)[0].1.clone();
    failures_left.store(1, Ordering::SeqCst);
    node.send(pid.clone(), Term::atom("panic")).expect("send");
    // Attempt 2 fails, attempt 3 (the retry, the 2nd restart within intensity 2) succeeds.
    let again = started(&events(&mut rx, 1).await)[0].1.clone();
    assert_ne!(again, pid);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!(
        node.supervisor_ref(sup.clone())
            .which_children()
            .await
            .expect("which")[0]
            .pid,
        ChildPid::Running(again)
    );
}

#[tokio::test]
async fn a_panicking_start_function_is_a_failed_start_not_a_supervisor_crash() {
    let node = node().await;
    let sup = node
        .start_supervisor_spec(
            SupervisorSpec::new(Strategy::OneForOne),
            SpawnOptions::default(),
        )
        .await
        .expect("sup starts");
    let sref = node.supervisor_ref(sup.clone());
    let bad = ChildSpec::worker(
        "bad",
        ChildStart::new(|_cx| async { panic!("start blew up") }),
    );
    match sref.start_child(bad).await {
        Err(SupervisorError::StartFailed(reason)) => {
            assert_eq!(
                reason,
                ergo::runtime::process::panic_reason("start blew up")
            )
        }
        other => panic!("expected a failed start, got {other:?}"),
    }
    assert!(node.is_alive(&sup));
    assert!(sref.which_children().await.expect("which").is_empty());
}

#[tokio::test]
async fn killing_a_supervisor_takes_its_children_down_through_links() {
    let node = node().await;
    let (sup, mut rx, first, _tx) = start_three(&node, Strategy::OneForOne, OnShutdown::Die).await;
    let downs: Vec<_> = {
        let mut v = Vec::new();
        for (_, pid) in &first {
            v.push(watch(&node, pid).await);
        }
        v
    };
    node.exit(node.outside_pid(), &sup, Term::atom("kill"));
    for down in downs {
        assert_eq!(exit_reason(down).await, Term::atom("killed"));
    }
    assert!(!node.is_alive(&sup));
    assert!(rx.try_recv().is_err(), "nothing restarted");
}

// ---- every strategy, every child, both kinds of crash ----

/// Crashes child `crashed` of a fresh three-child supervisor with `crash` (a panic, or an
/// abnormal exit) and checks exactly which children are stopped (reverse start order, with
/// `shutdown`), which restart (start order, new pids), and that the others keep their pids.
async fn strategy_case(node: &Node, strategy: Strategy, crashed: usize, crash: Term) {
    let ids = ["a", "b", "c"];
    let case = format!("{strategy:?}, {} crashed by {crash}", ids[crashed]);
    let (sup, mut rx, first, _tx) = start_three(node, strategy, OnShutdown::Report).await;
    let affected: Vec<usize> = match strategy {
        Strategy::OneForOne => vec![crashed],
        Strategy::OneForAll => (0..3).collect(),
        Strategy::RestForOne => (crashed..3).collect(),
        Strategy::SimpleOneForOne => unreachable!("not a static strategy"),
    };
    let stops: Vec<Event> = affected
        .iter()
        .rev()
        .filter(|&&i| i != crashed)
        .map(|&i| Event::Stopped(ids[i], Term::atom("shutdown")))
        .collect();
    node.send(first[crashed].1.clone(), crash.clone())
        .expect("send");
    let ev = events(&mut rx, stops.len() + affected.len()).await;
    assert_eq!(ev[..stops.len()], stops[..], "{case}: stops");
    let again = started(&ev[stops.len()..]);
    assert_eq!(
        again.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        affected.iter().map(|&i| ids[i]).collect::<Vec<_>>(),
        "{case}: restarts"
    );
    for ((id, new), &i) in again.iter().zip(&affected) {
        assert_ne!(new, &first[i].1, "{case}: {id} has a new pid");
        assert!(!node.is_alive(&first[i].1), "{case}: old {id} is gone");
    }
    assert_quiet(node, &sup, &mut rx).await;
    let children = node
        .supervisor_ref(sup.clone())
        .which_children()
        .await
        .expect("which");
    for (i, id) in ids.iter().enumerate() {
        let expected = match affected.iter().position(|&a| a == i) {
            Some(k) => again[k].1.clone(),
            None => first[i].1.clone(),
        };
        assert_eq!(pid_of(&children, id), Some(expected), "{case}: {id}");
    }
    node.supervisor_ref(sup)
        .stop(Term::atom("shutdown"))
        .await
        .expect("stop");
}

#[tokio::test]
async fn every_static_strategy_restarts_exactly_the_affected_children_after_any_crash() {
    let node = node().await;
    for strategy in [
        Strategy::OneForOne,
        Strategy::OneForAll,
        Strategy::RestForOne,
    ] {
        for crashed in 0..3 {
            for crash in [Term::atom("panic"), exit_with(Term::atom("crash"))] {
                strategy_case(&node, strategy, crashed, crash).await;
            }
        }
    }
}

#[tokio::test]
async fn simple_one_for_one_restarts_only_the_crashed_dynamic_child() {
    let node = node().await;
    for crash in [Term::atom("panic"), exit_with(Term::atom("crash"))] {
        let (tx, mut rx) = unbounded_channel();
        let spec = SupervisorSpec::new(Strategy::SimpleOneForOne)
            .intensity(5)
            .child(ChildSpec::worker(
                "conn",
                worker("conn", &tx, OnShutdown::Report),
            ));
        let sup = node
            .start_supervisor_spec(spec, SpawnOptions::default())
            .await
            .expect("sup starts");
        let sref = node.supervisor_ref(sup.clone());
        let mut pids = Vec::new();
        for n in 1..=3 {
            let pid = sref
                .start_dynamic(vec![Term::Int(n)])
                .await
                .expect("start")
                .expect("a pid");
            next(&mut rx).await;
            pids.push(pid);
        }
        node.send(pids[1].clone(), crash.clone()).expect("send");
        let new = match next(&mut rx).await {
            Event::Started("conn", p, extra) => {
                assert_eq!(extra, vec![Term::Int(2)], "{crash}: same extra args");
                p
            }
            other => panic!("{crash}: unexpected {other:?}"),
        };
        assert_ne!(new, pids[1], "{crash}: a new pid");
        assert_quiet(&node, &sup, &mut rx).await;
        let mut now: Vec<Pid> = sref
            .which_children()
            .await
            .expect("which")
            .iter()
            .filter_map(|c| c.pid.pid().cloned())
            .collect();
        let mut expected = vec![pids[0].clone(), new, pids[2].clone()];
        now.sort_by_key(|p| p.id);
        expected.sort_by_key(|p| p.id);
        assert_eq!(now, expected, "{crash}: the others keep their pids");
    }
}

// ---- shutdown: trees, infinity ----

#[tokio::test]
async fn stopping_a_tree_stops_every_level_in_reverse_start_order() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let sub = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker(
            "s1",
            worker("s1", &tx, OnShutdown::Report),
        ))
        .child(ChildSpec::worker(
            "s2",
            worker("s2", &tx, OnShutdown::Report),
        ));
    let root = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker(
            "w1",
            worker("w1", &tx, OnShutdown::Report),
        ))
        .child(ChildSpec::supervisor(
            "sub",
            ChildStart::supervisor_spec(sub),
        ))
        .child(ChildSpec::worker(
            "w2",
            worker("w2", &tx, OnShutdown::Report),
        ));
    let root = node
        .start_supervisor_spec(root, SpawnOptions::default())
        .await
        .expect("root starts");
    let order: Vec<_> = started(&events(&mut rx, 4).await)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(order, ["w1", "s1", "s2", "w2"], "depth-first start order");
    watch_events(&node, &root, &tx).await;
    node.supervisor_ref(root)
        .stop(Term::atom("shutdown"))
        .await
        .expect("stop");
    let stops = events(&mut rx, 5).await;
    assert_eq!(
        stops,
        [
            Event::Stopped("w2", Term::atom("shutdown")),
            Event::Stopped("s2", Term::atom("shutdown")),
            Event::Stopped("s1", Term::atom("shutdown")),
            Event::Stopped("w1", Term::atom("shutdown")),
            Event::Stopped("supervisor", Term::atom("shutdown")),
        ]
    );
}

#[tokio::test]
async fn infinity_shutdown_waits_for_a_slow_child_and_never_kills_it() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let gate = Arc::new(tokio::sync::Notify::new());
    let (stopping_tx, mut stopping) = unbounded_channel::<Pid>();
    let slow = {
        let (tx, gate) = (tx.clone(), Arc::clone(&gate));
        ChildStart::process_with(
            SpawnOptions {
                trap_exit: true,
                ..SpawnOptions::default()
            },
            move |mut ctx: Context, _| {
                let (tx, gate, stopping_tx) = (tx.clone(), Arc::clone(&gate), stopping_tx.clone());
                async move {
                    let _ = tx.send(Event::Started("slow", ctx.pid().clone(), Vec::new()));
                    loop {
                        match ctx.recv().await {
                            Err(reason) => return reason,
                            Ok(Env::Exit(exit)) => {
                                let reason = exit.reason;
                                let _ = stopping_tx.send(ctx.pid().clone());
                                gate.notified().await; // takes as long as the test says
                                return reason;
                            }
                            Ok(_) => {}
                        }
                    }
                }
            },
        )
    };
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker("slow", slow).shutdown(Shutdown::Infinity));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let pid = started(&events(&mut rx, 1).await)[0].1.clone();
    let down = watch(&node, &pid).await;
    let sref = node.supervisor_ref(sup.clone());
    let mut terminate = tokio::spawn(async move { sref.terminate_child("slow").await });
    let got = tokio::time::timeout(DEADLINE, stopping.recv())
        .await
        .expect("child told to stop in time");
    assert_eq!(got, Some(pid.clone()));
    // Well past any timeout a worker would get by default in a test: still waiting, not killed.
    let window = Duration::from_millis(500);
    assert!(
        tokio::time::timeout(window, &mut terminate).await.is_err(),
        "terminate_child returned while the child was still stopping"
    );
    assert!(node.is_alive(&pid), "an infinity child is never killed");
    gate.notify_one();
    tokio::time::timeout(DEADLINE, terminate)
        .await
        .expect("terminate_child returns once the child is gone")
        .expect("task")
        .expect("terminate");
    assert_eq!(exit_reason(down).await, Term::atom("shutdown"));
}

// ---- a gen_server child and its parent (OTP's {'EXIT', Parent, Reason}) ----

type Reports = UnboundedSender<(&'static str, Term)>;

/// A gen_server that reports `init` (its pid), every `handle_info` message and `terminate`
/// (its reason); traps exits when its second argument says so.
struct Trapper {
    tx: Reports,
}

impl GenServer for Trapper {
    type Args = (Reports, bool);
    async fn init(ctx: &mut Context, (tx, trap): (Reports, bool)) -> Init<Self> {
        ctx.trap_exit(trap);
        let _ = tx.send(("init", Term::Pid(ctx.pid().clone())));
        Init::Ok(Trapper { tx })
    }
    async fn handle_info(&mut self, _ctx: &mut Context, message: ergo::Payload) -> ergo::Status {
        let _ = self.tx.send(("info", message.into_term()));
        ergo::Status::Continue
    }
    async fn terminate(&mut self, _ctx: &mut Context, reason: &Term) {
        let _ = self.tx.send(("terminate", reason.clone()));
    }
}

async fn init_pid(rx: &mut UnboundedReceiver<(&'static str, Term)>) -> Pid {
    match next(rx).await {
        ("init", Term::Pid(pid)) => pid,
        other => panic!("expected init, got {other:?}"),
    }
}

#[tokio::test]
async fn a_trapping_gen_server_child_runs_terminate_on_its_supervisors_shutdown() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let limit = Duration::from_secs(30);
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(
        ChildSpec::worker("g", ChildStart::gen_server::<Trapper>((tx, true)))
            .shutdown(Shutdown::Timeout(limit)),
    );
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let sref = node.supervisor_ref(sup.clone());
    // Through terminate_child, then through stopping the whole supervisor.
    for round in 0..2 {
        let pid = init_pid(&mut rx).await;
        let down = watch(&node, &pid).await;
        let t0 = Instant::now();
        if round == 0 {
            sref.terminate_child("g").await.expect("terminate");
        } else {
            sref.stop(Term::atom("shutdown")).await.expect("stop");
        }
        assert!(
            t0.elapsed() < DEADLINE,
            "stopped at once, not killed after the {limit:?} timeout"
        );
        assert_eq!(exit_reason(down).await, Term::atom("shutdown"));
        assert_eq!(next(&mut rx).await, ("terminate", Term::atom("shutdown")));
        assert!(
            rx.try_recv().is_err(),
            "handle_info never saw the parent's EXIT"
        );
        if round == 0 {
            sref.restart_child("g").await.expect("restart");
        }
    }
}

#[tokio::test]
async fn a_trapping_gen_server_child_gets_other_exit_signals_in_handle_info() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker(
        "g",
        ChildStart::gen_server::<Trapper>((tx, true)),
    ));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let pid = init_pid(&mut rx).await;
    // exit/2 from a process that is not its parent.
    let outsider = node.outside_pid().clone();
    node.exit(&outsider, &pid, Term::atom("shutdown"));
    assert_eq!(
        next(&mut rx).await,
        (
            "info",
            Term::tuple(vec![
                Term::atom("EXIT"),
                Term::Pid(outsider.clone()),
                Term::atom("shutdown")
            ])
        )
    );
    // A linked process (not its parent) ending abnormally.
    let peer = node
        .spawn(
            SpawnOptions {
                link: Some(pid.clone()),
                ..SpawnOptions::default()
            },
            |mut ctx: Context| async move {
                let _ = ctx.recv().await;
                Term::atom("boom")
            },
        )
        .expect("peer spawns");
    node.send(peer.clone(), Term::atom("go")).expect("send");
    assert_eq!(
        next(&mut rx).await,
        (
            "info",
            Term::tuple(vec![
                Term::atom("EXIT"),
                Term::Pid(peer),
                Term::atom("boom")
            ])
        )
    );
    assert!(node.is_alive(&pid), "other EXITs do not stop it");
    let children = node
        .supervisor_ref(sup)
        .which_children()
        .await
        .expect("which");
    assert_eq!(pid_of(&children, "g"), Some(pid));
}

#[tokio::test]
async fn a_gen_server_started_linked_by_a_process_stops_with_its_parents_exit() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let (pid_tx, pid_rx) = tokio::sync::oneshot::channel();
    let parent = node
        .spawn(SpawnOptions::default(), move |mut ctx| async move {
            let me = ctx.pid().clone();
            let started = ctx
                .node()
                .start_server::<Trapper>(
                    (tx, true),
                    SpawnOptions {
                        link: Some(me),
                        ..SpawnOptions::default()
                    },
                )
                .await;
            let _ = pid_tx.send(started);
            let _ = ctx.recv().await;
            Term::atom("goodbye")
        })
        .expect("parent spawns");
    let pid = pid_rx
        .await
        .expect("parent reports")
        .expect("server starts");
    assert_eq!(init_pid(&mut rx).await, pid);
    let down = watch(&node, &pid).await;
    node.send(parent, Term::atom("go")).expect("send");
    // The parent's EXIT came through the link: terminate runs, the server exits with it.
    assert_eq!(next(&mut rx).await, ("terminate", Term::atom("goodbye")));
    assert_eq!(exit_reason(down).await, Term::atom("goodbye"));
    assert!(rx.try_recv().is_err(), "handle_info never saw it");
}

#[tokio::test]
async fn a_non_trapping_gen_server_child_is_stopped_without_terminate() {
    let node = node().await;
    let (tx, mut rx) = unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker(
        "g",
        ChildStart::gen_server::<Trapper>((tx, false)),
    ));
    let sup = node
        .start_supervisor_spec(spec, SpawnOptions::default())
        .await
        .expect("sup starts");
    let pid = init_pid(&mut rx).await;
    let down = watch(&node, &pid).await;
    node.supervisor_ref(sup)
        .terminate_child("g")
        .await
        .expect("terminate");
    assert_eq!(exit_reason(down).await, Term::atom("shutdown"));
    assert!(
        rx.try_recv().is_err(),
        "an exit signal kills a non-trapping server: no terminate (as in OTP)"
    );
}
