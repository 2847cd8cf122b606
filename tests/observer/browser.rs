//! The observer's pages in a real browser: Debian's headless Chromium (installed by .ci/run)
//! loads each page of a node running the test tree, the test reads the DOM Chromium built
//! (`--dump-dom`, after the page's script ran), clicks a process page's kill button (over the
//! DevTools protocol, `devtools.rs`) and checks that the supervisor restarted the child, and saves screenshots under
//! `target/observer-screenshots/` (the one of the overview is docs/observer.png).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::devtools::Browser;
use super::http::{observed_node, TOKEN};
use super::tree::{child_pid, child_restarts, shop_tree};
use crate::common;
use crate::common::wait::eventually;

/// Chromium's program name, if installed; under CI a missing one fails the test.
fn chromium() -> Option<&'static str> {
    for program in ["chromium", "chromium-browser"] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {program} >/dev/null 2>&1"))
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return Some(program);
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("chromium is not installed, and CI is set: .ci/run must install it");
    }
    eprintln!("SKIPPED browser tests: chromium is not installed (apt-get install -y chromium)");
    None
}

/// Runs headless Chromium on `url` with `extra` arguments, in its own profile directory;
/// returns its stdout.
async fn run_chromium(program: &'static str, url: String, extra: Vec<String>) -> String {
    let profile = common::temp_dir("chromium");
    let what = format!("chromium {url}");
    let finished = tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(program);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            // Three seconds of the page's own time: its event streams reconnect and bring samples.
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(&extra)
        .arg(&url);
        let out = common::run_within(cmd, Duration::from_secs(60), &what);
        let _ = std::fs::remove_dir_all(&profile);
        out
    })
    .await
    .expect("chromium runner");
    assert!(
        finished.status.success(),
        "chromium failed: {}",
        finished.stderr
    );
    finished.stdout
}

async fn dom(program: &'static str, addr: SocketAddr, path: &str) -> String {
    run_chromium(
        program,
        format!("http://{addr}{path}"),
        vec!["--dump-dom".into()],
    )
    .await
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("observer-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The text between `start` and the next `end` in `text`.
fn text_between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The text of the element with `id` in a dumped DOM.
fn text_of(dom: &str, id: &str) -> Option<String> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let rest = &dom[start..];
    let open = rest.find('>')? + 1;
    let close = rest[open..].find('<')?;
    Some(rest[open..open + close].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_every_page_and_a_kill_from_the_page_restarts_the_child() {
    let Some(program) = chromium() else {
        return;
    };
    let (node, addr) = observed_node("obs_browser").await;

    // The overview: the live charts' script ran and got samples from the event stream.
    let overview = dom(program, addr, "/").await;
    assert!(overview.contains(node.name().as_str()));
    assert_eq!(overview.matches("<canvas").count(), 4);
    let samples: u32 = text_between(&overview, "data-samples=\"", "\"")
        .and_then(|n| n.parse().ok())
        .expect("the page's script counted the samples it got");
    assert!(samples >= 1);
    let shown = text_of(&overview, "live-processes").expect("the process count");
    assert_eq!(shown.parse::<usize>().ok(), Some(node.process_count()));

    // The process list: one row per process, the count the node gives, sortable headers.
    let list = dom(program, addr, "/processes").await;
    let rows = list.matches("<a class=\"pid\"").count();
    assert_eq!(rows, node.process_count(), "one row per process");
    assert_eq!(
        text_of(&list, "process-count").and_then(|n| n.parse().ok()),
        Some(node.process_count())
    );

    // The supervision tree: root, nested supervisor, its child.
    let tree = dom(program, addr, "/supervision").await;
    for id in ["counter", "idle", "inner_sup", "leaf"] {
        assert!(
            tree.contains(&format!("data-id=\"{id}\"")),
            "{id} not in the tree"
        );
    }
    for path in ["/applications", "/network", "/names", "/logs"] {
        let page = dom(program, addr, path).await;
        assert!(page.contains("ergo observer"), "{path} did not render");
    }
    let counter = node.whereis("counter").expect("counter");
    let page = dom(
        program,
        addr,
        &format!("/process/0.{}.{}", counter.id, counter.serial),
    )
    .await;
    assert!(page.contains("<td>count</td><td>0</td>"), "inspect output");

    // A kill from the process page: the browser opens the observer's page of a child (with the
    // token, as the URL the node prints carries it) and clicks its kill button, as a user
    // would; the supervisor restarts the child and the browser lands on the supervision page.
    let idle = child_pid(&shop_tree(&node).await, "idle").expect("idle");
    let mut browser = Browser::start(program);
    let page = browser
        .open(&format!(
            "http://{addr}/process/0.{}.{}?token={TOKEN}",
            idle.id, idle.serial
        ))
        .await;
    browser
        .wait_for(
            &page,
            "document.getElementById('kill') !== null",
            "the process page shows its kill button",
        )
        .await;
    browser
        .evaluate(&page, "document.getElementById('kill').click()")
        .await;
    eventually(
        "the child killed from the page is restarted",
        Duration::from_secs(30),
        || {
            let node = node.clone();
            async move { child_restarts(&shop_tree(&node).await, "idle") == Some(1) }
        },
    )
    .await;
    assert!(!node.is_alive(&idle));
    browser
        .wait_for(
            &page,
            "document.readyState === 'complete' && document.body.innerText.includes('Supervision trees')",
            "the browser lands on the supervision page",
        )
        .await;
    drop(browser);

    // Screenshots, the test's artifacts.
    let dir = screenshots();
    for (name, path) in [
        ("overview", "/"),
        ("processes", "/processes"),
        ("supervision", "/supervision"),
    ] {
        let file = dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&file);
        run_chromium(
            program,
            format!("http://{addr}{path}"),
            vec![
                format!("--screenshot={}", file.display()),
                "--window-size=1280,800".into(),
            ],
        )
        .await;
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{name} screenshot is {size} bytes");
    }
    node.stop();
}
