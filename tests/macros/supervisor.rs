//! `#[supervisor]` end to end: a declared tree (gen_server workers, a nested declared
//! supervisor, a `start_with` child) starts in declaration order, restarts by its declared
//! strategy, and carries its declared flags into the spec.

use std::time::Duration;

use ergo::runtime::gen::supervisor::ChildPid;
use ergo::{
    supervisor, AutoShutdown, CallOutcome, ChildKind, ChildStart, Context, GenServer, Init, Node,
    NodeOptions, Payload, Restart, Shutdown, SpawnOptions, Strategy, Supervisor, Term,
};

/// Answers any call with its start argument; `crash` panics.
struct Cell(i64);

impl GenServer for Cell {
    type Args = i64;
    async fn init(_ctx: &mut Context, args: i64) -> Init<Self> {
        Init::Ok(Cell(args))
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: Payload,
        _from: ergo::ReplyTo,
    ) -> CallOutcome {
        if request.into_term().is_atom("crash") {
            panic!("cell told to crash");
        }
        CallOutcome::Reply(Payload::new(Term::Int(self.0)))
    }
}

struct Leaves;

#[supervisor(strategy = one_for_all, intensity = 3, period_ms = 2000)]
impl Leaves {
    children! {
        worker(id = left, start = Cell, args = 1, name = "macro_leaf_left"),
        worker(id = right, start = Cell, args = 2, name = "macro_leaf_right", shutdown = brutal_kill),
    }
}

struct Root;

#[supervisor(strategy = rest_for_one, intensity = 5, period = 10)]
impl Root {
    children! {
        worker(id = first, start = Cell, args = 10, name = "macro_root_first", restart = transient, shutdown = 250),
        supervisor(id = leaves, start = Leaves),
        worker(id = idle, start_with = ChildStart::process(|mut ctx: Context| async move {
            loop {
                if let Err(reason) = ctx.recv().await {
                    return reason;
                }
            }
        }), restart = temporary, significant = true),
    }

    /// Other items of the impl block stay.
    fn describe() -> &'static str {
        "root"
    }
}

#[test]
fn declared_flags_and_children_become_the_spec() {
    let spec = Root::init(()).expect("init");
    assert_eq!(spec.strategy, Strategy::RestForOne);
    assert_eq!(spec.intensity, 5);
    assert_eq!(spec.period, Duration::from_secs(10));
    assert_eq!(spec.auto_shutdown, AutoShutdown::Never);
    let ids: Vec<_> = spec
        .children
        .iter()
        .map(|c| c.id.as_str().to_string())
        .collect();
    assert_eq!(ids, ["first", "leaves", "idle"]);
    assert_eq!(spec.children[0].restart, Restart::Transient);
    assert_eq!(
        spec.children[0].shutdown,
        Shutdown::Timeout(Duration::from_millis(250))
    );
    assert_eq!(spec.children[1].kind, ChildKind::Supervisor);
    assert_eq!(spec.children[1].shutdown, Shutdown::Infinity);
    assert_eq!(spec.children[2].restart, Restart::Temporary);
    assert!(spec.children[2].significant);
    let leaves = Leaves::init(()).expect("init");
    assert_eq!(leaves.strategy, Strategy::OneForAll);
    assert_eq!(leaves.period, Duration::from_millis(2000));
    assert_eq!(leaves.children[1].shutdown, Shutdown::BrutalKill);
    assert_eq!(Root::describe(), "root");
}

async fn wait_for_new(node: &Node, name: &str, old: &ergo::Pid) -> ergo::Pid {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(p) = node.whereis(name) {
            if &p != old {
                return p;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} was not restarted"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_declared_tree_starts_and_restarts_by_its_strategies() {
    let node = Node::start("supmacro@localhost", NodeOptions::default())
        .await
        .expect("node");
    let root = node
        .start_supervisor::<Root>((), SpawnOptions::default())
        .await
        .expect("root starts");
    let children = node
        .supervisor_ref(root.clone())
        .which_children()
        .await
        .expect("which");
    assert_eq!(children.len(), 3);
    assert!(children
        .iter()
        .all(|c| matches!(c.pid, ChildPid::Running(_))));
    let first = node.whereis("macro_root_first").expect("first");
    let left = node.whereis("macro_leaf_left").expect("left");
    let right = node.whereis("macro_leaf_right").expect("right");
    assert_eq!(
        node.call::<i64>(left.clone(), Term::atom("get"))
            .await
            .expect("call"),
        1
    );
    assert_eq!(
        node.call::<i64>(right.clone(), Term::atom("get"))
            .await
            .expect("call"),
        2
    );
    // one_for_all in Leaves: right crashes, left restarts too; root's `first` is untouched.
    let _ = node.call::<Term>(right.clone(), Term::atom("crash")).await;
    let right2 = wait_for_new(&node, "macro_leaf_right", &right).await;
    let left2 = wait_for_new(&node, "macro_leaf_left", &left).await;
    assert_ne!(left, left2);
    assert_ne!(right, right2);
    assert_eq!(node.whereis("macro_root_first"), Some(first.clone()));
    // rest_for_one in Root: first crashes, so leaves and idle restart after it. idle is
    // temporary: it is stopped and not restarted.
    let leaves_before = children[1].pid.pid().cloned().expect("leaves pid");
    let _ = node.call::<Term>(first.clone(), Term::atom("crash")).await;
    let first2 = wait_for_new(&node, "macro_root_first", &first).await;
    let left3 = wait_for_new(&node, "macro_leaf_left", &left2).await;
    assert_ne!(left3, left2);
    assert_ne!(first2, first);
    let after = node
        .supervisor_ref(root.clone())
        .which_children()
        .await
        .expect("which");
    let ids: Vec<_> = after
        .iter()
        .map(|c| c.id.as_ref().map(|a| a.as_str().to_string()))
        .collect();
    assert_eq!(ids, [Some("first".to_string()), Some("leaves".to_string())]);
    assert_ne!(after[1].pid.pid(), Some(&leaves_before));
    node.supervisor_ref(root)
        .stop(Term::atom("shutdown"))
        .await
        .expect("stop");
    assert!(node.whereis("macro_leaf_left").is_none());
}

/// A supervisor with a start argument: `args` is bound in the child expressions.
struct Scaled;

#[supervisor(strategy = one_for_one, args = (i64, Vec<&'static str>))]
impl Scaled {
    children! {
        worker(id = scaled, start = Cell, args = args.0 * 10, name = "macro_scaled_cell"),
    }
}

#[test]
fn supervisor_args_reach_the_child_specs() {
    let spec = Scaled::init((4, vec!["unused"])).expect("init");
    assert_eq!(spec.children.len(), 1);
    assert_eq!(spec.strategy, Strategy::OneForOne);
    assert_eq!(spec.intensity, 1, "OTP default intensity");
    assert_eq!(spec.period, Duration::from_secs(5), "OTP default period");
}

#[tokio::test]
async fn a_declared_supervisor_started_with_args() {
    let node = Node::start("supmacroargs@localhost", NodeOptions::default())
        .await
        .expect("node");
    let sup = node
        .start_supervisor::<Scaled>((4, vec![]), SpawnOptions::default())
        .await
        .expect("starts");
    let cell = node.whereis("macro_scaled_cell").expect("cell runs");
    assert_eq!(
        node.call::<i64>(cell, Term::atom("get"))
            .await
            .expect("call"),
        40
    );
    node.supervisor_ref(sup)
        .stop(Term::atom("shutdown"))
        .await
        .expect("stop");
}
