//! Cron jobs driven by virtual time: each test runs on a paused tokio runtime and the node's
//! scheduler reads a virtual clock from a fixed wall-clock origin, so days pass in
//! microseconds and every run time is asserted to the second.

use std::sync::Arc;
use std::time::Duration;

use ergo::cron::{Cron, CronAction, CronClock, CronError, CronJob, DateTime, Tz, Utc};
use ergo::{Atom, Dest, Node, NodeOptions, Pid, SpawnOptions, Term};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::common::{self, RecordingDistribution};

/// A wall-clock time from RFC 3339 text.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad time {text}: {e}"))
        .with_timezone(&Utc)
}

/// A local node whose cron scheduler reads a virtual clock that shows `origin` now.
async fn node_at(prefix: &str, origin: &str) -> (Node, Cron) {
    let node = common::start_node(prefix, NodeOptions::default()).await;
    let cron = node
        .set_cron_clock(CronClock::starting_at(at(origin)))
        .unwrap_or_else(|e| panic!("set the cron clock: {e}"));
    (node, cron)
}

/// A process that records every message it gets with the scheduler's time at its arrival (in
/// virtual time no time passes between a run and the arrival of its message).
fn recorder(node: &Node, cron: &Cron) -> (Pid, UnboundedReceiver<(Term, DateTime<Utc>)>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cron = cron.clone();
    let pid = node
        .spawn(SpawnOptions::default(), move |mut ctx| async move {
            while let Ok(term) = ctx.recv_term().await {
                let _ = tx.send((term, cron.now()));
            }
            Term::atom("normal")
        })
        .unwrap_or_else(|e| panic!("spawn a recorder: {e}"));
    (pid, rx)
}

const DAY: Duration = Duration::from_secs(86_400);

/// The next message and when it arrived, within `within` of virtual time (the paused runtime
/// jumps to its next timer, so a long deadline costs nothing and never fires before a run due
/// earlier).
async fn next<T>(rx: &mut UnboundedReceiver<T>, within: Duration) -> T {
    common::wait::next_within(rx, within).await
}

/// That nothing arrives within `within` of virtual time.
async fn nothing_within<T: std::fmt::Debug>(rx: &mut UnboundedReceiver<T>, within: Duration) {
    if let Ok(got) = tokio::time::timeout(within, rx.recv()).await {
        panic!("expected nothing within {within:?}, got {got:?}");
    }
}

/// The arrival times of the next `n` messages.
async fn run_times(
    rx: &mut UnboundedReceiver<(Term, DateTime<Utc>)>,
    n: usize,
) -> Vec<DateTime<Utc>> {
    let mut times = Vec::new();
    for _ in 0..n {
        times.push(next(rx, 3 * DAY).await.1);
    }
    times
}

fn times(texts: &[&str]) -> Vec<DateTime<Utc>> {
    texts.iter().map(|t| at(t)).collect()
}

