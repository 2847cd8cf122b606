//! Black-box tests of the process runtime: spawn, send, names, links, exits, monitors, calls,
//! casts, OTP message shapes, timers, events, introspection and the distribution seam.

use std::sync::Arc;
use std::time::Duration;

use ergo::runtime::event::EventMessage;
use ergo::runtime::RemoteSignal;
use ergo::ReplyTo;
use ergo::{
    Atom, CallError, CallOutcome, Context, Dest, Envelope, GenServer, Init, Node, NodeOptions,
    Payload, Pid, SendError, SpawnOptions, Status, Term,
};

use crate::common::wait::{next, wait_until};
use crate::common::{self, Collector};

async fn start(prefix: &str) -> Node {
    common::start_node(prefix, NodeOptions::default()).await
}

/// A collector (forwarding every envelope it receives, as a term) that ends on `stop` and
/// reports its exit reason as `{exited, Reason}`.
fn spawn_collector(
    node: &Node,
    options: SpawnOptions,
) -> (Pid, tokio::sync::mpsc::UnboundedReceiver<Term>) {
    Collector::new()
        .options(options)
        .stop_on("stop")
        .report_exit("exited")
        .spawn(node)
}

/// A hand-written gen_server: a counter.
struct Counter {
    value: i64,
}

impl GenServer for Counter {
    type Args = i64;
    async fn init(_ctx: &mut Context, args: i64) -> Init<Self> {
        if args < 0 {
            return Init::Stop(Term::atom("negative"));
        }
        if args == 0 {
            return Init::Ignore;
        }
        Init::Ok(Counter { value: args })
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> CallOutcome {
        match request.into_term() {
            Term::Atom(a) if a == "get" => CallOutcome::Reply(Payload::new(self.value)),
            Term::Atom(a) if a == "later" => {
                let v = self.value;
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    from.reply(Term::from(v * 10));
                });
                CallOutcome::NoReply
            }
            Term::Atom(a) if a == "slow" => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                CallOutcome::Reply(Payload::new(Term::atom("late")))
            }
            Term::Atom(a) if a == "stop" => {
                CallOutcome::Stop(Term::atom("normal"), Some(Payload::new(Term::atom("bye"))))
            }
            Term::Int(n) => {
                self.value += n;
                CallOutcome::Reply(Payload::new(self.value))
            }
            other => CallOutcome::Refuse(other),
        }
    }
    async fn handle_cast(&mut self, _ctx: &mut Context, request: Payload) -> Status {
        match request.take::<i64>() {
            Ok(n) => {
                self.value += n;
                Status::Continue
            }
            Err(u) => Status::Stop(u.term),
        }
    }
}

#[tokio::test]
async fn send_by_pid_and_name_and_order() {
    let node = start("rb_send").await;
    let (pid, mut rx) = spawn_collector(&node, SpawnOptions::named("collector"));
    for i in 0..100i64 {
        node.send(&pid, i).unwrap_or_else(|e| panic!("{e}"));
    }
    node.send("collector", Term::atom("by_name"))
        .unwrap_or_else(|e| panic!("{e}"));
    for i in 0..100i64 {
        assert_eq!(next(&mut rx).await, Term::Int(i));
    }
    assert_eq!(next(&mut rx).await, Term::atom("by_name"));
    assert_eq!(node.whereis("collector"), Some(pid.clone()));
    assert!(matches!(
        node.send("nobody", 1i64),
        Err(SendError::NoProc(_))
    ));
    node.send(&pid, Term::atom("stop"))
        .unwrap_or_else(|e| panic!("{e}"));
    wait_until("collector gone", || !node.is_alive(&pid)).await;
    assert_eq!(node.whereis("collector"), None, "name freed at exit");
    // A send to a dead pid is a silent no-op, as in Erlang.
    assert!(node.send(&pid, 1i64).is_ok());
}

