//! The observer's HTTP server: pages, access rules, actions and `/metrics`, through a minimal
//! HTTP/1.1 client (one request per connection).

use std::net::SocketAddr;
use std::time::Duration;

use ergo::{Node, NodeOptions, ObserverOptions, Term};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::tree::{child_pid, child_restarts, shop_tree, start_tree};
use crate::common;
use crate::common::wait::eventually;

const DEADLINE: Duration = Duration::from_secs(5);
pub const TOKEN: &str = "s3cret-token-for-tests";

/// A response: status, headers (lower-case names), body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request to `addr`: `method path`, extra header lines, and a form body for POSTs.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Response {
    let fut = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("a response");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect::<Vec<_>>();
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            unchunk(body)
        } else {
            body.to_string()
        };
        Response {
            status,
            headers,
            body,
        }
    };
    tokio::time::timeout(DEADLINE, fut)
        .await
        .expect("the observer answered in time")
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub async fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, "", "").await
}

/// A node serving its observer on 127.0.0.1 (a free port) with [`TOKEN`], running the tree.
pub async fn observed_node(prefix: &str) -> (Node, SocketAddr) {
    let options = NodeOptions {
        observer: Some(ObserverOptions::new(([127, 0, 0, 1], 0).into()).with_token(TOKEN)),
        ..NodeOptions::default()
    };
    let node = common::start_node(prefix, options).await;
    start_tree(&node).await;
    let addr = ergo::observer::local_addr(&node).expect("serving");
    (node, addr)
}

fn segment(pid: &ergo::Pid) -> String {
    format!("0.{}.{}", pid.id, pid.serial)
}

#[tokio::test]
async fn pages_render_the_node_on_loopback_without_the_token() {
    let (node, addr) = observed_node("obs_pages").await;
    let url = ergo::observer::url(&node).expect("serving");
    assert_eq!(url, format!("http://{addr}/?token={TOKEN}"));
    let overview = get(addr, "/").await;
    assert_eq!(overview.status, 200);
    assert!(overview.body.contains(node.name().as_str()));
    assert!(overview.body.contains("data-series=\"processes\""));
    let list = get(addr, "/processes").await;
    assert_eq!(list.status, 200);
    for name in ["counter", "shop_sup", "gen_server", "supervisor"] {
        assert!(
            list.body.contains(name),
            "{name} missing from the process list"
        );
    }
    let counter = node.whereis("counter").expect("counter");
    let _: i64 = node.call(counter.clone(), 7i64).await.expect("call");
    let page = get(addr, &format!("/process/{}", segment(&counter))).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<td>count</td><td>7</td>"),
        "{}",
        page.body
    );
    // Read without the token: the action forms ask for it instead of carrying it.
    assert!(!page.body.contains(TOKEN));
    assert!(page.body.contains("type=\"password\" name=\"token\""));
    let with_token = get(
        addr,
        &format!("/process/{}?token={TOKEN}", segment(&counter)),
    )
    .await;
    assert!(with_token
        .header("set-cookie")
        .is_some_and(|c| c.contains("HttpOnly") && c.contains("SameSite=Strict")));
    assert!(with_token.body.contains(&format!("value=\"{TOKEN}\"")));
    let sup = get(addr, "/supervision").await;
    assert!(sup.body.contains("data-id=\"leaf\"") && sup.body.contains("inner_sup"));
    let apps = get(addr, "/applications").await;
    assert!(apps.body.contains("<td>shop</td>") && apps.body.contains("1.2.3"));
    assert!(get(addr, "/network").await.body.contains("not distributed"));
    assert!(get(addr, "/names").await.body.contains("<td>shop_sup</td>"));
    assert_eq!(get(addr, "/logs").await.status, 200);
    assert_eq!(get(addr, "/process/0.999999.0").await.status, 404);
    assert_eq!(get(addr, "/process/garbage").await.status, 404);
    node.stop();
}

