//! The observer's pages, each the body of one menu entry rendered from the inspect API. Owns
//! what each page shows; must not change the node (the action forms post to `routes.rs`).

use std::fmt::Write as _;

use ergo_etf::Pid;

use super::auth::Access;
use super::html::{bytes, escape, page, pairs, pid_link, pid_segment, table};
use crate::inspect::{pid_text, render_term, ChildNode, Inspector, SupervisorNode};

fn uptime(d: std::time::Duration) -> String {
    let s = d.as_secs();
    format!("{}h {:02}m {:02}s", s / 3600, s / 60 % 60, s % 60)
}

fn stat(id: &str, label: &str, value: &str) -> String {
    format!(
        "<div class=\"stat\"><b id=\"{id}\">{}</b>{}</div>",
        escape(value),
        escape(label)
    )
}

/// The overview: the node's summary and live charts.
pub(crate) fn overview(inspector: &Inspector) -> String {
    let node = inspector.node();
    let s = inspector.summary();
    let mut body = String::from("<div class=\"stats\">");
    body.push_str(&stat("live-uptime", "uptime", &uptime(s.uptime)));
    body.push_str(&stat(
        "live-processes",
        "processes",
        &s.processes.to_string(),
    ));
    body.push_str(&stat(
        "live-spawned",
        "spawned",
        &s.processes_spawned.to_string(),
    ));
    body.push_str(&stat(
        "live-memory",
        "resident memory",
        &s.memory_rss.map(bytes).unwrap_or_else(|| "n/a".into()),
    ));
    body.push_str(&stat(
        "live-handled",
        "messages handled",
        &s.messages_handled.to_string(),
    ));
    body.push_str(&stat(
        "live-connections",
        "connections",
        &if s.distributed {
            s.connections.to_string()
        } else {
            "not distributed".into()
        },
    ));
    body.push_str(&stat(
        "live-net",
        "network messages in / out",
        &format!("{} / {}", s.network_messages_in, s.network_messages_out),
    ));
    body.push_str("</div><h2>Last minutes</h2><div class=\"charts\">");
    for (series, label) in [
        ("processes", "processes"),
        ("memory_rss", "resident memory (bytes)"),
        ("messages_per_s", "messages handled / s"),
        ("network_per_s", "network messages / s"),
    ] {
        let _ = write!(
            body,
            "<div class=\"chart\"><canvas width=\"360\" height=\"140\" data-series=\"{series}\" data-label=\"{label}\"></canvas></div>"
        );
    }
    body.push_str("</div>");
    page(node, "/", "Overview", &body)
}

/// The process list, sortable and filterable.
pub(crate) fn processes(inspector: &Inspector) -> String {
    let node = inspector.node();
    let list = inspector.processes();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                pid_link(node, &p.pid),
                escape(p.name.as_ref().map(|n| n.as_str()).unwrap_or("")),
                escape(p.kind),
                escape(p.behaviour),
                p.mailbox_len.to_string(),
                p.messages_handled.to_string(),
                p.links.len().to_string(),
                p.monitors.len().to_string(),
                p.status.as_str().to_string(),
            ]
        })
        .collect();
    let body = format!(
        "<p><input type=\"search\" placeholder=\"filter\" data-filter=\"processes\" data-count=\"shown\"> \
         <span id=\"shown\">{n}</span> shown of <span id=\"process-count\">{n}</span></p>{}",
        table(
            "processes",
            &[
                "pid", "name", "kind", "behaviour", "mailbox", "handled", "links", "monitors",
                "status"
            ],
            &rows
        ),
        n = list.len()
    );
    page(node, "/processes", "Processes", &body)
}

fn pid_list(inspector: &Inspector, pids: &[Pid]) -> String {
    if pids.is_empty() {
        return "none".into();
    }
    pids.iter()
        .map(|p| pid_link(inspector.node(), p))
        .collect::<Vec<_>>()
        .join(", ")
}

fn token_field(access: &Access) -> String {
    match &access.token {
        Some(t) => format!(
            "<input type=\"hidden\" name=\"token\" value=\"{}\">",
            escape(t)
        ),
        None => "<input type=\"password\" name=\"token\" placeholder=\"token\" required>".into(),
    }
}

