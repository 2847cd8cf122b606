//! HTML building blocks of the observer's pages: escaping, the page frame with its menu, tables
//! and pid links. Owns markup only; must not read the node.

use std::fmt::Write as _;

use ergo_etf::Pid;

use crate::node::Node;

/// `text` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The path segment of a local pid's page (`0.42.0`).
pub(crate) fn pid_segment(pid: &Pid) -> String {
    format!("0.{}.{}", pid.id, pid.serial)
}

/// A pid as text, linked to its page when it is `node`'s own.
pub(crate) fn pid_link(node: &Node, pid: &Pid) -> String {
    let text = escape(&crate::inspect::pid_text(pid));
    if node.is_local(pid) {
        format!(
            "<a class=\"pid\" href=\"/process/{}\">{text}</a>",
            pid_segment(pid)
        )
    } else {
        format!("{text}@{}", escape(pid.node.as_str()))
    }
}

/// The pages of the menu: path and title.
const MENU: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/processes", "Processes"),
    ("/supervision", "Supervision"),
    ("/applications", "Applications"),
    ("/network", "Network"),
    ("/names", "Names, events, pg"),
    ("/logs", "Log"),
];

/// A whole page: the frame, the menu (with `current` marked), and `body`.
pub(crate) fn page(node: &Node, current: &str, title: &str, body: &str) -> String {
    let mut menu = String::new();
    for (path, name) in MENU {
        let class = if *path == current {
            " class=\"current\""
        } else {
            ""
        };
        let _ = write!(menu, "<a href=\"{path}\"{class}>{name}</a>");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {node}</title><style>{css}</style></head>\
         <body><header><span class=\"brand\">ergo observer</span>\
         <span class=\"node\" id=\"node-name\">{node}</span><nav>{menu}</nav></header>\
         <main><h1>{title}</h1>{body}</main><script>{js}</script></body></html>",
        title = escape(title),
        node = escape(node.name().as_str()),
        css = super::assets::CSS,
        js = super::assets::JS,
    )
}

/// A table with `headers` and pre-rendered cells; `id` names it for the sort and filter script.
pub(crate) fn table(id: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table id=\"{id}\" class=\"sortable\"><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A two-column key/value table.
pub(crate) fn pairs(id: &str, pairs: &[(String, String)]) -> String {
    let rows: Vec<Vec<String>> = pairs
        .iter()
        .map(|(k, v)| vec![escape(k), escape(v)])
        .collect();
    table(id, &["key", "value"], &rows)
}

/// A byte count for a person (`12.3 MiB`).
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}
