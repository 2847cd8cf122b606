//! One test per rule of docs/runtime-semantics.md.

use std::time::{Duration, Instant};

use ergo::ReplyTo;
use ergo::{
    CallError, CallOutcome, Context, Envelope, GenServer, Init, Node, NodeOptions, Payload,
    SendError, SpawnOptions, Term,
};

use crate::common::wait::{next, wait_until};
use crate::common::{self, Collector};

async fn start(prefix: &str, options: NodeOptions) -> Node {
    common::start_node(prefix, options).await
}

/// A collector that waits for `go` before it reads its mailbox, then forwards everything (and
/// its exit reason, as `{died, Reason}`).
fn gated_collector(
    node: &Node,
    options: SpawnOptions,
) -> (
    ergo::Pid,
    tokio::sync::mpsc::UnboundedReceiver<Term>,
    tokio::sync::oneshot::Sender<()>,
) {
    Collector::new()
        .options(options)
        .report_exit("died")
        .spawn_gated(node)
}

#[tokio::test]
async fn rule_messages_between_a_pair_arrive_in_send_order() {
    let node = start("sem_order", NodeOptions::default()).await;
    let (pid, mut rx, go) = gated_collector(&node, SpawnOptions::default());
    let sender = pid.clone();
    let n2 = node.clone();
    node.spawn(SpawnOptions::default(), move |ctx: Context| async move {
        for i in 0..1000i64 {
            let _ = ctx.send(&sender, i);
        }
        let _ = &n2;
        Term::atom("normal")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let _ = go.send(());
    for i in 0..1000i64 {
        assert_eq!(next(&mut rx).await, Term::Int(i));
    }
}

#[tokio::test]
async fn rule_mailboxes_are_unbounded_by_default() {
    let node = start("sem_unbounded", NodeOptions::default()).await;
    let (pid, mut rx, go) = gated_collector(&node, SpawnOptions::default());
    for i in 0..100_000i64 {
        node.send(&pid, i)
            .unwrap_or_else(|e| panic!("send {i}: {e}"));
    }
    assert_eq!(
        node.process_info(&pid).map(|i| i.mailbox_len),
        Some(100_000)
    );
    let _ = go.send(());
    assert_eq!(next(&mut rx).await, Term::Int(0));
}

#[tokio::test]
async fn rule_a_full_bounded_mailbox_hands_the_message_back() {
    let node = start("sem_bounded", NodeOptions::default()).await;
    let (pid, mut rx, go) = gated_collector(
        &node,
        SpawnOptions {
            mailbox_bound: Some(2),
            ..SpawnOptions::default()
        },
    );
    node.send(&pid, 1i64).unwrap_or_else(|e| panic!("{e}"));
    node.send(&pid, 2i64).unwrap_or_else(|e| panic!("{e}"));
    match node.send(&pid, 3i64) {
        Err(SendError::MailboxFull { envelope, .. }) => match *envelope {
            Envelope::Message(p) => assert_eq!(
                p.take::<i64>().ok(),
                Some(3),
                "the refused message comes back intact"
            ),
            other => panic!("{other:?}"),
        },
        other => panic!("expected MailboxFull, got {other:?}"),
    }
    // Signals are never refused: an exit signal still gets in.
    let _ = go.send(());
    assert_eq!(next(&mut rx).await, Term::Int(1));
    assert_eq!(next(&mut rx).await, Term::Int(2));
    node.send(&pid, 4i64)
        .unwrap_or_else(|e| panic!("room again: {e}"));
    assert_eq!(next(&mut rx).await, Term::Int(4));
}

#[tokio::test]
async fn rule_signals_are_ordered_with_messages_from_the_same_sender() {
    let node = start("sem_sigorder", NodeOptions::default()).await;
    let (pid, mut rx, go) = gated_collector(&node, SpawnOptions::default());
    let from = node.spawn(SpawnOptions::default(), |mut ctx: Context| async move {
        let _ = ctx.recv().await;
        Term::atom("normal")
    });
    let from = from.unwrap_or_else(|e| panic!("{e}"));
    node.send(&pid, 1i64).unwrap_or_else(|e| panic!("{e}"));
    node.send(&pid, 2i64).unwrap_or_else(|e| panic!("{e}"));
    node.exit(&from, &pid, Term::atom("stopped"));
    node.send(&pid, 3i64).unwrap_or_else(|e| panic!("{e}"));
    let _ = go.send(());
    assert_eq!(next(&mut rx).await, Term::Int(1));
    assert_eq!(next(&mut rx).await, Term::Int(2));
    assert_eq!(
        next(&mut rx).await,
        Term::tuple(vec![Term::atom("died"), Term::atom("stopped")])
    );
    wait_until("gone", || !node.is_alive(&pid)).await;
}

#[tokio::test]
async fn rule_a_panic_exits_with_a_reason_and_fires_links_and_monitors() {
    let node = start("sem_panic", NodeOptions::default()).await;
    let (watcher, mut wrx, go) = gated_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    let _ = go.send(());
    let p = node
        .spawn(
            SpawnOptions {
                link: Some(watcher.clone()),
                ..SpawnOptions::default()
            },
            |mut ctx: Context| async move {
                let _ = ctx.recv().await;
                let v: Vec<i64> = Vec::new();
                Term::Int(v.iter().sum::<i64>() / v.len() as i64)
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mref = node.monitor(&watcher, &ergo::Dest::Pid(p.clone()));
    node.send(&p, 0i64).unwrap_or_else(|e| panic!("{e}"));
    let a = next(&mut wrx).await;
    let b = next(&mut wrx).await;
    let reason = |t: &Term| t.as_tuple().and_then(|e| e.last().cloned());
    for t in [&a, &b] {
        let r = reason(t).unwrap_or_else(|| panic!("{t:?}"));
        let e = r.as_tuple().unwrap_or_else(|| panic!("{r:?}"));
        assert!(e[0].is_atom("panic"), "{r:?}");
        assert!(
            matches!(&e[1], Term::Binary(b) if String::from_utf8_lossy(b).contains("divide by zero")),
            "{r:?}"
        );
    }
    assert!(
        a.as_tuple().is_some_and(|e| e[0].is_atom("EXIT"))
            || b.as_tuple().is_some_and(|e| e[0].is_atom("EXIT"))
    );
    assert!([&a, &b].iter().any(|t| t
        .as_tuple()
        .is_some_and(|e| e[1] == Term::Reference(mref.clone()))));
    assert!(node.process_count() >= 1, "the node survives");
}

#[tokio::test]
async fn rule_with_catch_panics_off_links_still_fire() {
    let node = start(
        "sem_nocatch",
        NodeOptions {
            catch_panics: false,
            ..NodeOptions::default()
        },
    )
    .await;
    let (watcher, mut wrx, go) = gated_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    let _ = go.send(());
    let p = node
        .spawn(
            SpawnOptions {
                link: Some(watcher.clone()),
                ..SpawnOptions::default()
            },
            |mut ctx: Context| async move {
                let _ = ctx.recv().await;
                panic!("uncaught on purpose");
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    node.send(&p, 0i64).unwrap_or_else(|e| panic!("{e}"));
    let t = next(&mut wrx).await;
    let e = t.as_tuple().unwrap_or_else(|| panic!("{t:?}"));
    assert!(e[0].is_atom("EXIT"));
    assert!(
        e[2].as_tuple().is_some_and(|r| r[0].is_atom("panic")),
        "{t:?}"
    );
}

struct Slow;

impl GenServer for Slow {
    type Args = ();
    async fn init(_ctx: &mut Context, _args: ()) -> Init<Self> {
        Init::Ok(Slow)
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> CallOutcome {
        let ms = request.take::<i64>().unwrap_or(0);
        if ms < 0 {
            drop(from);
            panic!("dies while handling");
        }
        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
        CallOutcome::Reply(Payload::new(Term::atom("late_reply")))
    }
}

#[tokio::test]
async fn rule_a_reply_after_the_timeout_is_discarded() {
    let node = start("sem_timeout", NodeOptions::default()).await;
    let server = node
        .start_server::<Slow>((), SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    node.spawn(
        SpawnOptions::default(),
        move |mut ctx: Context| async move {
            let r = ctx
                .call_timeout::<Term>(&server, 400i64, Duration::from_millis(30))
                .await;
            let _ = tx.send(Term::atom(if matches!(r, Err(CallError::Timeout)) {
                "timeout"
            } else {
                "other"
            }));
            // The reply comes about 370 ms later; it must never show up in the mailbox.
            let late = ctx.recv_timeout(Duration::from_millis(800)).await;
            let _ = tx.send(match late {
                Ok(None) => Term::atom("mailbox_empty"),
                Ok(Some(e)) => e.into_term(),
                Err(r) => r,
            });
            Term::atom("normal")
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut rx).await, Term::atom("timeout"));
    assert_eq!(next(&mut rx).await, Term::atom("mailbox_empty"));
}

#[tokio::test]
async fn rule_a_server_dying_mid_call_fails_the_call_at_once() {
    let node = start("sem_midcall", NodeOptions::default()).await;
    let server = node
        .start_server::<Slow>((), SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let r = node
        .call_timeout::<Term>(&server, -1i64, Duration::from_secs(4))
        .await;
    assert!(matches!(r, Err(CallError::NoReply)), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not wait for the timeout"
    );
}

#[tokio::test]
async fn rule_kill_stops_a_process_busy_in_a_callback() {
    let node = start("sem_busykill", NodeOptions::default()).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let busy = node
        .spawn(
            SpawnOptions::default(),
            move |mut ctx: Context| async move {
                let _ = ctx.recv().await;
                let _ = tx.send(Term::atom("started_work"));
                tokio::time::sleep(Duration::from_secs(30)).await;
                let _ = tx.send(Term::atom("finished_work"));
                Term::atom("normal")
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (mon, mut mrx, go) = gated_collector(&node, SpawnOptions::default());
    let _ = go.send(());
    node.monitor(&mon, &ergo::Dest::Pid(busy.clone()));
    node.send(&busy, 0i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut rx).await, Term::atom("started_work"));
    let started = Instant::now();
    node.exit(&mon, &busy, Term::atom("kill"));
    let down = next(&mut mrx).await;
    assert_eq!(
        down.as_tuple().and_then(|e| e.last().cloned()),
        Some(Term::atom("killed"))
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "kill did not wait for the callback"
    );
    // The process's code was dropped where it stood: it never finished its work.
    assert_eq!(rx.recv().await, None);
}

#[tokio::test]
async fn rule_other_exit_signals_wait_for_the_mailbox() {
    let node = start("sem_busyexit", NodeOptions::default()).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let busy = node
        .spawn(
            SpawnOptions::default(),
            move |mut ctx: Context| async move {
                let _ = ctx.recv().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = tx.send(Term::atom("finished_work"));
                match ctx.recv().await {
                    Ok(_) => Term::atom("normal"),
                    Err(r) => r,
                }
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (mon, mut mrx, go) = gated_collector(&node, SpawnOptions::default());
    let _ = go.send(());
    node.monitor(&mon, &ergo::Dest::Pid(busy.clone()));
    node.send(&busy, 0i64).unwrap_or_else(|e| panic!("{e}"));
    // The exit signal is queued behind message 0: the process finishes handling 0 first.
    node.exit(&mon, &busy, Term::atom("shutdown"));
    assert_eq!(next(&mut rx).await, Term::atom("finished_work"));
    let down = next(&mut mrx).await;
    assert_eq!(
        down.as_tuple().and_then(|e| e.last().cloned()),
        Some(Term::atom("shutdown"))
    );
}
