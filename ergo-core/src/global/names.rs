//! `global`'s name table on this node: name -> (pid, resolve method, monitor), every pid
//! monitored so a name goes when its process does; the `ops` lists (`{insert, {Name, Pid,
//! Method}}`, `{delete, Name}`) peers exchange; and the name-clash resolution of
//! `exchange_names`. Owns the table and keeps the shared view in step; must not speak the
//! connect protocol.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ergo_etf::{Atom, Export, FromTerm, IntoTerm, Pid, Reference, Term};

use super::protocol::{Badrpc, NameEntry, NameOp, RpcCall};
use super::Shared;
use crate::node::{Context, Dest};

/// One registered name.
struct Entry {
    pid: Pid,
    method: Term,
    monitor: Reference,
}

/// The name table.
pub(crate) struct Names {
    table: BTreeMap<Term, Entry>,
    by_monitor: HashMap<Reference, Term>,
    shared: Arc<Shared>,
}

/// `fun global:random_exit_name/3`, the method of names registered from Rust.
pub(crate) fn default_method() -> Term {
    Term::Export(Box::new(Export {
        module: Atom::new("global"),
        function: Atom::new("random_exit_name"),
        arity: 3,
    }))
}

fn insert_op(name: Term, pid: Pid, method: Term) -> Term {
    NameOp::Insert((name, pid, method)).into_term()
}

impl Names {
    pub(crate) fn new(shared: Arc<Shared>) -> Names {
        Names {
            table: BTreeMap::new(),
            by_monitor: HashMap::new(),
            shared,
        }
    }

    fn publish(&self) {
        self.shared.set_names(
            self.table
                .iter()
                .map(|(n, e)| (n.clone(), e.pid.clone()))
                .collect(),
        );
    }

    /// `ins_name`: `name` now means `pid` (replacing what it meant), monitored.
    pub(crate) fn insert(&mut self, ctx: &Context, name: Term, pid: Pid, method: Term) {
        self.remove_quietly(ctx, &name);
        let monitor = ctx.monitor(pid.clone());
        self.by_monitor.insert(monitor.clone(), name.clone());
        self.table.insert(
            name,
            Entry {
                pid,
                method,
                monitor,
            },
        );
        self.publish();
    }

    fn remove_quietly(&mut self, ctx: &Context, name: &Term) -> bool {
        match self.table.remove(name) {
            Some(entry) => {
                ctx.demonitor(&entry.monitor);
                self.by_monitor.remove(&entry.monitor);
                true
            }
            None => false,
        }
    }

    /// `delete_global_name2`: `name` is no longer registered here.
    pub(crate) fn remove(&mut self, ctx: &Context, name: &Term) {
        if self.remove_quietly(ctx, name) {
            self.publish();
        }
    }

    /// A monitored process went: its name goes (here; every node does the same). True if
    /// `mref` was a name's monitor.
    pub(crate) fn down(&mut self, mref: &Reference) -> bool {
        let Some(name) = self.by_monitor.remove(mref) else {
            return false;
        };
        if self.table.get(&name).is_some_and(|e| &e.monitor == mref) {
            self.table.remove(&name);
            self.publish();
        }
        true
    }

    /// A node went down: the names of its processes go.
    pub(crate) fn node_down(&mut self, ctx: &Context, node: &Atom) {
        let gone: Vec<Term> = self
            .table
            .iter()
            .filter(|(_, e)| &e.pid.node == node)
            .map(|(n, _)| n.clone())
            .collect();
        if gone.is_empty() {
            return;
        }
        for name in &gone {
            self.remove_quietly(ctx, name);
        }
        self.publish();
    }

    /// `get_names()`: `[{Name, Pid, Method}]`, what this node sends in `exchange`.
    pub(crate) fn name_list(&self) -> Vec<NameEntry> {
        self.table
            .iter()
            .map(|(name, e)| NameEntry {
                name: name.clone(),
                pid: e.pid.clone(),
                method: e.method.clone(),
            })
            .collect()
    }

