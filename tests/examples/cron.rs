//! The `cron` example end to end: its job runs every two seconds, each run is printed, and the
//! program ends by itself once the job is removed.

use crate::common;

#[test]
fn the_example_prints_its_runs_two_seconds_apart_and_ends() {
    let mut cmd = std::process::Command::new(common::example_binary("cron"));
    cmd.arg("2");
    let out = common::run_within(cmd, std::time::Duration::from_secs(30), "the cron example");
    assert!(
        out.status.success(),
        "example failed: {}\n{}",
        out.status,
        out.stdout
    );
    let stdout = &out.stdout;
    assert!(
        stdout.contains("job ticker added, first run at"),
        "{stdout}"
    );
    assert!(
        stdout.contains("listed: ticker \"*/2 * * * * *\" next run Some("),
        "{stdout}"
    );
    // The two runs arrive on even seconds of the clock, two seconds apart.
    let seconds: Vec<u32> = stdout
        .lines()
        .filter(|l| l.starts_with("run "))
        .filter_map(|l| l.rsplit(' ').next())
        .filter_map(|t| t.get(6..8))
        .filter_map(|s| s.parse().ok())
        .collect();
    assert_eq!(seconds.len(), 2, "{stdout}");
    assert!(seconds.iter().all(|s| s % 2 == 0), "{stdout}");
    assert_eq!((seconds[0] + 2) % 60, seconds[1], "{stdout}");
    assert!(
        stdout.contains("job ticker removed after 2 runs"),
        "{stdout}"
    );
}