#[tokio::test]
async fn actions_need_the_token_in_a_post() {
    let (node, addr) = observed_node("obs_act").await;
    let tree = shop_tree(&node).await;
    let idle = child_pid(&tree, "idle").expect("idle");
    let kill = format!("/process/{}/kill", segment(&idle));
    // A GET does not act, a POST without the token or with a wrong one neither, and the
    // cookie alone is not enough.
    assert_eq!(get(addr, &kill).await.status, 405);
    assert_eq!(request(addr, "POST", &kill, "", "").await.status, 403);
    assert_eq!(
        request(addr, "POST", &kill, "", "token=wrong-token-123")
            .await
            .status,
        403
    );
    let cookie = format!("Cookie: ergo_observer_token={TOKEN}\r\n");
    assert_eq!(request(addr, "POST", &kill, &cookie, "").await.status, 403);
    assert!(node.is_alive(&idle));
    let done = request(addr, "POST", &kill, "", &format!("token={TOKEN}")).await;
    assert_eq!(done.status, 303);
    eventually("the killed child is restarted", DEADLINE, || {
        let node = node.clone();
        async move {
            let tree = shop_tree(&node).await;
            child_restarts(&tree, "idle") == Some(1)
        }
    })
    .await;
    assert!(!node.is_alive(&idle));

    // Send: the message is Erlang text; a message that does not parse is refused.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let target = node
        .spawn(Default::default(), move |mut ctx| async move {
            while let Ok(env) = ctx.recv().await {
                let _ = tx.send(env.into_term());
            }
            Term::atom("normal")
        })
        .expect("spawn");
    let send = format!("/process/{}/send", segment(&target));
    let bad = request(
        addr,
        "POST",
        &send,
        "",
        &format!("token={TOKEN}&message=%7Bhello"),
    )
    .await;
    assert_eq!(bad.status, 400);
    let ok = request(
        addr,
        "POST",
        &send,
        "",
        &format!("token={TOKEN}&message=%7Bhello%2C+%5B1%2C2%5D%2C+%3C%3C%22x%22%3E%3E%7D"),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let got = common::wait::next(&mut rx).await;
    assert_eq!(got.to_string(), "{hello,[1,2],<<\"x\">>}");

    // Exit with a reason.
    let exit = format!("/process/{}/exit", segment(&target));
    let ok = request(
        addr,
        "POST",
        &exit,
        "x-ergo-token: s3cret-token-for-tests\r\n",
        "reason=kill",
    )
    .await;
    assert_eq!(ok.status, 303);
    eventually("the target is gone", DEADLINE, || {
        let alive = node.is_alive(&target);
        async move { !alive }
    })
    .await;
    node.stop();
}

#[tokio::test]
async fn an_observer_off_loopback_needs_the_token_to_read() {
    let options = NodeOptions {
        observer: Some(ObserverOptions::new(([0, 0, 0, 0], 0).into()).with_token(TOKEN)),
        ..NodeOptions::default()
    };
    let node = common::start_node("obs_open", options).await;
    let port = ergo::observer::local_addr(&node).expect("serving").port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    assert_eq!(get(addr, "/").await.status, 403);
    assert_eq!(get(addr, "/metrics").await.status, 403);
    assert_eq!(get(addr, "/?token=nope-nope-nope").await.status, 403);
    assert_eq!(get(addr, &format!("/?token={TOKEN}")).await.status, 200);
    let cookie = format!("Cookie: ergo_observer_token={TOKEN}\r\n");
    assert_eq!(
        request(addr, "GET", "/processes", &cookie, "").await.status,
        200
    );
    node.stop();
}

#[tokio::test]
async fn metrics_are_scraped_in_prometheus_text() {
    let (node, addr) = observed_node("obs_metrics").await;
    let tree = shop_tree(&node).await;
    let leaf = child_pid(&tree, "leaf").expect("leaf");
    node.send_exit(&leaf, Term::atom("kill"));
    eventually("the leaf is restarted", DEADLINE, || {
        let node = node.clone();
        async move { child_restarts(&shop_tree(&node).await, "leaf") == Some(1) }
    })
    .await;
    let scrape = get(addr, "/metrics").await;
    assert_eq!(scrape.status, 200);
    assert!(scrape
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/openmetrics-text")));
    let text = scrape.body;
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    let processes = value("ergo_processes ");
    assert!(
        (processes - node.process_count() as f64).abs() <= 1.0,
        "{processes}"
    );
    assert_eq!(value("ergo_mailbox_length_count "), processes);
    assert!(value("ergo_messages_handled_total ") > 0.0);
    let counter = node.whereis("counter").expect("counter");
    for _ in 0..16 {
        let _: i64 = node.call(counter.clone(), 1i64).await.expect("call");
    }
    let text = get(addr, "/metrics").await.body;
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    assert_eq!(value("ergo_calls_handled_total "), 16.0);
    assert_eq!(value("ergo_call_duration_seconds_count "), 1.0);
    assert_eq!(
        value("ergo_call_duration_seconds_bucket{le=\"+Inf\"} "),
        1.0
    );
    assert!(text.contains("ergo_mailbox_length_bucket{le=\"0.0\"}"));
    let restarts: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ergo_supervisor_restarts_total{"))
        .collect();
    assert_eq!(restarts.len(), 2, "{restarts:?}");
    assert!(restarts
        .iter()
        .any(|l| l.contains("name=\"shop_sup\"") && l.ends_with(" 0")));
    assert!(restarts
        .iter()
        .any(|l| l.contains("name=\"\"") && l.ends_with(" 1")));
    assert!(text.trim_end().ends_with("# EOF"));
    node.stop();
}
