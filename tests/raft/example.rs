//! The `raft` example end to end: three of them (each its own OS process, registered with the
//! system EPMD) driven from a real `erl` through `raft_driver.erl`: leader and members agreed,
//! puts from every node read everywhere, `not_found`, then the leader's OS process killed
//! (SIGKILL) and the survivors electing a new leader with every acknowledged put kept, and the
//! killed node restarted on its file log (`--data`) serving every put again.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, ChildGuard, ErlNode, Output};

struct RaftNode {
    name: String,
    dir: std::path::PathBuf,
    guard: Option<ChildGuard>,
    _output: Output,
}

/// Starts a `raft` example node and waits until it prints `ready`.
async fn start_node(name: &str, cookie: &str, peers: &str, dir: &std::path::Path) -> RaftNode {
    let mut child = Command::new(common::example_binary("raft"))
        .args(["--name", name, "--cookie", cookie, "--peers", peers])
        .arg("--data")
        .arg(dir)
        .stdout(Stdio::piped())
        .env("RUST_LOG", "warn,openraft=error")
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the raft example");
    let output = Output::of(&mut child, name);
    let guard = ChildGuard(child);
    output
        .wait_line_async("ready", Duration::from_secs(30))
        .await;
    RaftNode {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        guard: Some(guard),
        _output: output,
    }
}

/// Waits (10 s at most) until EPMD no longer lists `node` (it drops a name when the node's
/// registration socket closes), so the same name can register again.
async fn epmd_forgets(node: &str) {
    let short = node.split('@').next().unwrap_or(node).to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names = Command::new("epmd")
            .arg("-names")
            .output()
            .expect("epmd -names");
        let listed = String::from_utf8_lossy(&names.stdout)
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(short.as_str()));
        if !listed {
            return;
        }
        assert!(Instant::now() < deadline, "EPMD still lists {node}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_example_nodes_driven_from_erl_survive_a_killed_leader() {
    if !common::require_erl("raft example") {
        return;
    }
    common::ensure_system_epmd();
    let cookie = common::unique_name("raft_cookie");
    let names: Vec<String> = (0..3).map(|_| common::node_name("raft_ex")).collect();
    let peers = names.join(",");
    let mut nodes: Vec<RaftNode> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let dir = common::temp_dir(&format!("raft_example_{i}"));
        nodes.push(start_node(name, &cookie, &peers, &dir).await);
    }
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    let erl = ErlNode::spawn("raft_drv", &cookie, &["raft/raft_driver.erl"], &args);
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let line = erl.wait_line("").await;
        if let Some(leader) = line.strip_prefix("KILL ") {
            let node = nodes
                .iter_mut()
                .find(|n| n.name == leader.trim())
                .unwrap_or_else(|| panic!("KILL of an unknown node {leader}"));
            node.guard.take(); // SIGKILL
            epmd_forgets(&node.name).await;
            let restarted = start_node(&node.name, &cookie, &peers, &node.dir).await;
            *node = restarted;
        } else if line == "PASS" {
            break;
        } else if line.starts_with("FAIL") {
            panic!("{line}\n{}", erl.output());
        }
        assert!(
            Instant::now() < deadline,
            "driver did not finish:\n{}",
            erl.output()
        );
    }
    for node in nodes {
        drop(node.guard);
        let _ = std::fs::remove_dir_all(&node.dir);
    }
}
