//! The `proxy` example end to end: it runs by itself, ends by itself, and its output shows the
//! call through the encrypted tunnel and `noconnection` / `nodedown` when the hop fails.

use crate::common;

#[test]
fn the_example_calls_through_the_tunnel_and_sees_the_hop_fail() {
    let (status, out) = common::run_example("proxy");
    assert!(status.success(), "example failed: {status}\n{out}");
    assert!(
        out.contains("a called greeter on c through b: {hello_from,c_"),
        "{out}"
    );
    assert!(out.contains("tunnels: a 1, b 1, c 1"), "{out}");
    assert!(out.contains(",noconnection}"), "{out}");
    assert!(out.contains("{nodedown,c_"), "{out}");
}
