//! `#[gen_server]`: typed dispatch of calls, casts, infos and direct requests, the untyped `Term`
//! path, deferred replies through `ReplyTo`, stop and terminate, and a context parameter.

use std::time::Duration;

use ergo::ReplyTo;
use ergo::{
    gen_server, CallError, Context, DirectRequest, Node, NodeOptions, Reply, SpawnOptions, Status,
    Term,
};

/// A direct request: the length of the text plus the counter.
struct Measure(String);

impl DirectRequest for Measure {
    type Reply = usize;
}

/// A direct request no server here takes.
struct Unknown;

impl DirectRequest for Unknown {
    type Reply = ();
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
enum CounterMsg {
    Incr(i64),
    Get,
    Reset,
    Later,
    Stop,
}

struct Counter {
    value: i64,
    reported: Option<tokio::sync::mpsc::UnboundedSender<Term>>,
    /// Callers answered later, typed like the reply of handle_call.
    pending: Vec<ReplyTo<i64>>,
}

#[gen_server]
impl Counter {
    async fn init(start: i64) -> Result<Self, Term> {
        if start < 0 {
            return Err(Term::atom("negative_start"));
        }
        Ok(Counter {
            value: start,
            reported: None,
            pending: Vec::new(),
        })
    }

    async fn handle_call(&mut self, msg: CounterMsg, from: ReplyTo<i64>) -> Reply<i64> {
        match msg {
            CounterMsg::Incr(n) => {
                self.value += n;
                Reply::Reply(self.value)
            }
            CounterMsg::Get => Reply::Reply(self.value),
            CounterMsg::Reset => {
                self.value = 0;
                for f in self.pending.drain(..) {
                    f.reply(-1i64);
                }
                Reply::Reply(0)
            }
            CounterMsg::Later => {
                self.pending.push(from);
                Reply::NoReply
            }
            CounterMsg::Stop => Reply::Stop(Term::atom("asked"), Some(self.value)),
        }
    }

    async fn handle_cast(&mut self, msg: CounterMsg) -> Status {
        if let CounterMsg::Incr(n) = msg {
            self.value += n;
        }
        Status::Continue
    }

    async fn handle_info(&mut self, ctx: &mut Context, msg: Term) -> Status {
        if let Some([tag, Term::Pid(to)]) = msg
            .as_tuple()
            .map(|t| t.to_vec())
            .and_then(|v| <[Term; 2]>::try_from(v).ok())
        {
            if tag.is_atom("report_to") {
                let _ = ctx.send(
                    to,
                    Term::tuple(vec![
                        Term::atom("value"),
                        Term::Int(self.value),
                        Term::Pid(ctx.pid().clone()),
                    ]),
                );
            }
        }
        Status::Continue
    }

    async fn handle_direct(&mut self, msg: Measure) -> usize {
        msg.0.len() + self.value as usize
    }

