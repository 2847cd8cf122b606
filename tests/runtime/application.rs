//! Applications on a node: load/unload, env, dependencies started first and stopped after,
//! start failures, and each start type's reaction to its application terminating by itself
//! (temporary: reported; transient: reported when `normal`, else node stops; permanent: node
//! stops), also when the termination is a root supervisor giving up after a real crash; an
//! application stop reaching a trapping gen_server's `terminate`. Also `#[application]` end to
//! end. Every wait has a deadline.

use std::time::Duration;

use ergo::runtime::process::Envelope as Env;
use ergo::{
    application, supervisor, ApplicationError, ApplicationSpec, ChildSpec, ChildStart, Context,
    GenServer, Init, Node, NodeOptions, Shutdown, SpawnOptions, StartType, Strategy,
    SupervisorSpec, Term,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

const DEADLINE: Duration = Duration::from_secs(5);

use crate::common;
use crate::common::wait::{next, wait_until};

async fn node(prefix: &str) -> Node {
    common::start_node(prefix, NodeOptions::default()).await
}

/// A root process registered as `name`: reports `("up", name)` and, when told to stop by its
/// master (trapped `shutdown`), `("down", name)`; a message `{exit, Reason}` ends it with Reason.
fn root(name: &'static str, tx: &UnboundedSender<(&'static str, &'static str)>) -> ChildStart {
    let tx = tx.clone();
    ChildStart::process_with(
        SpawnOptions {
            trap_exit: true,
            name: Some(ergo::Atom::new(name)),
            ..SpawnOptions::default()
        },
        move |mut ctx: Context, _| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(("up", name));
                loop {
                    match ctx.recv().await {
                        Err(reason) => return reason,
                        Ok(Env::Exit(exit)) => {
                            let reason = exit.reason;
                            let _ = tx.send(("down", name));
                            return reason;
                        }
                        Ok(other) => {
                            if let Term::Tuple(elems) = other.into_term() {
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
        },
    )
}

fn exit_msg(reason: &str) -> Term {
    Term::tuple(vec![Term::atom("exit"), Term::atom(reason)])
}

async fn wait_node_stopped(node: &Node) {
    wait_until("the node stopped", || node.is_stopped()).await;
}

#[tokio::test]
async fn load_unload_env_and_listing() {
    let node = node("appload").await;
    let apps = node.applications();
    let spec = ApplicationSpec::new("shop")
        .description("A shop")
        .version("1.2.3")
        .env("port", 8080i64)
        .env("host", Term::atom("local"));
    apps.load(spec.clone()).expect("load");
    let result = apps.load(spec);
    assert!(
        matches!(&result, Err(ApplicationError::AlreadyLoaded(app)) if app == "shop"),
        "{result:?}"
    );
    let loaded = apps.loaded_applications();
    assert_eq!(loaded.len(), 1);
    assert_eq!(
        (
            loaded[0].name.as_str(),
            loaded[0].description.as_str(),
            loaded[0].version.as_str()
        ),
        ("shop", "A shop", "1.2.3")
    );
    assert!(apps.which_applications().is_empty());
    assert_eq!(apps.get_env("shop", "port"), Some(Term::Int(8080)));
    assert_eq!(apps.get_env("shop", "nope"), None);
    apps.set_env("shop", "port", Term::Int(9090)).expect("set");
    assert_eq!(apps.get_env("shop", "port"), Some(Term::Int(9090)));
    assert_eq!(apps.get_all_env("shop").len(), 2);
    apps.start("shop", StartType::Temporary)
        .await
        .expect("start a library app");
    assert_eq!(apps.which_applications().len(), 1);
    let result = apps.start("shop", StartType::Temporary).await;
    assert!(
        matches!(&result, Err(ApplicationError::AlreadyStarted(app)) if app == "shop"),
        "{result:?}"
    );
    let result = apps.unload("shop");
    assert!(
        matches!(&result, Err(ApplicationError::Running(app)) if app == "shop"),
        "{result:?}"
    );
    apps.stop("shop").await.expect("stop");
    let result = apps.stop("shop").await;
    assert!(
        matches!(&result, Err(ApplicationError::NotStarted(app)) if app == "shop"),
        "{result:?}"
    );
    apps.unload("shop").expect("unload");
    assert!(apps.loaded_applications().is_empty());
    assert_eq!(apps.get_env("shop", "port"), None);
    let result = apps.start("shop", StartType::Temporary).await;
    assert!(
        matches!(&result, Err(ApplicationError::NotLoaded(app)) if app == "shop"),
        "{result:?}"
    );
    // The same node's table is reached from any handle; another node's is separate.
    let other = self::node("appother").await;
    node.applications()
        .load(ApplicationSpec::new("x"))
        .expect("load");
    assert_eq!(node.applications().loaded_applications().len(), 1);
    assert!(other.applications().loaded_applications().is_empty());
}

#[tokio::test]
async fn dependencies_start_first_and_stop_after() {
    let node = node("appdeps").await;
    let (tx, mut rx) = unbounded_channel();
    let apps = node.applications();
    apps.load(ApplicationSpec::new("db").root(root("db_root", &tx)))
        .expect("load");
    apps.load(
        ApplicationSpec::new("cache")
            .depends_on("db")
            .root(root("cache_root", &tx)),
    )
    .expect("load");
    apps.load(
        ApplicationSpec::new("web")
            .depends_on("db")
            .depends_on("cache")
            .root(root("web_root", &tx)),
    )
    .expect("load");
    apps.start("web", StartType::Temporary)
        .await
        .expect("start");
    assert_eq!(next(&mut rx).await, ("up", "db_root"));
    assert_eq!(next(&mut rx).await, ("up", "cache_root"));
    assert_eq!(next(&mut rx).await, ("up", "web_root"));
    let names: Vec<_> = apps
        .which_applications()
        .into_iter()
        .map(|a| a.name.as_str().to_string())
        .collect();
    assert_eq!(names, ["db", "cache", "web"]);
    apps.stop_all().await;
    assert_eq!(next(&mut rx).await, ("down", "web_root"));
    assert_eq!(next(&mut rx).await, ("down", "cache_root"));
    assert_eq!(next(&mut rx).await, ("down", "db_root"));
    assert!(apps.which_applications().is_empty());
    let reasons: Vec<_> = apps
        .exits()
        .into_iter()
        .map(|e| (e.name.as_str().to_string(), e.reason))
        .collect();
    assert_eq!(reasons[0], ("web".to_string(), Term::atom("stopped")));
    assert!(!node.is_stopped());
}

#[tokio::test]
async fn missing_and_circular_dependencies_and_failed_roots_are_errors() {
    let node = node("apperr").await;
    let apps = node.applications();
    apps.load(ApplicationSpec::new("a").depends_on("b"))
        .expect("load");
    let result = apps.start("a", StartType::Temporary).await;
    assert!(
        matches!(&result, Err(ApplicationError::NotLoaded(app)) if app == "b"),
        "{result:?}"
    );
    apps.load(ApplicationSpec::new("b").depends_on("a"))
        .expect("load");
    assert!(matches!(
        apps.start("a", StartType::Temporary).await,
        Err(ApplicationError::CircularDependency(_))
    ));
    apps.load(
        ApplicationSpec::new("broken").root(ChildStart::new(|_cx| async {
            Err(Term::atom("no_config"))
        })),
    )
    .expect("load");
    let result = apps.start("broken", StartType::Permanent).await;
    assert!(
        matches!(
            &result,
            Err(ApplicationError::StartFailed(app, reason))
                if app == "broken" && *reason == Term::atom("no_config")
        ),
        "{result:?}"
    );
    assert!(!apps.is_running("broken"));
    assert!(!node.is_stopped(), "a failed start does not stop the node");
}

/// Starts `other` (temporary) and `subject` with `start_type`, then ends subject's root with
/// `reason`; returns whether the node stopped, after checking the termination was recorded.
async fn terminate_case(start_type: StartType, reason: &str) -> bool {
    let node = node("appterm").await;
    let (tx, mut rx) = unbounded_channel();
    let apps = node.applications();
    apps.load(ApplicationSpec::new("other").root(root("other_root", &tx)))
        .expect("load");
    apps.load(ApplicationSpec::new("subject").root(root("subject_root", &tx)))
        .expect("load");
    apps.start("other", StartType::Temporary)
        .await
        .expect("start");
    apps.start("subject", start_type).await.expect("start");
    next(&mut rx).await;
    next(&mut rx).await;
    node.send(
        node.whereis("subject_root").expect("root runs"),
        exit_msg(reason),
    )
    .expect("send");
    let exit = apps
        .wait_exit("subject", DEADLINE)
        .await
        .expect("termination recorded");
    assert_eq!(exit.reason, Term::atom(reason));
    assert_eq!(exit.start_type, start_type);
    assert!(!apps.is_running("subject"));
    let fatal = match start_type {
        StartType::Permanent => true,
        StartType::Transient => reason != "normal",
        StartType::Temporary => false,
    };
    if fatal {
        // The other application is stopped (gracefully) before the node goes down, and what
        // waits for the node learns why it stopped (so a program's main can end with it).
        assert_eq!(next(&mut rx).await, ("down", "other_root"));
        let why = tokio::time::timeout(DEADLINE, node.wait())
            .await
            .expect("Node::wait resolves when the node stops itself");
        assert_eq!(
            why,
            Term::tuple(vec![
                Term::atom("application_terminated"),
                Term::atom("subject"),
                Term::atom(reason),
            ])
        );
        assert!(node.is_stopped());
    } else {
        // Reported only: the other application still runs and answers.
        assert!(apps.is_running("other"));
        assert!(node.whereis("other_root").is_some());
        assert!(!node.is_stopped());
    }
    node.is_stopped()
}

#[tokio::test]
async fn temporary_application_termination_is_only_reported() {
    assert!(!terminate_case(StartType::Temporary, "normal").await);
    assert!(!terminate_case(StartType::Temporary, "crashed").await);
}

#[tokio::test]
async fn transient_application_stops_the_node_only_on_abnormal_termination() {
    assert!(!terminate_case(StartType::Transient, "normal").await);
    assert!(terminate_case(StartType::Transient, "crashed").await);
    assert!(terminate_case(StartType::Transient, "shutdown").await);
}

#[tokio::test]
async fn permanent_application_termination_stops_the_node() {
    assert!(terminate_case(StartType::Permanent, "normal").await);
    assert!(terminate_case(StartType::Permanent, "crashed").await);
}

#[tokio::test]
async fn an_explicit_stop_of_a_permanent_application_does_not_stop_the_node() {
    let node = node("appstop").await;
    let (tx, mut rx) = unbounded_channel();
    let apps = node.applications();
    apps.load(ApplicationSpec::new("p").root(root("p_root", &tx)))
        .expect("load");
    apps.start("p", StartType::Permanent).await.expect("start");
    next(&mut rx).await;
    apps.stop("p").await.expect("stop");
    assert_eq!(next(&mut rx).await, ("down", "p_root"));
    assert!(!node.is_stopped());
}

// ---- #[application] ----

struct ShopSup;

#[supervisor(strategy = one_for_one, intensity = 0)]
impl ShopSup {
    children! {
        worker(id = clerk, start_with = ChildStart::process_with(
            SpawnOptions { name: Some(ergo::Atom::new("macro_app_clerk")), ..SpawnOptions::default() },
            |mut ctx: Context, _| async move {
                // Reads its application's env through the node, like application:get_env/2.
                let port = ctx.node().applications().get_env("macro_shop", "port");
                loop {
                    match ctx.recv().await {
                        Err(reason) => return reason,
                        Ok(Env::Call { from, .. }) => {
                            from.reply(port.clone().unwrap_or(Term::atom("undefined")));
                        }
                        Ok(other) => {
                            if other.into_term().is_atom("crash") {
                                return Term::atom("crashed");
                            }
                        }
                    }
                }
            })),
    }
}

#[application(name = "macro_shop", description = "Shop", version = "0.3.0", root = ShopSup, applications = [macro_base], env = [port = 8080i64, mode = ergo::Term::atom("test")])]
struct Shop;

#[application(version = "1.0.0")]
struct MacroBase;

#[tokio::test]
async fn declared_applications_start_with_their_dependencies_and_env() {
    use ergo::Application;
    let spec = Shop::spec();
    assert_eq!(spec.name.as_str(), "macro_shop");
    assert_eq!(spec.version, "0.3.0");
    assert_eq!(
        spec.applications
            .iter()
            .map(|a| a.as_str().to_string())
            .collect::<Vec<_>>(),
        ["macro_base"]
    );
    assert_eq!(
        MacroBase::spec().name.as_str(),
        "macro_base",
        "name defaults to the type in snake_case"
    );
    let node = node("appmacro").await;
    let apps = node.applications();
    apps.load_app::<MacroBase>().expect("load");
    apps.start_app::<Shop>(StartType::Transient)
        .await
        .expect("start");
    let names: Vec<_> = apps
        .which_applications()
        .into_iter()
        .map(|a| a.name.as_str().to_string())
        .collect();
    assert_eq!(names, ["macro_base", "macro_shop"]);
    assert_eq!(apps.get_env("macro_shop", "mode"), Some(Term::atom("test")));
    let clerk = node.whereis("macro_app_clerk").expect("clerk runs");
    assert_eq!(
        node.call::<Term>(clerk.clone(), Term::atom("port"))
            .await
            .expect("call"),
        Term::Int(8080)
    );
    // The clerk crashes; intensity 0 makes the root supervisor shut down; the transient
    // application ends abnormally (`shutdown`), so the node stops.
    node.send(clerk, Term::atom("crash")).expect("send");
    let exit = apps
        .wait_exit("macro_shop", DEADLINE)
        .await
        .expect("recorded");
    assert_eq!(exit.reason, Term::atom("shutdown"));
    wait_node_stopped(&node).await;
}

struct ArgSup;

#[supervisor(args = i64)]
impl ArgSup {
    children! {
        worker(id = holder, start_with = ChildStart::process_with(
            SpawnOptions { name: Some(ergo::Atom::new("macro_app_holder")), ..SpawnOptions::default() },
            move |mut ctx: Context, _| async move {
                loop {
                    match ctx.recv().await {
                        Err(reason) => return reason,
                        Ok(Env::Call { from, .. }) => {
                            from.reply(Term::Int(args));
                        }
                        Ok(_) => {}
                    }
                }
            })),
    }
}

#[application(name = "macro_args_app", root = ArgSup, root_args = 6 * 7)]
struct ArgsApp;

#[tokio::test]
async fn root_args_reach_the_root_supervisor() {
    let node = node("appargs").await;
    node.applications()
        .start_app::<ArgsApp>(StartType::Temporary)
        .await
        .expect("start");
    let holder = node.whereis("macro_app_holder").expect("holder runs");
    assert_eq!(
        node.call::<Term>(holder, Term::atom("get"))
            .await
            .expect("call"),
        Term::Int(42)
    );
    node.applications()
        .stop("macro_args_app")
        .await
        .expect("stop");
    assert!(node.whereis("macro_app_holder").is_none());
}

// ---- start types with a real supervision tree ----

/// A root supervisor (intensity 0) over one worker registered as `name` that panics when told
/// `panic`: one real crash makes the supervisor give up with `shutdown`.
fn fragile_tree(name: &str) -> SupervisorSpec {
    let worker = ChildStart::process_with(
        SpawnOptions::named(name),
        |mut ctx: Context, _| async move {
            loop {
                match ctx.recv().await {
                    Err(reason) => return reason,
                    Ok(other) => {
                        if other.into_term().is_atom("panic") {
                            panic!("worker told to panic");
                        }
                    }
                }
            }
        },
    );
    SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0)
        .child(ChildSpec::worker("w", worker))
}

#[tokio::test]
async fn a_root_supervisor_giving_up_ends_its_application_by_start_type() {
    for (start_type, fatal) in [
        (StartType::Temporary, false),
        (StartType::Transient, true),
        (StartType::Permanent, true),
    ] {
        let node = node("apptree").await;
        let (tx, mut rx) = unbounded_channel();
        let apps = node.applications();
        apps.load(ApplicationSpec::new("other").root(root("other_root", &tx)))
            .expect("load");
        apps.load(ApplicationSpec::new("tree").root_spec(fragile_tree("tree_worker")))
            .expect("load");
        apps.start("other", StartType::Temporary)
            .await
            .expect("start");
        apps.start("tree", start_type).await.expect("start");
        assert_eq!(next(&mut rx).await, ("up", "other_root"));
        let worker = node.whereis("tree_worker").expect("worker runs");
        node.send(worker, Term::atom("panic")).expect("send");
        let exit = apps
            .wait_exit("tree", DEADLINE)
            .await
            .expect("termination recorded");
        assert_eq!(exit.reason, Term::atom("shutdown"), "{start_type:?}");
        assert_eq!(exit.start_type, start_type);
        assert!(!apps.is_running("tree"));
        assert!(node.whereis("tree_worker").is_none(), "the tree is gone");
        if fatal {
            assert_eq!(
                next(&mut rx).await,
                ("down", "other_root"),
                "{start_type:?}"
            );
            wait_node_stopped(&node).await;
        } else {
            assert!(apps.is_running("other"));
            assert!(!node.is_stopped(), "{start_type:?}: only reported");
        }
    }
}

/// A gen_server that traps exits and reports its `terminate` reason.
struct Tidy {
    tx: UnboundedSender<Term>,
}

impl GenServer for Tidy {
    type Args = UnboundedSender<Term>;
    async fn init(ctx: &mut Context, tx: UnboundedSender<Term>) -> Init<Self> {
        ctx.trap_exit(true);
        Init::Ok(Tidy { tx })
    }
    async fn terminate(&mut self, _ctx: &mut Context, reason: &Term) {
        let _ = self.tx.send(reason.clone());
    }
}

#[tokio::test]
async fn stopping_an_application_runs_terminate_in_its_trapping_gen_servers() {
    let node = node("apptidy").await;
    let (tx, mut rx) = unbounded_channel();
    let tree = SupervisorSpec::new(Strategy::OneForOne).child(
        ChildSpec::worker(
            "tidy",
            ChildStart::gen_server_opts::<Tidy>(SpawnOptions::named("app_tidy"), tx),
        )
        .shutdown(Shutdown::Timeout(Duration::from_secs(30))),
    );
    let apps = node.applications();
    apps.load(ApplicationSpec::new("tidy_app").root_spec(tree))
        .expect("load");
    apps.start("tidy_app", StartType::Permanent)
        .await
        .expect("start");
    assert!(node.whereis("app_tidy").is_some());
    let t0 = std::time::Instant::now();
    apps.stop("tidy_app").await.expect("stop");
    assert!(t0.elapsed() < DEADLINE, "not killed after its timeout");
    let reason = tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("terminate ran")
        .expect("open");
    assert_eq!(reason, Term::atom("shutdown"));
    assert!(node.whereis("app_tidy").is_none());
    assert!(!node.is_stopped(), "an explicit stop is not a termination");
}
