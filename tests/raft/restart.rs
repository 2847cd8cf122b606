//! The file-backed log: a whole cluster stopped and started again on its logs (same node names,
//! new OS-level listeners) elects a leader and keeps every acknowledged append with its serial.

use ergo::raft::FileLog;
use ergo::{DistOptions, Node, NodeOptions, RaftMember, Term};

use crate::cluster::{self, settled};
use crate::common;

async fn start(names: &[String]) -> Vec<Node> {
    let mut nodes = Vec::new();
    for name in names {
        let options = NodeOptions {
            cookie: "raft_test".into(),
            ..NodeOptions::default()
        };
        let dist = common::loopback(DistOptions::default());
        nodes.push(
            Node::start_distributed(name, options, dist)
                .await
                .expect("node"),
        );
    }
    for a in &nodes {
        for b in &nodes {
            if a.name() != b.name() {
                common::route(a, b);
            }
        }
    }
    nodes
}

async fn members(nodes: &[Node], dirs: &[std::path::PathBuf]) -> Vec<RaftMember> {
    let mut members = Vec::new();
    for (node, dir) in nodes.iter().zip(dirs) {
        let mut options = cluster::options("file", nodes);
        options.snapshot_every = None;
        let log = FileLog::open(dir).expect("open the log");
        members.push(
            RaftMember::start(node, options, log, ())
                .await
                .expect("member"),
        );
    }
    members
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_restarted_on_its_file_logs_keeps_every_acknowledged_append() {
    let names: Vec<String> = (0..3).map(|_| common::node_name("raft_file")).collect();
    let dirs: Vec<_> = (0..3)
        .map(|i| common::temp_dir(&format!("raft_file_{i}")))
        .collect();
    let nodes = start(&names).await;
    let running = members(&nodes, &dirs).await;
    settled(&running, 3, 0).await;
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let serial = running[i % 3]
            .append(&Term::Int(i as i64), &Term::binary(vec![i as u8; 100]))
            .await
            .expect("append");
        acknowledged.push(serial);
    }
    for member in &running {
        member.stop().await;
    }
    for node in &nodes {
        node.stop();
    }
    // The same nodes again, on the same logs.
    let nodes = start(&names).await;
    let running = members(&nodes, &dirs).await;
    settled(&running, 3, 0).await;
    for member in &running {
        for (i, serial) in acknowledged.iter().enumerate() {
            let got = member.get(&Term::Int(i as i64)).await.expect("get");
            assert_eq!(got, Some((*serial, Term::binary(vec![i as u8; 100]))));
        }
    }
    let next = running[0]
        .append(&Term::atom("after"), &Term::atom("restart"))
        .await
        .expect("append after the restart");
    assert!(next > *acknowledged.last().expect("acked"));
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
