//! The relay's memory under 1,000 idle members: the relay runs as its own process (the
//! `relay` example), members join from this one, and the relay's resident set grows by at most
//! [`BOUND_PER_MEMBER`] per member (docs/relay.md gives the figure measured).

use std::io::Write;
use std::process::{Command, Stdio};

use ergo::DistOptions;

use crate::common::wait::wait_until_within;
use crate::common::{self, ChildGuard, Output};
use crate::support::{self, SECRET};

/// Members in all.
const MEMBERS: usize = 1000;
/// Members per cluster (each join is told to the cluster's other members).
const PER_CLUSTER: usize = 50;
/// The documented bound on the relay's resident memory per idle member (measured: about
/// 80 KiB, most of it the connection's outgoing atom cache, filled by the first membership
/// message).
const BOUND_PER_MEMBER: u64 = 128 * 1024;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_memory_stays_bounded_under_1000_idle_members() {
    let prefix = support::cluster("rm");
    let clusters: Vec<String> = (0..MEMBERS / PER_CLUSTER)
        .map(|i| format!("{prefix}{i}"))
        .collect();
    let dir = common::temp_dir("relay_memory");
    let file = dir.join("clusters.txt");
    let mut f = std::fs::File::create(&file).expect("clusters file");
    for c in &clusters {
        writeln!(f, "{c} {SECRET}").expect("write");
    }
    drop(f);
    let mut cmd = Command::new(common::example_binary("relay"));
    cmd.args(["--listen", "127.0.0.1:0", "--clusters"])
        .arg(&file)
        .args(["--name", &common::node_name("relay_mem")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env("RUST_LOG", "warn");
    let mut child = ChildGuard(cmd.spawn().expect("the relay example starts"));
    let output = Output::of(&mut child.0, "relay");
    let ready = output.wait_line_async("ready ", support::DEADLINE).await;
    let address = ready
        .split_whitespace()
        .nth(2)
        .expect("ready <node> <address>")
        .replace("127.0.0.1", "localhost");
    let pid = child.0.id();
    let before = rss_kib(pid);

    let mut members = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        let cluster = &clusters[i / PER_CLUSTER];
        let options = ergo::NodeOptions {
            cookie: support::COOKIE.into(),
            ..ergo::NodeOptions::default()
        };
        let dist = common::loopback(DistOptions::hidden());
        let name = format!("{}@{cluster}", common::unique_name("m"));
        let node = ergo::Node::start_distributed(&name, options, dist)
            .await
            .expect("member");
        let mut o = support::member_options(vec![address.clone()], SECRET);
        o.connect_members = false;
        let membership = node.join_relays(o).await.expect("join");
        members.push((node, membership));
    }
    wait_until_within(
        "every member admitted and told its cluster",
        std::time::Duration::from_secs(120),
        || {
            members
                .iter()
                .all(|(_, m)| m.relays_up().len() == 1 && m.members().len() == PER_CLUSTER - 1)
        },
    )
    .await;
    let after = rss_kib(pid);
    let per_member = (after.saturating_sub(before)) * 1024 / MEMBERS as u64;
    println!("relay RSS {before} KiB -> {after} KiB with {MEMBERS} idle members: {per_member} bytes per member");
    assert!(
        per_member <= BOUND_PER_MEMBER,
        "{per_member} bytes per member (bound {BOUND_PER_MEMBER})"
    );
    for (node, _) in &members {
        node.stop();
    }
}
