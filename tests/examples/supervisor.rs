//! The `supervisor` example end to end: it runs by itself, ends by itself, and its output shows
//! the strategies (one_for_one under `root`, rest_for_one under `pair`).

use crate::common;

#[test]
fn the_example_shows_each_strategy_and_ends_by_itself() {
    let (status, out) = common::run_example("supervisor");
    assert!(status.success(), "example failed: {status}");
    // Split the output per crash and check who restarted each time.
    let rounds: Vec<&str> = out.split("\ncrashing ").skip(1).collect();
    assert_eq!(rounds.len(), 6, "six crashes:\n{out}");
    for round in rounds {
        let victim = round.split_whitespace().next().unwrap_or_default();
        let restarted: Vec<&str> = round
            .lines()
            .filter_map(|l| l.trim().strip_prefix("restarted "))
            .filter_map(|l| l.split(':').next())
            .collect();
        // rest_for_one restarts `right` after `left`; everything else restarts alone.
        let expected = if victim == "left" {
            vec!["left", "right"]
        } else {
            vec![victim]
        };
        assert_eq!(restarted, expected, "after crashing {victim}:\n{round}");
    }
    assert!(out.contains("tree stopped"), "{out}");
}