#[tokio::test]
async fn link_propagates_exit_and_trap_exit_turns_it_into_a_message() {
    let node = start("rb_link").await;
    let (trapper, mut trx) = spawn_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    let (plain, mut prx) = spawn_collector(&node, SpawnOptions::default());
    let victim = node
        .spawn(SpawnOptions::default(), |mut ctx: Context| async move {
            let _ = ctx.recv().await;
            Term::tuple(vec![Term::atom("shutdown"), Term::atom("because")])
        })
        .unwrap_or_else(|e| panic!("{e}"));
    node.link(&trapper, &victim);
    node.link(&plain, &victim);
    let info = node
        .process_info(&victim)
        .unwrap_or_else(|| panic!("no info"));
    assert_eq!(info.links.len(), 2);
    node.send(&victim, Term::atom("go"))
        .unwrap_or_else(|e| panic!("{e}"));
    let reason = Term::tuple(vec![Term::atom("shutdown"), Term::atom("because")]);
    assert_eq!(
        next(&mut trx).await,
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(victim.clone()),
            reason.clone()
        ])
    );
    assert_eq!(
        next(&mut prx).await,
        Term::tuple(vec![Term::atom("exited"), reason])
    );
    wait_until("plain died", || !node.is_alive(&plain)).await;
    assert!(node.is_alive(&trapper));
}

#[tokio::test]
async fn normal_exit_does_not_kill_links_and_kill_is_untrappable() {
    let node = start("rb_kill").await;
    let (a, mut arx) = spawn_collector(&node, SpawnOptions::default());
    let b = node
        .spawn(SpawnOptions::default(), |_ctx| async {
            Term::atom("normal")
        })
        .unwrap_or_else(|e| panic!("{e}"));
    node.link(&a, &b);
    wait_until("b gone", || !node.is_alive(&b)).await;
    node.send(&a, 1i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        next(&mut arx).await,
        Term::Int(1),
        "normal exit from a link is ignored"
    );

    let (t, mut trx) = spawn_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    let (watcher, mut wrx) = spawn_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    node.link(&watcher, &t);
    node.exit(&a, &t, Term::atom("kill"));
    // Even a trapping process dies: its code is dropped, so its channel just closes.
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), trx.recv())
            .await
            .ok(),
        Some(None)
    );
    assert_eq!(
        next(&mut wrx).await,
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(t.clone()),
            Term::atom("killed")
        ])
    );
    // exit/2 with another reason is trappable.
    node.exit(&a, &watcher, Term::atom("shutdown"));
    assert_eq!(
        next(&mut wrx).await,
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(a.clone()),
            Term::atom("shutdown")
        ])
    );
}

#[tokio::test]
async fn unlink_stops_propagation() {
    let node = start("rb_unlink").await;
    let (a, mut arx) = spawn_collector(&node, SpawnOptions::default());
    let (b, _brx) = spawn_collector(&node, SpawnOptions::default());
    node.link(&a, &b);
    node.unlink(&a, &b);
    node.exit(&a, &b, Term::atom("boom"));
    wait_until("b died", || !node.is_alive(&b)).await;
    node.send(&a, 7i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut arx).await, Term::Int(7));
}

#[tokio::test]
async fn monitors_deliver_down_and_noproc() {
    let node = start("rb_mon").await;
    let (w, mut wrx) = spawn_collector(&node, SpawnOptions::default());
    let target = node
        .spawn(
            SpawnOptions::named("mon_target"),
            |mut ctx: Context| async move {
                let _ = ctx.recv().await;
                Term::atom("done")
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let r1 = node.monitor(&w, &Dest::Pid(target.clone()));
    let r2 = node.monitor(&w, &Dest::from("mon_target"));
    let r3 = node.monitor(&w, &Dest::Pid(target.clone()));
    assert!(node.demonitor(&w, &r3));
    node.send(&target, 0i64).unwrap_or_else(|e| panic!("{e}"));
    let mut got = vec![next(&mut wrx).await, next(&mut wrx).await];
    got.sort();
    let mut want = vec![
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(r1),
            Term::atom("process"),
            Term::Pid(target.clone()),
            Term::atom("done"),
        ]),
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(r2),
            Term::atom("process"),
            Term::tuple(vec![
                Term::atom("mon_target"),
                Term::Atom(node.name().clone()),
            ]),
            Term::atom("done"),
        ]),
    ];
    want.sort();
    assert_eq!(got, want);
    let r4 = node.monitor(&w, &Dest::Pid(target.clone()));
    assert_eq!(
        next(&mut wrx).await,
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(r4),
            Term::atom("process"),
            Term::Pid(target),
            Term::atom("noproc")
        ])
    );
    node.send(&w, 5i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        next(&mut wrx).await,
        Term::Int(5),
        "demonitored monitor sent nothing"
    );
}

