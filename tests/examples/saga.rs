//! The `saga` example end to end, both ways: the transfer commits on every node, and with
//! `--fail-credit` the credit side refuses and every other side rolls back.

use std::process::Command;
use std::time::Duration;

use crate::common;

fn run(args: &[&str]) -> String {
    let mut command = Command::new(common::example_binary("saga"));
    command.args(args);
    let done = common::run_within(command, Duration::from_secs(30), "example saga");
    assert!(
        done.status.success(),
        "example failed: {}\n{}",
        done.status,
        done.stdout
    );
    done.stdout
}

#[test]
fn the_transfer_commits_everywhere() {
    let out = run(&[]);
    for line in [
        "[debit] holds 30 (balance 100)",
        "[credit] prepares to receive 30",
        "[audit] prepares the ledger entry for 30",
        "[debit] every part is prepared: commit 30",
        "[debit] commits {transferred,30}: balance 70",
        "[credit] commits {transferred,30}: balance 30",
        "[audit] commits {transferred,30}: ledger entry written",
        "[credit] transaction committed",
        "[audit] transaction committed",
        "alice 70, bob 30",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    assert!(!out.contains("rolls back"), "{out}");
}

#[test]
fn a_refused_credit_rolls_everything_back() {
    let out = run(&["--fail-credit"]);
    for line in [
        "[credit] refuses 30: account frozen",
        "[credit] transaction cancelled: {error,account_frozen}",
        "[debit] transaction cancelled: {error,account_frozen}",
        "[audit] transaction cancelled: {error,account_frozen}",
        "[debit] rolls back ({error,account_frozen}): balance stays 100",
        "[audit] rolls back ({error,account_frozen}): ledger entry dropped",
        "alice 100, bob 0",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    assert!(!out.contains("commit"), "{out}");
}
