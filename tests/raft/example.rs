//! The `raft` example end to end: three of them (each its own OS process, registered with the
//! system EPMD) driven from a real `erl` through `raft_driver.erl`: leader and members agreed,
//! puts from every node read everywhere, `not_found`, then the leader's OS process killed
//! (SIGKILL) and the survivors electing a new leader with every acknowledged put kept.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, ChildGuard, ErlNode, Output};

struct RaftNode {
    name: String,
    guard: Option<ChildGuard>,
    _output: Output,
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
    for name in &names {
        let mut child = Command::new(common::example_binary("raft"))
            .args(["--name", name, "--cookie", &cookie, "--peers", &peers])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the raft example");
        let output = Output::of(&mut child, name);
        let guard = ChildGuard(child);
        output
            .wait_line_async("ready", Duration::from_secs(30))
            .await;
        nodes.push(RaftNode {
            name: name.clone(),
            guard: Some(guard),
            _output: output,
        });
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
}