#[tokio::test]
async fn gen_server_call_cast_reply_later_stop_and_refuse() {
    let node = start("rb_gs").await;
    let pid = node
        .start_server::<Counter>(5, SpawnOptions::named("counter"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        node.call::<i64>(&pid, Term::atom("get"))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        5
    );
    assert_eq!(
        node.call::<i64>("counter", 3i64)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        8
    );
    node.cast(&pid, 2i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        node.call::<i64>(&pid, Term::atom("get"))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        10
    );
    assert_eq!(
        node.call::<i64>(&pid, Term::atom("later"))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        100
    );
    assert!(matches!(
        node.call::<i64>(&pid, "oops".to_string()).await,
        Err(CallError::BadRequest(_))
    ));
    assert!(matches!(
        node.call::<String>(&pid, Term::atom("get")).await,
        Err(CallError::BadReply(_))
    ));
    let r = node
        .call_timeout::<Term>(&pid, Term::atom("slow"), Duration::from_millis(50))
        .await;
    assert!(matches!(r, Err(CallError::Timeout)), "{r:?}");
    assert_eq!(
        node.call::<Term>(&pid, Term::atom("stop"))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        Term::atom("bye")
    );
    wait_until("server stopped", || !node.is_alive(&pid)).await;
    assert!(matches!(
        node.call::<i64>(&pid, Term::atom("get")).await,
        Err(CallError::Send(SendError::NoProc(_)))
    ));
    assert!(matches!(
        node.start_server::<Counter>(0, SpawnOptions::default())
            .await,
        Err(ergo::SpawnError::Ignored)
    ));
    match node
        .start_server::<Counter>(-1, SpawnOptions::default())
        .await
    {
        Err(ergo::SpawnError::InitFailed(r)) => assert_eq!(r, Term::atom("negative")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn gen_call_term_shape_to_untyped_process_and_reply_through_alias() {
    let node = start("rb_shape").await;
    // A raw process that receives the call as a term and answers `{Tag, Reply}` to the alias.
    let server = node
        .spawn(SpawnOptions::default(), |mut ctx: Context| async move {
            let Ok(t) = ctx.recv_term().await else {
                return Term::atom("err");
            };
            let Some([tag, from, req]) = t
                .as_tuple()
                .map(|e| e.to_vec())
                .and_then(|v| <[Term; 3]>::try_from(v).ok())
            else {
                return Term::atom("bad_shape");
            };
            assert!(tag.is_atom("$gen_call"));
            let Some([Term::Pid(_caller), call_tag]) = from
                .as_tuple()
                .map(|e| e.to_vec())
                .and_then(|v| <[Term; 2]>::try_from(v).ok())
            else {
                return Term::atom("bad_from");
            };
            let Term::ImproperList(head, tail) = &call_tag else {
                return Term::atom("bad_tag");
            };
            assert_eq!(head.as_slice(), &[Term::atom("alias")]);
            let Term::Reference(alias) = tail.as_ref().clone() else {
                return Term::atom("bad_alias");
            };
            let _ = ctx.send(
                alias,
                Term::tuple(vec![call_tag, Term::tuple(vec![Term::atom("echo"), req])]),
            );
            Term::atom("normal")
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let reply: Term = node
        .call(&server, Term::atom("hi"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        reply,
        Term::tuple(vec![Term::atom("echo"), Term::atom("hi")])
    );
}

#[tokio::test]
async fn incoming_gen_call_term_is_served_and_answered_by_message() {
    let node = start("rb_incoming").await;
    let server = node
        .start_server::<Counter>(1, SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (client, mut crx) = spawn_collector(&node, SpawnOptions::default());
    let tag = node.make_ref();
    let call = Term::tuple(vec![
        Term::atom("$gen_call"),
        Term::tuple(vec![
            Term::Pid(client.clone()),
            Term::Reference(tag.clone()),
        ]),
        Term::Int(41),
    ]);
    node.deliver(&Dest::Pid(server.clone()), call)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        next(&mut crx).await,
        Term::tuple(vec![Term::Reference(tag), Term::Int(42)])
    );
    node.deliver(
        &Dest::Pid(server.clone()),
        Term::tuple(vec![Term::atom("$gen_cast"), Term::Int(8)]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        node.call::<i64>(&server, Term::atom("get"))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        50
    );
}

#[tokio::test]
async fn remote_destinations_go_through_the_router_seam() {
    let node = start("rb_seam").await;
    let remote = Pid {
        node: Atom::new("other@host"),
        id: 77,
        serial: 0,
        creation: 9,
    };
    assert!(matches!(
        node.send(&remote, 1i64),
        Err(SendError::NoRoute(_))
    ));
    let router = Arc::new(common::RecordingDistribution::default());
    assert!(node.set_distribution(router.clone()));
    node.send(&remote, 1i64).unwrap_or_else(|e| panic!("{e}"));
    node.send(("srv", "other@host"), Term::atom("x"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (local, mut lrx) = spawn_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    node.link(&local, &remote);
    let mref = node.monitor(&local, &Dest::Pid(remote.clone()));
    // A call to a remote server renders OTP's exact shape; the reply arrives at the alias.
    let n2 = node.clone();
    let caller = tokio::spawn(async move {
        n2.call_timeout::<i64>(("srv", "other@host"), 5i64, Duration::from_secs(5))
            .await
    });
    wait_until("call routed", || {
        router.sent.lock().map(|s| s.len() == 3).unwrap_or(false)
    })
    .await;
    let (dest, call) = router.sent.lock().unwrap_or_else(|p| p.into_inner())[2].clone();
    assert_eq!(dest, Dest::from(("srv", "other@host")));
    let elems = call
        .as_tuple()
        .unwrap_or_else(|| panic!("not a tuple"))
        .to_vec();
    assert!(elems[0].is_atom("$gen_call"));
    assert_eq!(elems[2], Term::Int(5));
    let from = elems[1]
        .as_tuple()
        .unwrap_or_else(|| panic!("from"))
        .to_vec();
    assert_eq!(from[0], Term::Pid(node.outside_pid().clone()));
    let Term::ImproperList(_, alias) = &from[1] else {
        panic!("tag {:?}", from[1])
    };
    let Term::Reference(alias) = alias.as_ref().clone() else {
        panic!("alias")
    };
    // The dist layer delivers `{Tag, Reply}` to the alias.
    node.deliver(
        &Dest::Alias(alias.clone()),
        Term::tuple(vec![from[1].clone(), Term::Int(6)]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        caller
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}")),
        6
    );
    // Incoming signals: an exit from the linked remote pid, a DOWN for the monitor.
    node.deliver_signal(RemoteSignal::Down {
        who: Term::Pid(remote.clone()),
        to: local.clone(),
        reference: mref.clone(),
        reason: Term::atom("noconnection"),
    });
    assert_eq!(
        next(&mut lrx).await,
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(mref.clone()),
            Term::atom("process"),
            Term::Pid(remote.clone()),
            Term::atom("noconnection")
        ])
    );
    node.deliver_signal(RemoteSignal::Exit {
        from: remote.clone(),
        to: local.clone(),
        reason: Term::atom("bye"),
        via_link: true,
    });
    assert_eq!(
        next(&mut lrx).await,
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(remote.clone()),
            Term::atom("bye")
        ])
    );
    let signals = router
        .signals
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    assert_eq!(
        signals[0],
        RemoteSignal::Link {
            from: local.clone(),
            to: remote.clone()
        }
    );
    assert!(matches!(&signals[1], RemoteSignal::Monitor { reference, .. } if *reference == mref));
    // When a local process linked to a remote one dies, the router gets the exit signal.
    let (l2, _r2) = spawn_collector(&node, SpawnOptions::default());
    node.link(&l2, &remote);
    node.send(&l2, Term::atom("stop"))
        .unwrap_or_else(|e| panic!("{e}"));
    wait_until("exit routed", || {
        router.signals.lock().map(|s| s.iter().any(|x| matches!(x, RemoteSignal::Exit { from, reason, via_link: true, .. } if *from == l2 && reason.is_atom("normal")))).unwrap_or(false)
    })
    .await;
}

#[tokio::test]
async fn send_after_and_cancel() {
    let node = start("rb_timer").await;
    let (pid, mut rx) = spawn_collector(&node, SpawnOptions::default());
    let t1 = node.send_after(&pid, Term::atom("cancelled"), Duration::from_millis(30));
    let _t2 = node.send_after(&pid, Term::atom("fired"), Duration::from_millis(60));
    assert!(t1.cancel());
    assert_eq!(next(&mut rx).await, Term::atom("fired"));
    assert!(!t1.cancel());
}

#[tokio::test]
async fn panics_become_exit_reasons() {
    let node = start("rb_panic").await;
    let (w, mut wrx) = spawn_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    let p = node
        .spawn(
            SpawnOptions {
                link: Some(w.clone()),
                ..SpawnOptions::default()
            },
            |mut ctx: Context| async move {
                let _ = ctx.recv().await;
                panic!("kaboom");
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    node.send(&p, 1i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        next(&mut wrx).await,
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(p),
            Term::tuple(vec![Term::atom("panic"), Term::binary(b"kaboom".to_vec())])
        ])
    );
}

#[tokio::test]
async fn events_publish_and_producer_down() {
    let node = start("rb_events").await;
    let producer = node
        .spawn(SpawnOptions::default(), |mut ctx: Context| async move {
            let _ = ctx.recv().await;
            Term::atom("finished")
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let token = node
        .register_event(&producer, "ticks")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(node.register_event(&producer, "ticks").is_err());
    let (s1, mut r1) = spawn_collector(&node, SpawnOptions::default());
    let sref = node
        .subscribe_event(&s1, "ticks")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(node.publish_event(&token, 3i64).ok(), Some(1));
    assert_eq!(
        next(&mut r1).await,
        Term::tuple(vec![Term::atom("event"), Term::atom("ticks"), Term::Int(3)])
    );
    node.send(&producer, 0i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        next(&mut r1).await,
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(sref),
            Term::atom("event"),
            Term::atom("ticks"),
            Term::atom("finished")
        ])
    );
    assert!(
        node.subscribe_event(&s1, "ticks").is_err(),
        "event is gone with its producer"
    );
    let _ = EventMessage {
        name: Atom::new("x"),
        message: 1i64,
    };
}

#[tokio::test]
async fn introspection_and_stop() {
    let node = start("rb_info").await;
    let (a, _ar) = spawn_collector(&node, SpawnOptions::named("info_a"));
    let pid = node
        .start_server::<Counter>(1, SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let info = node.process_info(&pid).unwrap_or_else(|| panic!("info"));
    assert!(info.behaviour.contains("Counter"), "{}", info.behaviour);
    assert_eq!(
        node.process_info(&a).and_then(|i| i.name),
        Some(Atom::new("info_a"))
    );
    assert!(node.processes().contains(&a));
    node.stop();
    wait_until("all processes gone", || node.process_count() == 0).await;
    assert!(node
        .spawn(SpawnOptions::default(), |_c| async { Term::atom("normal") })
        .is_err());
    let _ = Envelope::Message(Payload::new(1i64));
}

#[tokio::test]
async fn lost_connection_fires_noconnection_to_links_and_monitors() {
    let node = start("rb_nodedown").await;
    let router = Arc::new(common::RecordingDistribution::default());
    assert!(node.set_distribution(router.clone()));
    let remote = Pid {
        node: Atom::new("gone@host"),
        id: 5,
        serial: 0,
        creation: 3,
    };
    let other = Pid {
        node: Atom::new("alive@host"),
        id: 6,
        serial: 0,
        creation: 3,
    };
    let (local, mut rx) = spawn_collector(
        &node,
        SpawnOptions {
            trap_exit: true,
            ..SpawnOptions::default()
        },
    );
    node.link(&local, &remote);
    node.link(&local, &other);
    let by_pid = node.monitor(&local, &Dest::Pid(remote.clone()));
    let by_name = node.monitor(&local, &Dest::from(("srv", "gone@host")));
    let kept = node.monitor(&local, &Dest::Pid(other.clone()));
    node.deliver_node_down(&Atom::new("gone@host"));
    let mut got = vec![
        next(&mut rx).await,
        next(&mut rx).await,
        next(&mut rx).await,
    ];
    got.sort();
    let mut want = vec![
        Term::tuple(vec![
            Term::atom("EXIT"),
            Term::Pid(remote.clone()),
            Term::atom("noconnection"),
        ]),
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(by_pid),
            Term::atom("process"),
            Term::Pid(remote.clone()),
            Term::atom("noconnection"),
        ]),
        Term::tuple(vec![
            Term::atom("DOWN"),
            Term::Reference(by_name),
            Term::atom("process"),
            Term::tuple(vec![Term::atom("srv"), Term::atom("gone@host")]),
            Term::atom("noconnection"),
        ]),
    ];
    want.sort();
    assert_eq!(got, want);
    let info = node.process_info(&local).unwrap_or_else(|| panic!("info"));
    assert_eq!(
        info.links,
        vec![other.clone()],
        "only the link to the lost node went"
    );
    assert_eq!(
        info.monitors,
        vec![kept],
        "only the monitor on the lost node went"
    );
}

#[tokio::test]
async fn aliases_deliver_until_unaliased() {
    let node = start("rb_alias").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (alias_tx, alias_rx) = tokio::sync::oneshot::channel();
    let pid = node
        .spawn(
            SpawnOptions::default(),
            move |mut ctx: Context| async move {
                let Some(alias) = ctx.alias() else {
                    return Term::atom("no_alias");
                };
                let _ = alias_tx.send(alias.clone());
                loop {
                    match ctx.recv_term().await {
                        Ok(t) if t.is_atom("unalias") => {
                            let _ = tx.send(Term::atom(if ctx.unalias(&alias) {
                                "unaliased"
                            } else {
                                "not_active"
                            }));
                        }
                        Ok(t) => {
                            let _ = tx.send(t);
                        }
                        Err(r) => return r,
                    }
                }
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let alias = tokio::time::timeout(Duration::from_secs(5), alias_rx)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("no alias"));
    node.send(&alias, 1i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut rx).await, Term::Int(1));
    node.send(&pid, Term::atom("unalias"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut rx).await, Term::atom("unaliased"));
    // An inactive alias drops the message (as OTP does); a later pid send still arrives first.
    node.send(&alias, 2i64).unwrap_or_else(|e| panic!("{e}"));
    node.send(&pid, 3i64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut rx).await, Term::Int(3));
}

#[tokio::test]
async fn waiting_for_a_node_gives_the_reason_it_stopped() {
    let node = start("rb_wait").await;
    let waiter = tokio::spawn({
        let node = node.clone();
        async move { node.wait().await }
    });
    // Not stopped yet: the waiter is still waiting.
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    node.stop_with(Term::atom("maintenance"));
    let why = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("wait resolves")
        .expect("the waiter did not panic");
    assert_eq!(why, Term::atom("maintenance"));
    // The first stop's reason is kept; waiting after the stop answers at once.
    node.stop();
    assert_eq!(node.wait().await, Term::atom("maintenance"));
    // A plain stop is `normal`.
    let other = start("rb_wait_normal").await;
    other.stop();
    assert_eq!(other.wait().await, Term::atom("normal"));
}
