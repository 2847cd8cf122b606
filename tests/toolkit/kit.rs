//! `ergo::testing::GenServerKit`: one `#[gen_server]` driven with no node of the test's own,
//! its effects recorded and asserted, its peers mocked, its timers stepped in paused time.

use std::time::Duration;

use ergo::testing::GenServerKit;
use ergo::{gen_server, Context, Pid, Reply, ReplyTo, SpawnOptions, Status, Term};

/// The requests of the server under test.
#[derive(ergo::Term, Debug, Clone, PartialEq)]
enum Req {
    Get,
    Lookup(i64),
    Later,
    Flush,
    Notify(Pid),
    Adopt(Pid),
    Spawn,
    Quit,
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
struct Tick;

const TICK: Duration = Duration::from_secs(10);

struct Keeper {
    value: i64,
    waiting: Vec<ReplyTo<i64>>,
}

#[gen_server]
impl Keeper {
    async fn init(ctx: &mut Context, start: i64) -> Result<Self, Term> {
        ctx.monitor(("registry", "far@elsewhere"));
        let hello = Term::tuple(vec![Term::atom("hello"), Term::Pid(ctx.pid().clone())]);
        let _ = ctx.send(("registry", "far@elsewhere"), hello);
        ctx.send_self_after(Tick, TICK);
        Ok(Keeper {
            value: start,
            waiting: Vec::new(),
        })
    }

    async fn handle_call(&mut self, ctx: &mut Context, req: Req, from: ReplyTo<i64>) -> Reply<i64> {
        match req {
            Req::Get => Reply::Reply(self.value),
            Req::Lookup(key) => {
                let request = Term::tuple(vec![Term::atom("get"), Term::Int(key)]);
                match ctx.call::<i64>(("db", "db@elsewhere"), request).await {
                    Ok(found) => Reply::Reply(found),
                    Err(_) => Reply::Reply(-1),
                }
            }
            Req::Later => {
                self.waiting.push(from);
                Reply::NoReply
            }
            Req::Quit => Reply::Stop(Term::atom("asked"), Some(self.value)),
            _ => Reply::Reply(0),
        }
    }