    /// `do_ops`: applies `{insert, {Name, Pid, Method}}` and `{delete, Name}` operations.
    /// `keep` decides, per insert, whether `global`'s lock check lets it stand.
    pub(crate) fn apply_ops(&mut self, ctx: &Context, ops: &[Term], keep: bool) {
        for op in ops {
            match NameOp::from_term(op.clone()) {
                Ok(NameOp::Insert((name, pid, method))) => {
                    if keep {
                        self.insert(ctx, name, pid, method);
                    } else {
                        self.remove(ctx, &name);
                    }
                }
                Ok(NameOp::Delete(name)) => self.remove(ctx, &name),
                Err(_) => tracing::debug!(%op, "unknown global op ignored"),
            }
        }
    }

    /// `exchange_names`: compares `his` names (from `his_node`) with ours and returns `(Ops,
    /// Resolved)`: what we apply (and forward), and what we send back for him to apply. Clashes
    /// are resolved here only when this node's name is the smaller one, as in `global`.
    pub(crate) async fn exchange(
        &self,
        ctx: &Context,
        his: Vec<NameEntry>,
        his_node: &Atom,
    ) -> (Vec<Term>, Vec<Term>) {
        let mut ops = Vec::new();
        let mut resolved = Vec::new();
        let we_resolve = ctx.node().name() < his_node;
        for NameEntry { name, pid, method } in his {
            let Some(ours) = self.table.get(&name) else {
                ops.push(insert_op(name, pid, method));
                continue;
            };
            if ours.pid == pid || !we_resolve {
                continue;
            }
            let (pid2, method2) = (ours.pid.clone(), ours.method.clone());
            match resolve(ctx, &name, &pid, &pid2, &method2).await {
                Resolution::Keep(p) if p == pid => ops.push(insert_op(name, pid, method)),
                Resolution::Keep(_) => resolved.push(insert_op(name, pid2, method2)),
                Resolution::Neither => {
                    let op = NameOp::Delete(name).into_term();
                    ops.push(op.clone());
                    resolved.push(op);
                }
            }
        }
        (ops, resolved)
    }
}

/// The outcome of a clash.
enum Resolution {
    /// This pid keeps the name.
    Keep(Pid),
    /// Nobody keeps it.
    Neither,
}

/// Resolves a clash on `name` between `pid` (his) and `pid2` (ours, with `method2`), as
/// `exchange_names` does: by `global:resolve_it(Method2, Name, Pid, Pid2)` on `pid2`'s node when
/// that is an Erlang node, by `random_exit_name`'s rule when `pid2` is ours.
async fn resolve(ctx: &Context, name: &Term, pid: &Pid, pid2: &Pid, method2: &Term) -> Resolution {
    let node = ctx.node();
    if node.is_local(pid2) {
        let (min, max) = if pid.node < pid2.node {
            (pid, pid2)
        } else {
            (pid2, pid)
        };
        tracing::info!(%name, max = %Term::Pid(max.clone()), "global: name conflict, terminating");
        ctx.exit(max, Term::atom("kill"));
        return Resolution::Keep(min.clone());
    }
    let args = vec![
        method2.clone(),
        name.clone(),
        Term::Pid(pid.clone()),
        Term::Pid(pid2.clone()),
    ];
    // rpc:call(Node, global, resolve_it, Args) is a call to that node's `rex` server.
    let rex = Dest::Remote {
        name: Atom::new("rex"),
        node: pid2.node.clone(),
    };
    let request = RpcCall {
        module: Atom::new("global"),
        function: Atom::new("resolve_it"),
        args,
        group_leader: Atom::new("user"),
    };
    let answer = match node
        .call_timeout::<Term>(rex, request, Duration::from_secs(5))
        .await
    {
        Ok(reply) if Badrpc::from_term(reply.clone()).is_ok() => Err(reply.to_string()),
        Ok(reply) => Ok(reply),
        Err(err) => Err(err.to_string()),
    };
    match answer {
        Ok(Term::Pid(p)) if &p == pid || &p == pid2 => Resolution::Keep(p),
        Ok(other) => {
            tracing::info!(%name, %other, "global: resolve method gave no pid; name deleted");
            Resolution::Neither
        }
        Err(err) => {
            tracing::info!(%name, %err, "global: badrpc resolving a name conflict");
            Resolution::Keep(pid.clone())
        }
    }
}
