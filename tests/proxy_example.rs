//! The `proxy` example end to end: it runs by itself, ends by itself, and its output shows the
//! call through the encrypted tunnel and `noconnection` / `nodedown` when the hop fails.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_example_calls_through_the_tunnel_and_sees_the_hop_fail() {
    let child = Command::new(common::example_binary("proxy"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("example starts");
    let mut guard = common::ChildGuard(child);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = guard.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "example did not end by itself"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    if let Some(mut stdout) = guard.0.stdout.take() {
        std::io::Read::read_to_string(&mut stdout, &mut out).expect("read output");
    }
    assert!(status.success(), "example failed: {status}\n{out}");
    assert!(
        out.contains("a called greeter on c through b: {hello_from,c_"),
        "{out}"
    );
    assert!(out.contains("tunnels: a 1, b 1, c 1"), "{out}");
    assert!(out.contains(",noconnection}"), "{out}");
    assert!(out.contains("{nodedown,c_"), "{out}");
}