    async fn handle_cast(&mut self, ctx: &mut Context, req: Req) -> Status {
        match req {
            Req::Notify(pid) => {
                let _ = ctx.send(
                    pid,
                    Term::tuple(vec![Term::atom("value"), Term::Int(self.value)]),
                );
            }
            Req::Adopt(pid) => ctx.link(&pid),
            Req::Flush => {
                for waiting in self.waiting.drain(..) {
                    waiting.reply(self.value);
                }
            }
            Req::Spawn => {
                let _ = ctx
                    .node()
                    .spawn(SpawnOptions::named("keeper_child"), |_ctx| async {
                        Term::atom("normal")
                    });
            }
            _ => {}
        }
        Status::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Context, _tick: Tick) -> Status {
        self.value += 1;
        ctx.send_self_after(Tick, TICK);
        Status::Continue
    }
}

fn registry() -> ergo::Dest {
    ("registry", "far@elsewhere").into()
}

#[tokio::test(start_paused = true)]
async fn init_calls_casts_and_the_effects_they_had() {
    let mut kit = GenServerKit::<Keeper>::start(5).await.unwrap();
    let me = kit.pid().clone();
    // What init did.
    kit.should_monitor().to(registry()).once();
    kit.should_send()
        .to(registry())
        .message(Term::tuple(vec![Term::atom("hello"), Term::Pid(me)]))
        .once();
    kit.should_send_after().message(Tick).once();
    kit.no_more_effects();

    assert_eq!(kit.call(Req::Get).await, Some(Term::Int(5)));
    kit.should_reply(5i64);

    let observer = kit.node().outside_pid().clone();
    kit.cast(Req::Notify(observer.clone())).await;
    kit.should_send()
        .to(observer.clone())
        .message(Term::tuple(vec![Term::atom("value"), Term::Int(5)]))
        .once();
    kit.cast(Req::Adopt(observer.clone())).await;
    kit.should_link().to(observer).once();
    kit.cast(Req::Spawn).await;
    kit.should_spawn().named("keeper_child").once();
    kit.no_more_effects();
}

#[tokio::test(start_paused = true)]
async fn timers_run_in_virtual_time() {
    let mut kit = GenServerKit::<Keeper>::start(0).await.unwrap();
    kit.should_send_after().message(Tick).once();
    kit.advance(TICK).await;
    assert_eq!(kit.call(Req::Get).await, Some(Term::Int(1)));
    kit.advance(3 * TICK).await;
    assert_eq!(kit.call(Req::Get).await, Some(Term::Int(4)));
    // One timer per tick, each set again by the tick before.
    kit.should_send_after().message(Tick).times(4);
}

#[tokio::test(start_paused = true)]
async fn a_mocked_remote_peer_answers_calls() {
    let mut kit = GenServerKit::<Keeper>::start(0).await.unwrap();
    let get = |key: i64| Term::tuple(vec![Term::atom("get"), Term::Int(key)]);
    kit.should_call(("db", "db@elsewhere"), get(1))
        .respond_with(100i64);
    kit.mock_peer(("db", "db@elsewhere"), |request| {
        (request.as_tuple()?.get(1)? == &Term::Int(2)).then(|| Term::Int(200))
    });
    assert_eq!(kit.call(Req::Lookup(1)).await, Some(Term::Int(100)));
    assert_eq!(kit.call(Req::Lookup(2)).await, Some(Term::Int(200)));
    kit.should_call(("db", "db@elsewhere"), get(1)).once();
    kit.should_call(("db", "db@elsewhere"), get(2)).once();
}

#[tokio::test(start_paused = true)]
async fn a_late_reply_and_a_stop_are_recorded() {
    let mut kit = GenServerKit::<Keeper>::start(7).await.unwrap();
    assert_eq!(kit.call(Req::Later).await, None);
    kit.should_replies().never();
    kit.cast(Req::Flush).await;
    kit.should_reply(7i64);
    assert_eq!(kit.call(Req::Quit).await, Some(Term::Int(7)));
    kit.should_reply(7i64);
    kit.should_stop(Term::atom("asked"));
    assert_eq!(kit.stopped(), Some(&Term::atom("asked")));
}

#[tokio::test(start_paused = true)]
async fn an_exit_signal_stops_it() {
    let mut kit = GenServerKit::<Keeper>::start(0).await.unwrap();
    kit.exit(Term::atom("shutdown")).await;
    kit.should_stop(Term::atom("shutdown"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_assertion_shows_what_happened() {
    let kit = GenServerKit::<Keeper>::start(0).await.unwrap();
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kit.should_send().to(("nobody", "nowhere@host")).once();
    }));
    let message = failure
        .err()
        .and_then(|p| p.downcast::<String>().ok())
        .map(|s| *s)
        .unwrap_or_default();
    assert!(
        message.contains("expected 1 send to {nobody,nowhere@host}"),
        "{message}"
    );
    assert!(
        message.contains("[ ] monitor of {registry,far@elsewhere}"),
        "{message}"
    );
    assert!(
        message.contains("[ ] send to {registry,far@elsewhere}: {hello,"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unexpected_call_fails_the_test_with_the_request() {
    let mut kit = GenServerKit::<Keeper>::start(0).await.unwrap();
    let failure = tokio::spawn(async move {
        kit.call(Req::Lookup(9)).await;
    })
    .await;
    let message = failure
        .err()
        .map(|e| e.into_panic())
        .and_then(|p| p.downcast::<String>().ok())
        .map(|s| *s)
        .unwrap_or_default();
    assert!(
        message.contains("unexpected call to {db,db@elsewhere}: {get,9}"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_seen_on_a_multi_threaded_runtime_too() {
    let mut kit = GenServerKit::<Keeper>::start(3).await.unwrap();
    for _ in 0..50 {
        assert_eq!(kit.call(Req::Get).await, Some(Term::Int(3)));
    }
    kit.should_replies().message(3i64).times(50);
    assert_eq!(kit.call(Req::Later).await, None);
    kit.cast(Req::Flush).await;
    kit.should_reply(3i64);
}

/// A server that logs what it is told, at the level it is told.
struct Chatty;

#[derive(ergo::Term, Debug, Clone, PartialEq)]
enum Say {
    Warn(i64),
    Info,
}

#[gen_server]
impl Chatty {
    async fn init(_ctx: &mut Context, _args: ()) -> Result<Self, Term> {
        tracing::debug!("chatty up");
        Ok(Chatty)
    }
    async fn handle_cast(&mut self, _ctx: &mut Context, say: Say) -> Status {
        match say {
            Say::Warn(item) => tracing::warn!(item, "price missing"),
            Say::Info => tracing::info!(kind = ?Say::Info, "all fine"),
        }
        Status::Continue
    }
}

#[tokio::test(start_paused = true)]
async fn should_log_matches_level_message_and_fields_of_the_server_only() {
    let mut kit = GenServerKit::<Chatty>::start(()).await.expect("start");
    kit.should_log(ergo::testing::Level::DEBUG)
        .containing("up")
        .once();
    kit.cast(Say::Warn(7)).await;
    kit.cast(Say::Info).await;
    // Logged outside the server: captured, but not the server's.
    tracing::warn!(item = 7, "price missing");
    kit.should_log(ergo::testing::Level::WARN)
        .containing("price")
        .field("item", 7)
        .once();
    kit.should_log(ergo::testing::Level::INFO)
        .field("kind", "Info")
        .once();
    kit.should_log(ergo::testing::Level::ERROR).never();
    assert!(
        kit.logs()
            .iter()
            .any(|e| e.message == "price missing" && e.process.is_none()),
        "{:?}",
        kit.logs()
    );
    // A failed assertion lists what the server logged.
    kit.cast(Say::Warn(8)).await;
    let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kit.should_log(ergo::testing::Level::WARN)
            .field("item", 9)
            .once()
    }))
    .expect_err("item 9 was never logged");
    let text = wrong.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        text.contains("expected 1 WARN event with item=9, found 0"),
        "{text}"
    );
    assert!(text.contains("[ ] WARN"), "{text}");
    assert!(text.contains("[x] WARN"), "{text}");
    assert!(text.contains("item=8"), "{text}");
}
