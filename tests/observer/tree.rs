//! What the observer tests look at: a node running a small supervision tree (an application
//! whose root supervisor has a counter gen_server with an `inspect` callback, a plain worker
//! and a nested supervisor with one worker), and helpers to find its parts.

use std::time::Duration;

use ergo::inspect::SupervisorNode;
use ergo::{
    gen_server, ApplicationSpec, ChildSpec, ChildStart, Context, Node, Pid, SpawnOptions,
    StartType, Strategy, SupervisorSpec, Term,
};

/// The counter: `call(N)` adds N; its `inspect` shows the count.
pub struct Counter {
    count: i64,
}

#[gen_server]
impl Counter {
    async fn init(start: i64) -> Result<Self, Term> {
        Ok(Counter { count: start })
    }

    async fn handle_call(&mut self, add: i64, _from: ergo::ReplyTo) -> ergo::Reply<i64> {
        self.count += add;
        ergo::Reply::ok(self.count)
    }

    fn inspect(&self) -> Vec<(String, String)> {
        vec![("count".to_string(), self.count.to_string())]
    }
}

/// A worker that waits for messages and forwards each to `tell` (when given).
pub fn waiter() -> ChildStart {
    ChildStart::process(|mut ctx: Context| async move {
        loop {
            match ctx.recv().await {
                Ok(_) => {}
                Err(reason) => return reason,
            }
        }
    })
}

/// Starts the `shop` application: root supervisor `shop_sup` (one_for_one) with `counter`
/// (registered as `counter`), `idle` and `inner_sup` (one_for_one) holding `leaf`.
pub async fn start_tree(node: &Node) {
    let inner = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10)
        .child(ChildSpec::worker("leaf", waiter()));
    let root = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10)
        .period(Duration::from_secs(60))
        .child(ChildSpec::worker(
            "counter",
            ChildStart::gen_server_opts::<Counter>(SpawnOptions::named("counter"), 0),
        ))
        .child(ChildSpec::worker("idle", waiter()))
        .child(ChildSpec::supervisor(
            "inner_sup",
            ChildStart::supervisor_spec(inner),
        ));
    let spec = ApplicationSpec::new("shop")
        .description("a small tree for the observer tests")
        .version("1.2.3")
        .root(ChildStart::new(move |cx| {
            let root = root.clone();
            async move {
                let options = cx.linked(&SpawnOptions::named("shop_sup"));
                cx.node
                    .start_supervisor_spec(root, options)
                    .await
                    .map(Some)
                    .map_err(|e| Term::binary(e.to_string().into_bytes()))
            }
        }));
    let apps = node.applications();
    apps.load(spec).expect("load shop");
    apps.start("shop", StartType::Temporary)
        .await
        .expect("start shop");
}

/// The pid of child `id` anywhere in `tree`.
pub fn child_pid(tree: &SupervisorNode, id: &str) -> Option<Pid> {
    for child in tree.children.as_deref().unwrap_or(&[]) {
        if child.id.as_ref().is_some_and(|i| i.as_str() == id) {
            return child.pid.clone();
        }
        if let Some(sub) = &child.supervisor {
            if let Some(p) = child_pid(sub, id) {
                return Some(p);
            }
        }
    }
    None
}

/// The restart count of child `id` anywhere in `tree`.
pub fn child_restarts(tree: &SupervisorNode, id: &str) -> Option<u64> {
    for child in tree.children.as_deref().unwrap_or(&[]) {
        if child.id.as_ref().is_some_and(|i| i.as_str() == id) {
            return Some(child.restarts);
        }
        if let Some(sub) = &child.supervisor {
            if let Some(n) = child_restarts(sub, id) {
                return Some(n);
            }
        }
    }
    None
}

/// The tree rooted at the supervisor registered as `shop_sup`.
pub async fn shop_tree(node: &Node) -> SupervisorNode {
    let trees = node.inspector().supervision_trees().await;
    trees
        .into_iter()
        .find(|t| t.name.as_ref().is_some_and(|n| n.as_str() == "shop_sup"))
        .expect("the shop tree is a root")
}