    async fn terminate(&mut self, reason: &Term) {
        if let Some(tx) = &self.reported {
            let _ = tx.send(reason.clone());
        }
    }
}

#[tokio::test]
async fn typed_calls_casts_and_infos() {
    let node = Node::start(
        &format!("gsm_{}@localhost", std::process::id()),
        NodeOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let pid = node
        .start_server::<Counter>(100, SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        node.call::<i64>(&pid, CounterMsg::Incr(5))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        105
    );
    // The same request as a term (what an Erlang caller sends) takes the FromTerm path.
    let as_term = Term::tuple(vec![Term::atom("incr"), Term::Int(1)]);
    assert_eq!(
        node.call::<i64>(&pid, as_term)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        106
    );
    node.cast(&pid, CounterMsg::Incr(4))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        node.call::<i64>(&pid, CounterMsg::Get)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        110
    );
    // An undecodable request is refused, not silently dropped.
    assert!(matches!(
        node.call::<i64>(&pid, Term::atom("bogus")).await,
        Err(CallError::BadRequest(_))
    ));
    // handle_direct takes a plain Rust value, and its answer's type is the request's.
    let measured: usize = node
        .direct(&pid, Measure("abc".to_string()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(measured, 113);
    // A request of a type the server does not take is refused, not run.
    assert!(matches!(
        node.direct(&pid, Unknown).await,
        Err(CallError::BadRequest(reason)) if reason == Term::atom("bad_direct_request")
    ));
    // Deferred reply through a stored ReplyTo.
    let n2 = node.clone();
    let p2 = pid.clone();
    let waiting = tokio::spawn(async move { n2.call::<i64>(&p2, CounterMsg::Later).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        node.call::<i64>(&pid, CounterMsg::Reset)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        0
    );
    assert_eq!(
        waiting
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}")),
        -1
    );
    // handle_info with ctx: reply to a raw process.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let probe = node
        .spawn(
            SpawnOptions::default(),
            move |mut ctx: Context| async move {
                if let Ok(t) = ctx.recv_term().await {
                    let _ = tx.send(t);
                }
                Term::atom("normal")
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    node.send(
        &pid,
        Term::tuple(vec![Term::atom("report_to"), Term::Pid(probe)]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .ok()
        .flatten();
    assert_eq!(
        got,
        Some(Term::tuple(vec![
            Term::atom("value"),
            Term::Int(0),
            Term::Pid(pid.clone())
        ]))
    );
    // Stop with a reply.
    assert_eq!(
        node.call::<i64>(&pid, CounterMsg::Stop)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        0
    );
    match node
        .start_server::<Counter>(-1, SpawnOptions::default())
        .await
    {
        Err(ergo::SpawnError::InitFailed(r)) => assert_eq!(r, Term::atom("negative_start")),
        other => panic!("{other:?}"),
    }
}

/// Aliases of every type `#[gen_server]` used to recognise by name: the macro leaves types to
/// the compiler, so an alias is as good as the type it names.
mod aliases {
    pub type Answer = ergo::Reply<u32>;
    pub type Ctx = ergo::Context;
    pub type Caller = ergo::ReplyTo<u32>;
    pub type Done = ergo::Status;
}

use aliases::{Answer, Caller, Ctx, Done};

/// A server whose callbacks name the context, the reply handle and their results by alias.
struct Aliased {
    calls: u32,
    own_pid: ergo::Pid,
}

type Started = Result<Aliased, Term>;

#[gen_server]
impl Aliased {
    async fn init(ctx: &mut Ctx, start: u32) -> Started {
        Ok(Aliased {
            calls: start,
            own_pid: ctx.pid().clone(),
        })
    }

    async fn handle_call(&mut self, ctx: &mut Ctx, msg: Term, from: Caller) -> Answer {
        assert_eq!(ctx.pid(), &self.own_pid);
        self.calls += 1;
        if msg.is_atom("through_handle") {
            from.reply(self.calls + 1000);
            return Reply::NoReply;
        }
        Reply::Reply(self.calls)
    }

    async fn handle_cast(&mut self, _ctx: &mut Ctx, _msg: Term) -> Done {
        self.calls += 10;
        Status::Continue
    }
}

#[tokio::test]
async fn aliased_reply_context_and_reply_handle_types_answer_calls() {
    let node = Node::start(
        &format!("gsm_alias_{}@localhost", std::process::id()),
        NodeOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let pid = node
        .start_server::<Aliased>(5, SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let call = |msg: &'static str| {
        let node = node.clone();
        let pid = pid.clone();
        async move {
            node.call::<u32>(&pid, Term::atom(msg))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    assert_eq!(call("count").await, 6);
    // The aliased reply handle is the real one: replying through it answers the call.
    assert_eq!(call("through_handle").await, 1007);
    node.cast(&pid, Term::atom("bump"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(call("count").await, 18);
}

/// `on_bad_message = crash`: OTP's behaviour, the server stops on a message it cannot decode.
struct Strict;

#[gen_server(on_bad_message = crash)]
impl Strict {
    async fn init(_args: ()) -> Result<Self, Term> {
        Ok(Strict)
    }
    async fn handle_cast(&mut self, _msg: i64) -> Status {
        Status::Continue
    }
}

#[tokio::test]
async fn a_crash_on_bad_message_server_stops_with_bad_cast() {
    let node = Node::start("strict@localhost", NodeOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = node
        .start_server::<Strict>((), SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (watcher, mut down) = tokio::sync::mpsc::unbounded_channel();
    let (ready, watching) = tokio::sync::oneshot::channel();
    let target = pid.clone();
    node.spawn(
        SpawnOptions::default(),
        move |mut ctx: Context| async move {
            let reference = ctx.monitor(target);
            let _ = ready.send(());
            if let Ok(ergo::Envelope::Down(down)) = ctx.recv().await {
                if down.reference == reference {
                    let _ = watcher.send(down.reason);
                }
            }
            Term::atom("normal")
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    watching.await.unwrap_or_else(|e| panic!("{e}"));
    node.cast(&pid, 1i64).unwrap_or_else(|e| panic!("{e}"));
    node.cast(&pid, Term::atom("frobnicate"))
        .unwrap_or_else(|e| panic!("{e}"));
    let reason = tokio::time::timeout(Duration::from_secs(5), down.recv())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the strict server did not stop"));
    assert_eq!(
        reason,
        Term::tuple(vec![Term::atom("bad_cast"), Term::atom("frobnicate")])
    );
}