#[tokio::test(start_paused = true)]
async fn a_seconds_spec_runs_every_second_and_sends_its_message() {
    let (node, cron) = node_at("cron_secs", "2026-01-01T00:00:00.250Z").await;
    let (pid, mut rx) = recorder(&node, &cron);
    let first = cron
        .add(
            CronJob::new(
                "tick",
                "* * * * * *",
                CronAction::send(pid, Term::atom("tick")),
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(first, at("2026-01-01T00:00:01Z"));
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (message, time) = next(&mut rx, DAY).await;
        assert_eq!(message, Term::atom("tick"));
        seen.push(time);
    }
    assert_eq!(
        seen,
        times(&[
            "2026-01-01T00:00:01Z",
            "2026-01-01T00:00:02Z",
            "2026-01-01T00:00:03Z"
        ])
    );
    let info = cron.info("tick").unwrap();
    assert!(info.runs >= 3, "{info:?}");
    assert_eq!(info.missed, 0);
}

#[tokio::test(start_paused = true)]
async fn a_five_field_spec_runs_on_its_minutes() {
    let (node, cron) = node_at("cron_five", "2026-01-01T10:07:30Z").await;
    let (pid, mut rx) = recorder(&node, &cron);
    cron.add(CronJob::new("q", "*/15 * * * *", CronAction::send(pid, Term::atom("q"))).unwrap())
        .unwrap();
    assert_eq!(
        run_times(&mut rx, 3).await,
        times(&[
            "2026-01-01T10:15:00Z",
            "2026-01-01T10:30:00Z",
            "2026-01-01T10:45:00Z"
        ])
    );
}

#[test]
fn nicknames_have_their_usual_meaning() {
    // 2026-01-07 is a Wednesday.
    let now = at("2026-01-07T10:20:00Z");
    let next = |spec: &str| {
        CronJob::new("n", spec, CronAction::send("x", Term::nil()))
            .unwrap()
            .next_after(now)
            .unwrap()
    };
    assert_eq!(next("@hourly"), at("2026-01-07T11:00:00Z"));
    assert_eq!(next("@daily"), at("2026-01-08T00:00:00Z"));
    assert_eq!(next("@weekly"), at("2026-01-11T00:00:00Z")); // Sunday
    assert_eq!(next("@monthly"), at("2026-02-01T00:00:00Z"));
    assert_eq!(next("@yearly"), at("2027-01-01T00:00:00Z"));
}

#[tokio::test(start_paused = true)]
async fn a_job_reads_its_spec_in_its_time_zone() {
    // 09:00 in New York is 14:00 UTC in winter (EST, UTC-5).
    let (node, cron) = node_at("cron_tz", "2026-01-05T12:00:00Z").await;
    let (pid, mut rx) = recorder(&node, &cron);
    let job = CronJob::new("ny", "0 9 * * *", CronAction::send(pid, Term::atom("ny")))
        .unwrap()
        .time_zone(Tz::America__New_York);
    let first = cron.add(job).unwrap();
    assert_eq!(first.with_timezone(&Utc), at("2026-01-05T14:00:00Z"));
    assert_eq!(first.timezone(), Tz::America__New_York);
    assert_eq!(
        run_times(&mut rx, 2).await,
        times(&["2026-01-05T14:00:00Z", "2026-01-06T14:00:00Z"])
    );
}

#[tokio::test(start_paused = true)]
async fn in_a_dst_gap_a_fixed_time_runs_after_the_gap_and_a_stepped_one_skips_it() {
    // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
    let (node, cron) = node_at("cron_gap", "2026-03-28T12:00:00Z").await;
    let (fixed, mut fixed_rx) = recorder(&node, &cron);
    let (stepped, mut stepped_rx) = recorder(&node, &cron);
    let berlin = Tz::Europe__Berlin;
    cron.add(
        CronJob::new(
            "fixed",
            "30 2 * * *",
            CronAction::send(fixed, Term::atom("f")),
        )
        .unwrap()
        .time_zone(berlin),
    )
    .unwrap();
    cron.add(
        CronJob::new(
            "stepped",
            "*/30 1-3 29 3 *",
            CronAction::send(stepped, Term::atom("s")),
        )
        .unwrap()
        .time_zone(berlin),
    )
    .unwrap();
    assert_eq!(
        run_times(&mut fixed_rx, 2).await,
        // 02:30 CET on the 28th is 01:30 UTC, gone already; on the 29th the gap's end, 03:00
        // CEST; on the 30th 02:30 CEST.
        times(&["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
    );
    // 01:00 and 01:30 CET, then 03:00 and 03:30 CEST: 02:00 and 02:30 fell in the gap.
    assert_eq!(
        run_times(&mut stepped_rx, 4).await,
        times(&[
            "2026-03-29T00:00:00Z",
            "2026-03-29T00:30:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T01:30:00Z",
        ])
    );
}

#[tokio::test(start_paused = true)]
async fn in_a_dst_repeat_a_fixed_time_runs_once_and_a_stepped_one_twice() {
    // Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:00-02:59 repeats.
    let (node, cron) = node_at("cron_repeat", "2026-10-24T12:00:00Z").await;
    let (fixed, mut fixed_rx) = recorder(&node, &cron);
    let (stepped, mut stepped_rx) = recorder(&node, &cron);
    let berlin = Tz::Europe__Berlin;
    cron.add(
        CronJob::new(
            "fixed",
            "30 2 * * *",
            CronAction::send(fixed, Term::atom("f")),
        )
        .unwrap()
        .time_zone(berlin),
    )
    .unwrap();
    cron.add(
        CronJob::new(
            "stepped",
            "*/30 2 25 10 *",
            CronAction::send(stepped, Term::atom("s")),
        )
        .unwrap()
        .time_zone(berlin),
    )
    .unwrap();
    assert_eq!(
        run_times(&mut fixed_rx, 2).await,
        // The 25th once, at the first 02:30 (CEST, 00:30 UTC; not again at 02:30 CET, 01:30
        // UTC), then 02:30 CET on the 26th.
        times(&["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
    );
    assert_eq!(
        run_times(&mut stepped_rx, 4).await,
        times(&[
            "2026-10-25T00:00:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-25T01:00:00Z",
            "2026-10-25T01:30:00Z",
        ])
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_send_is_told_to_the_fallback() {
    let (node, cron) = node_at("cron_fail", "2026-01-01T00:00:00Z").await;
    let (fallback, mut fallback_rx) = recorder(&node, &cron);
    let job = CronJob::new(
        "lost",
        "0 * * * *",
        CronAction::send("nobody_here", Term::atom("x")),
    )
    .unwrap()
    .fallback(fallback);
    cron.add(job).unwrap();
    let (told, time) = next(&mut fallback_rx, DAY).await;
    assert_eq!(time, at("2026-01-01T01:00:00Z"));
    let Term::Tuple(elems) = &told else {
        panic!("not a tuple: {told}")
    };
    assert_eq!(elems.len(), 4, "{told}");
    assert_eq!(elems[0], Term::atom("cron_failed"));
    assert_eq!(elems[1], Term::atom("lost"));
    assert_eq!(elems[2], Term::from(at("2026-01-01T01:00:00Z").timestamp()));
    assert!(elems[3].to_string().contains("nobody_here"), "{told}");
    let info = cron.info("lost").unwrap();
    assert_eq!((info.runs, info.failed), (1, 1), "{info:?}");
}

#[tokio::test(start_paused = true)]
async fn runs_passed_over_while_the_node_slept_are_reported_as_missed() {
    let (node, cron) = node_at("cron_missed", "2026-01-01T00:00:00Z").await;
    let (target, mut target_rx) = recorder(&node, &cron);
    let (fallback, mut fallback_rx) = recorder(&node, &cron);
    cron.add(
        CronJob::new(
            "hourly",
            "@hourly",
            CronAction::send(target, Term::atom("h")),
        )
        .unwrap()
        .fallback(fallback),
    )
    .unwrap();
    // The runtime does not get to run for 3 h 5 s: runs at 01:00 and 02:00 are missed, and the
    // one at 03:00 is 5 s late, within the default max delay of a minute, so it runs.
    tokio::time::advance(3 * Duration::from_secs(3600) + Duration::from_secs(5)).await;
    let (missed, _) = next(&mut fallback_rx, Duration::from_secs(1)).await;
    assert_eq!(
        missed,
        Term::tuple(vec![
            Term::atom("cron_missed"),
            Term::atom("hourly"),
            Term::from(2u64),
            Term::from(at("2026-01-01T01:00:00Z").timestamp()),
            Term::from(at("2026-01-01T02:00:00Z").timestamp()),
        ])
    );
    let (ran, time) = next(&mut target_rx, Duration::from_secs(1)).await;
    assert_eq!((ran, time), (Term::atom("h"), at("2026-01-01T03:00:05Z")));
    // Asleep past 04:00 and 05:00 by more than the max delay: both missed, neither runs.
    tokio::time::advance(2 * Duration::from_secs(3600) + Duration::from_secs(120)).await;
    let (missed, _) = next(&mut fallback_rx, Duration::from_secs(1)).await;
    assert_eq!(
        missed,
        Term::tuple(vec![
            Term::atom("cron_missed"),
            Term::atom("hourly"),
            Term::from(2u64),
            Term::from(at("2026-01-01T04:00:00Z").timestamp()),
            Term::from(at("2026-01-01T05:00:00Z").timestamp()),
        ])
    );
    // The next one runs on time.
    let (_, time) = next(&mut target_rx, DAY).await;
    assert_eq!(time, at("2026-01-01T06:00:00Z"));
    let info = cron.info("hourly").unwrap();
    assert_eq!((info.runs, info.missed), (2, 4), "{info:?}");
}

#[tokio::test(start_paused = true)]
async fn a_spawn_action_starts_a_process_and_a_failed_spawn_is_told() {
    let (node, cron) = node_at("cron_spawn", "2026-01-01T00:00:00Z").await;
    let (target, mut target_rx) = recorder(&node, &cron);
    let (fallback, mut fallback_rx) = recorder(&node, &cron);
    let spawn = CronAction::spawn(move |node: Node| {
        let target = target.clone();
        async move {
            node.spawn(SpawnOptions::named("cron_worker"), move |ctx| async move {
                let _ = ctx.send(target, Term::atom("worked"));
                Term::atom("normal")
            })
        }
    });
    cron.add(
        CronJob::new("spawner", "*/10 * * * * *", spawn)
            .unwrap()
            .fallback(fallback),
    )
    .unwrap();
    let (worked, time) = next(&mut target_rx, DAY).await;
    assert_eq!(
        (worked, time),
        (Term::atom("worked"), at("2026-01-01T00:00:10Z"))
    );
    // A name taken at the next run: the spawn fails and the fallback hears why.
    let squatter = node
        .spawn(SpawnOptions::named("cron_worker"), |mut ctx| async move {
            let _ = ctx.recv_term().await;
            Term::atom("normal")
        })
        .unwrap();
    let (told, time) = next(&mut fallback_rx, DAY).await;
    assert_eq!(time, at("2026-01-01T00:00:20Z"));
    assert!(told.to_string().contains("cron_failed"), "{told}");
    assert!(told.to_string().contains("already registered"), "{told}");
    node.send_exit(&squatter, Term::atom("kill"));
}

#[tokio::test(start_paused = true)]
async fn a_remote_destination_goes_through_the_distribution() {
    let (node, cron) = node_at("cron_remote", "2026-01-01T00:00:00Z").await;
    let recording = Arc::new(RecordingDistribution::default());
    assert!(node.set_distribution(recording.clone()));
    let dest: Dest = ("ticker", "far@elsewhere").into();
    cron.add(
        CronJob::new(
            "far",
            "* * * * *",
            CronAction::send(dest.clone(), Term::atom("beat")),
        )
        .unwrap(),
    )
    .unwrap();
    tokio::time::advance(Duration::from_secs(61)).await;
    common::wait::wait_until("the remote send", || {
        !recording.sent.lock().unwrap().is_empty()
    })
    .await;
    let sent = recording.sent.lock().unwrap().clone();
    assert_eq!(sent, vec![(dest, Term::atom("beat"))]);
}

#[tokio::test(start_paused = true)]
async fn jobs_are_added_listed_and_removed() {
    let (node, cron) = node_at("cron_list", "2026-01-01T00:00:00Z").await;
    let (target, mut rx) = recorder(&node, &cron);
    let job = |name: &str, spec: &str| {
        CronJob::new(
            name,
            spec,
            CronAction::send(target.clone(), Term::atom(name)),
        )
        .unwrap()
    };
    cron.add(job("b", "@daily")).unwrap();
    cron.add(job("a", "30 * * * *")).unwrap();
    let taken = cron.add(job("a", "@hourly"));
    assert!(
        matches!(&taken, Err(CronError::Taken(n)) if n == "a"),
        "{taken:?}"
    );
    let listed: Vec<(Atom, Option<DateTime<Utc>>)> = cron
        .list()
        .into_iter()
        .map(|i| (i.name, i.next_run.map(|t| t.with_timezone(&Utc))))
        .collect();
    assert_eq!(
        listed,
        vec![
            (Atom::new("a"), Some(at("2026-01-01T00:30:00Z"))),
            (Atom::new("b"), Some(at("2026-01-02T00:00:00Z"))),
        ]
    );
    cron.remove("a").unwrap();
    assert_eq!(cron.remove("a"), Err(CronError::Unknown("a".into())));
    assert_eq!(cron.list().len(), 1);
    // "a" never runs again; "b" does, at midnight.
    let (message, time) = next(&mut rx, 2 * DAY).await;
    assert_eq!(
        (message, time),
        (Term::atom("b"), at("2026-01-02T00:00:00Z"))
    );
    nothing_within(&mut rx, Duration::from_secs(3600)).await;
}

#[tokio::test]
async fn bad_specs_and_a_late_clock_are_refused() {
    let bad = CronJob::new("bad", "61 * * * *", CronAction::send("x", Term::nil()));
    assert!(matches!(bad, Err(CronError::BadSpec { .. })), "{bad:?}");
    let years = CronJob::new(
        "bad",
        "0 0 0 1 1 * 2030",
        CronAction::send("x", Term::nil()),
    );
    assert!(matches!(years, Err(CronError::BadSpec { .. })), "{years:?}");
    let node = common::start_node("cron_refused", NodeOptions::default()).await;
    let never = CronJob::new("never", "0 0 30 2 *", CronAction::send("x", Term::nil())).unwrap();
    let refused = node.cron().add(never);
    assert!(
        matches!(&refused, Err(CronError::NeverRuns(n)) if n == "never"),
        "{refused:?}"
    );
    let late = node.set_cron_clock(CronClock::System);
    assert!(matches!(late, Err(CronError::AlreadyStarted)), "{late:?}");
}