/// One process: its snapshot, links and monitors, its behaviour's inspect output, and the
/// send / exit / kill forms.
pub(crate) async fn process(inspector: &Inspector, pid: &Pid, access: &Access) -> Option<String> {
    let node = inspector.node();
    let detail = inspector.process(pid).await?;
    let info = &detail.info;
    let facts = vec![
        ("pid".to_string(), pid_text(&info.pid)),
        (
            "name".to_string(),
            info.name
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ),
        ("kind".to_string(), info.kind.to_string()),
        ("behaviour".to_string(), info.behaviour.to_string()),
        ("status".to_string(), info.status.as_str().to_string()),
        ("mailbox".to_string(), info.mailbox_len.to_string()),
        (
            "messages handled".to_string(),
            info.messages_handled.to_string(),
        ),
        ("trap_exit".to_string(), info.trap_exit.to_string()),
    ];
    let mut body = pairs("facts", &facts);
    let _ = write!(
        body,
        "<h2>Links</h2><p id=\"links\">{}</p><h2>Monitors</h2><p id=\"monitors\">{}</p>\
         <h2>Monitored by</h2><p id=\"monitored-by\">{}</p>",
        pid_list(inspector, &info.links),
        if info.monitor_targets.is_empty() {
            "none".to_string()
        } else {
            info.monitor_targets
                .iter()
                .map(|t| match t {
                    ergo_etf::Term::Pid(p) => pid_link(node, p),
                    other => escape(&render_term(other, 200)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        },
        pid_list(inspector, &info.monitored_by),
    );
    body.push_str("<h2>Inspect</h2>");
    if let Some(why) = &detail.inspect_error {
        let _ = write!(body, "<p class=\"error\">{}</p>", escape(why));
    } else if detail.inspect.is_empty() {
        body.push_str("<p>nothing to show (its behaviour has no <code>inspect</code>)</p>");
    } else {
        body.push_str(&pairs("inspect", &detail.inspect));
    }
    let seg = pid_segment(pid);
    let token = token_field(access);
    let _ = write!(
        body,
        "<h2>Act</h2>\
         <form class=\"inline\" method=\"post\" action=\"/process/{seg}/send\">{token}\
         <input name=\"message\" size=\"40\" placeholder=\"a term in Erlang syntax: {{hello, 1}}\" required>\
         <button id=\"send\">send</button></form>\
         <form class=\"inline\" method=\"post\" action=\"/process/{seg}/exit\">{token}\
         <input name=\"reason\" size=\"16\" value=\"shutdown\"><button id=\"exit\">exit</button></form>\
         <form class=\"inline\" method=\"post\" action=\"/process/{seg}/kill\">{token}\
         <button id=\"kill\">kill</button></form>"
    );
    let title = format!(
        "Process {}{}",
        pid_text(pid),
        info.name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    Some(page(node, "/processes", &title, &body))
}

fn child_item(inspector: &Inspector, child: &ChildNode, out: &mut String) {
    let id = child
        .id
        .as_ref()
        .map(|i| i.to_string())
        .unwrap_or_else(|| "(dynamic)".into());
    let pid = child
        .pid
        .as_ref()
        .map(|p| pid_link(inspector.node(), p))
        .unwrap_or_else(|| "undefined".into());
    let _ = write!(
        out,
        "<li class=\"child\" data-id=\"{}\"><b>{}</b> {pid} <span class=\"kind\">{:?} {:?}</span> \
         <span class=\"restarts\" data-restarts=\"{r}\">restarts: {r}</span>",
        escape(&id),
        escape(&id),
        child.kind,
        child.restart,
        r = child.restarts
    );
    if let Some(sub) = &child.supervisor {
        supervisor_list(inspector, sub, out);
    }
    out.push_str("</li>");
}

fn supervisor_list(inspector: &Inspector, sup: &SupervisorNode, out: &mut String) {
    let _ = write!(
        out,
        "<ul class=\"tree\" data-supervisor=\"{}\"><li class=\"supervisor\">{} {} \
         <span class=\"kind\">{}</span> <span class=\"restarts\">restarts: {}</span></li>",
        escape(&pid_text(&sup.pid)),
        pid_link(inspector.node(), &sup.pid),
        escape(sup.name.as_ref().map(|n| n.as_str()).unwrap_or("")),
        sup.strategy.as_str(),
        sup.restarts
    );
    match &sup.children {
        Some(children) => {
            for child in children {
                child_item(inspector, child, out);
            }
        }
        None => out.push_str("<li class=\"error\">did not answer in time</li>"),
    }
    out.push_str("</ul>");
}

/// The supervision trees.
pub(crate) async fn supervision(inspector: &Inspector) -> String {
    let trees = inspector.supervision_trees().await;
    let mut body = String::new();
    if trees.is_empty() {
        body.push_str("<p>no supervisors</p>");
    }
    for tree in &trees {
        supervisor_list(inspector, tree, &mut body);
    }
    page(inspector.node(), "/supervision", "Supervision trees", &body)
}

/// The running applications.
pub(crate) fn applications(inspector: &Inspector) -> String {
    let node = inspector.node();
    let rows: Vec<Vec<String>> = inspector
        .applications()
        .iter()
        .map(|a| {
            vec![
                escape(a.name.as_str()),
                escape(&a.description),
                escape(&a.version),
                pid_link(node, &a.master),
                a.root
                    .as_ref()
                    .map(|r| pid_link(node, r))
                    .unwrap_or_else(|| "none".into()),
                format!("{:?}", a.start_type),
            ]
        })
        .collect();
    let body = if rows.is_empty() {
        "<p>no running applications</p>".to_string()
    } else {
        table(
            "applications",
            &[
                "name",
                "description",
                "version",
                "master",
                "root",
                "start type",
            ],
            &rows,
        )
    };
    page(node, "/applications", "Applications", &body)
}

/// The network: listener, peers, handshake failures.
pub(crate) fn network(inspector: &Inspector) -> String {
    let node = inspector.node();
    let Some(n) = inspector.network() else {
        return page(
            node,
            "/network",
            "Network",
            "<p>This node is not distributed.</p>",
        );
    };
    let facts = vec![
        ("port".to_string(), n.port.to_string()),
        ("TLS".to_string(), n.tls.to_string()),
        (
            "messages in / out".to_string(),
            format!("{} / {}", n.messages_in, n.messages_out),
        ),
        (
            "bytes in / out".to_string(),
            format!("{} / {}", bytes(n.bytes_in), bytes(n.bytes_out)),
        ),
    ];
    let rows: Vec<Vec<String>> = n
        .peers
        .iter()
        .map(|p| {
            vec![
                escape(p.name.as_str()),
                p.hidden.to_string(),
                p.tls.to_string(),
                p.compression.to_string(),
                p.proxy.to_string(),
                p.messages_in.to_string(),
                p.messages_out.to_string(),
                bytes(p.bytes_in),
                bytes(p.bytes_out),
                p.atom_cache_entries.to_string(),
                escape(&p.flags.join(" ")),
            ]
        })
        .collect();
    let failures: Vec<(String, String)> = n
        .handshake_failures
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let body = format!(
        "{}<h2>Peers</h2>{}<h2>Handshake failures</h2>{}",
        pairs("listener", &facts),
        table(
            "peers",
            &[
                "node",
                "hidden",
                "TLS",
                "compression",
                "proxy",
                "msgs in",
                "msgs out",
                "bytes in",
                "bytes out",
                "atom cache",
                "flags"
            ],
            &rows
        ),
        if failures.is_empty() {
            "<p>none</p>".to_string()
        } else {
            pairs("handshake-failures", &failures)
        }
    );
    page(node, "/network", "Network", &body)
}

/// Registered names, events and pg groups.
pub(crate) fn names(inspector: &Inspector) -> String {
    let node = inspector.node();
    let names: Vec<Vec<String>> = inspector
        .registered()
        .iter()
        .map(|r| vec![escape(r.name.as_str()), pid_link(node, &r.pid)])
        .collect();
    let events: Vec<Vec<String>> = inspector
        .events()
        .iter()
        .map(|e| {
            vec![
                escape(e.name.as_str()),
                pid_link(node, &e.owner),
                e.subscribers.to_string(),
            ]
        })
        .collect();
    let groups: Vec<Vec<String>> = inspector
        .pg_groups()
        .iter()
        .map(|g| {
            vec![
                escape(g.scope.as_str()),
                escape(&render_term(&g.group, 200)),
                g.members.len().to_string(),
                pid_list(inspector, &g.local_members),
            ]
        })
        .collect();
    let body = format!(
        "<h2>Registered names</h2>{}<h2>Events</h2>{}<h2>pg groups</h2>{}",
        table("names", &["name", "pid"], &names),
        table("events", &["event", "owner", "subscribers"], &events),
        table(
            "groups",
            &["scope", "group", "members", "local members"],
            &groups
        ),
    );
    page(node, "/names", "Names, events and pg groups", &body)
}

/// The live log view (the lines so far, then the stream).
pub(crate) fn logs(inspector: &Inspector) -> String {
    let mut body = String::from(
        "<p>The last lines of the program's log (the <code>observer</code> log layer must be in \
         its subscriber: <code>ergo::logging::init</code> adds it), then new ones as they come.</p>\
",
    );
    let lines = super::logs::lines_after(0);
    let last = lines.last().map_or(0, |l| l.seq);
    let _ = write!(body, "<div id=\"log\" data-after=\"{last}\">");
    for line in lines {
        let _ = write!(
            body,
            "<div class=\"{}\">{} {} {}: {}</div>",
            line.level,
            line.unix_ms,
            line.level,
            escape(&line.target),
            escape(&line.text)
        );
    }
    body.push_str("</div>");
    page(inspector.node(), "/logs", "Log", &body)
}
