//! Functions of OTP's own modules that Erlang tools call on a node through `rpc`/`erpc` (the
//! shell, `observer`, `recon`...), answered by the node itself when no provided function has the
//! name: `erlang:node/0`, `nodes/0`, `processes/0`, `registered/0`, `whereis/1`, `memory/0`,
//! `process_info/2` and `application:which_applications/0`. Results have OTP's shapes; what the
//! node cannot know is left out or refused (`badarg`), never made up. Owns these answers; must
//! not run user code.

use ergo_etf::{Atom, Charlist, Pid, Term};

use crate::node::Node;

/// The answer of a built-in `module:function(args)`: `Some(Ok(value))`, `Some(Err(reason))` for
/// an `error:Reason` exception, or `None` when no built-in has that name and arity.
pub(super) fn call(
    node: &Node,
    module: &Atom,
    function: &Atom,
    args: &[Term],
) -> Option<Result<Term, Term>> {
    match (module.as_str(), function.as_str(), args) {
        ("erlang", "node", []) => Some(Ok(Term::Atom(node.name().clone()))),
        ("erlang", "nodes", []) => Some(Ok(atoms(node.nodes()))),
        ("erlang", "processes", []) => Some(Ok(Term::list(
            node.processes()
                .into_iter()
                .map(Term::Pid)
                .collect::<Vec<_>>(),
        ))),
        ("erlang", "registered", []) => Some(Ok(atoms(node.registered()))),
        ("erlang", "whereis", [name]) => Some(whereis(node, name)),
        ("erlang", "memory", []) => Some(memory()),
        ("erlang", "process_info", [pid, items]) => Some(process_info(node, pid, items)),
        ("application", "which_applications", []) => Some(Ok(which_applications(node))),
        _ => None,
    }
}

fn atoms(list: Vec<Atom>) -> Term {
    Term::list(list.into_iter().map(Term::Atom).collect::<Vec<_>>())
}

fn badarg() -> Term {
    Term::atom("badarg")
}

/// `erlang:whereis(Name)`: the pid, or `undefined`.
fn whereis(node: &Node, name: &Term) -> Result<Term, Term> {
    let name = name.as_atom().ok_or_else(badarg)?;
    Ok(node
        .whereis(name.as_str())
        .map(Term::Pid)
        .unwrap_or_else(|| Term::atom("undefined")))
}

/// `erlang:memory()`: only `total`, this OS process's resident memory (from `/proc/self/status`),
/// because the node does not account memory by kind as the BEAM does; `notsup` where the OS does
/// not say.
fn memory() -> Result<Term, Term> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|_| Term::atom("notsup"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<i64>()
                .ok()
        })
        .ok_or_else(|| Term::atom("notsup"))?;
    Ok(Term::list(vec![Term::tuple(vec![
        Term::atom("total"),
        Term::Int(kib * 1024),
    ])]))
}

/// `erlang:process_info(Pid, Item | [Item])` for a local pid: `undefined` for a dead process,
/// `badarg` for another node's pid or an item the node does not know.
fn process_info(node: &Node, pid: &Term, items: &Term) -> Result<Term, Term> {
    let Term::Pid(pid) = pid else {
        return Err(badarg());
    };
    if !node.is_local(pid) {
        return Err(badarg());
    }
    let Some(info) = node.process_info(pid) else {
        return Ok(Term::atom("undefined"));
    };
    match items {
        Term::Atom(item) => info_item(&info, item),
        Term::List(list) => list
            .iter()
            .map(|item| {
                item.as_atom()
                    .ok_or_else(badarg)
                    .and_then(|a| info_item(&info, a))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Term::list),
        _ => Err(badarg()),
    }
}

fn info_item(info: &crate::node::ProcessInfo, item: &Atom) -> Result<Term, Term> {
    let pids = |pids: &[Pid]| Term::list(pids.iter().cloned().map(Term::Pid).collect::<Vec<_>>());
    let value = match item.as_str() {
        // OTP answers [] (not a tuple) for a process without a name.
        "registered_name" => {
            return Ok(match &info.name {
                Some(name) => Term::tuple(vec![Term::Atom(item.clone()), Term::Atom(name.clone())]),
                None => Term::nil(),
            })
        }
        "message_queue_len" => Term::Int(info.mailbox_len as i64),
        "links" => pids(&info.links),
        "monitored_by" => pids(&info.monitored_by),
        "monitors" => Term::list(
            info.monitor_targets
                .iter()
                .map(|who| Term::tuple(vec![Term::atom("process"), who.clone()]))
                .collect::<Vec<_>>(),
        ),
        "trap_exit" => Term::atom(if info.trap_exit { "true" } else { "false" }),
        _ => return Err(badarg()),
    };
    Ok(Term::tuple(vec![Term::Atom(item.clone()), value]))
}

/// `application:which_applications()`: `[{Name, Description, Vsn}]`, strings as charlists.
fn which_applications(node: &Node) -> Term {
    Term::list(
        node.applications()
            .which_applications()
            .into_iter()
            .map(|app| {
                Term::tuple(vec![
                    Term::Atom(app.name),
                    Charlist::encode(&app.description),
                    Charlist::encode(&app.version),
                ])
            })
            .collect::<Vec<_>>(),
    )
}
