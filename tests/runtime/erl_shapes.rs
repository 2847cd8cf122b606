//! The gen_server message shapes against a real `erl`: the `'$gen_call'` message OTP 25's
//! `gen_server:call` sends is recognised by an ergo gen_server, whose reply `{[alias|Ref], Reply}`
//! goes to the caller's alias; and the call ergo renders for an untyped receiver is the shape
//! Erlang's `gen` expects.

use crate::common;
use crate::common::wait::wait_until;

use std::sync::Arc;
use std::time::Duration;

use ergo::{gen_server, Atom, Context, Dest, NodeOptions, Pid, Reply, ReplyTo, SpawnOptions, Term};

const ESCRIPT: &str = r#"
main(["capture"]) ->
    Self = self(),
    P = spawn(fun() -> receive M -> Self ! {got, M} end end),
    spawn(fun() -> catch gen_server:call(P, {incr, 5}, 1000) end),
    receive {got, M} -> io:format("~s~n", [binary:encode_hex(term_to_binary(M))]) end;
main(["check", Hex]) ->
    case binary_to_term(binary:decode_hex(list_to_binary(Hex))) of
        {'$gen_call', {Pid, [alias | Ref]}, {incr, 5}} when is_pid(Pid), is_reference(Ref) ->
            io:format("shape_ok~n");
        Other ->
            io:format("shape_bad ~p~n", [Other])
    end.
"#;

fn run_escript(args: &[&str]) -> String {
    let dir = common::temp_dir("ergo_shapes");
    let script = dir.join("shapes.escript");
    std::fs::write(&script, ESCRIPT).unwrap_or_else(|e| panic!("write escript: {e}"));
    let mut escript = std::process::Command::new("escript");
    escript.arg(&script).args(args);
    let done = common::run_within(escript, Duration::from_secs(30), "escript");
    let _ = std::fs::remove_dir_all(&dir);
    done.stdout.trim().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| text.get(2 * i..2 * i + 2))
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
enum Req {
    Incr(i64),
}

struct Counter(i64);

#[gen_server]
impl Counter {
    async fn init(start: i64) -> Result<Self, Term> {
        Ok(Counter(start))
    }
    async fn handle_call(&mut self, msg: Req, _from: ReplyTo) -> Reply<i64> {
        let Req::Incr(n) = msg;
        self.0 += n;
        Reply::Reply(self.0)
    }
    async fn handle_cast(&mut self, msg: Req) -> ergo::Status {
        let Req::Incr(n) = msg;
        self.0 += n;
        ergo::Status::Continue
    }
}

#[tokio::test]
async fn erlang_gen_call_is_served_and_answered_on_its_alias() {
    if !common::require_erl("erlang_gen_call_is_served_and_answered_on_its_alias") {
        return;
    }
    let captured = tokio::task::spawn_blocking(|| run_escript(&["capture"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let call =
        ergo::from_bytes(&unhex(&captured)).unwrap_or_else(|e| panic!("decode {captured}: {e}"));
    let node = common::start_node("shapes", NodeOptions::default()).await;
    let router = Arc::new(common::RecordingDistribution::default());
    assert!(node.set_distribution(router.clone()));
    let server = node
        .start_server::<Counter>(1, SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    node.deliver(&Dest::Pid(server), call.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    let first = || router.sent.lock().ok().and_then(|s| s.first().cloned());
    wait_until("a reply is routed", || first().is_some()).await;
    let (dest, reply) = first().expect("a reply routed");
    let elems = call.as_tuple().unwrap_or_else(|| panic!("{call:?}"));
    let from = elems[1].as_tuple().unwrap_or_else(|| panic!("{call:?}"));
    let tag = from[1].clone();
    let Term::ImproperList(_, alias) = &tag else {
        panic!("OTP 25 tag is [alias|Ref]: {tag:?}")
    };
    let Term::Reference(alias) = alias.as_ref().clone() else {
        panic!("{tag:?}")
    };
    assert_eq!(dest, Dest::Alias(alias));
    assert_eq!(reply, Term::tuple(vec![tag, Term::Int(6)]));
}

/// The one policy for messages a typed server cannot decode, as a remote caller sees it: a call
/// is refused at once with `{Tag, {error, {bad_request, Req}}}` (no timeout to wait out), and a
/// bad cast or info is dropped while the server keeps running with its state.
#[tokio::test]
async fn undecodable_messages_from_a_remote_node_are_refused_or_dropped_and_the_server_lives() {
    let node = common::start_node("bad_requests", NodeOptions::default()).await;
    let router = Arc::new(common::RecordingDistribution::default());
    assert!(node.set_distribution(router.clone()));
    let server = node
        .start_server::<Counter>(1, SpawnOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let remote = Pid {
        node: Atom::new("caller@elsewhere"),
        id: 40,
        serial: 0,
        creation: 3,
    };
    let alias = ergo::Reference {
        node: Atom::new("caller@elsewhere"),
        creation: 3,
        ids: [7, 8, 9].into(),
    };
    let tag = Term::cons(vec![Term::atom("alias")], Term::Reference(alias.clone()));
    let gen_call = |request: Term| {
        Term::tuple(vec![
            Term::atom("$gen_call"),
            Term::tuple(vec![Term::Pid(remote.clone()), tag.clone()]),
            request,
        ])
    };
    // A bad cast and a bad info first: dropped, the server keeps its state (1).
    for bad in [
        Term::tuple(vec![Term::atom("$gen_cast"), Term::atom("frobnicate")]),
        Term::atom("stray"),
    ] {
        node.deliver(&Dest::Pid(server.clone()), bad)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    node.deliver(
        &Dest::Pid(server.clone()),
        gen_call(Term::atom("frobnicate")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sent = |i: usize| router.sent.lock().ok().and_then(|s| s.get(i).cloned());
    wait_until("the refusal is routed", || sent(0).is_some()).await;
    let refusal = Term::tuple(vec![
        Term::atom("error"),
        Term::tuple(vec![Term::atom("bad_request"), Term::atom("frobnicate")]),
    ]);
    assert_eq!(
        sent(0),
        Some((
            Dest::Alias(alias.clone()),
            Term::tuple(vec![tag.clone(), refusal])
        ))
    );
    assert!(
        node.is_alive(&server),
        "a bad message does not stop the server"
    );
    // A good call afterwards sees the state untouched by the bad messages: 1 + 5.
    let incr = Term::tuple(vec![Term::atom("incr"), Term::Int(5)]);
    node.deliver(&Dest::Pid(server.clone()), gen_call(incr))
        .unwrap_or_else(|e| panic!("{e}"));
    wait_until("the reply is routed", || sent(1).is_some()).await;
    assert_eq!(
        sent(1),
        Some((Dest::Alias(alias), Term::tuple(vec![tag, Term::Int(6)])))
    );
}

#[tokio::test]
async fn ergo_rendered_gen_call_has_the_shape_erlang_expects() {
    if !common::require_erl("ergo_rendered_gen_call_has_the_shape_erlang_expects") {
        return;
    }
    let node = common::start_node("shapes2", NodeOptions::default()).await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let raw = node
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
    let n2 = node.clone();
    let _call = tokio::spawn(async move {
        n2.call_timeout::<Term>(&raw, Req::Incr(5), Duration::from_millis(200))
            .await
    });
    let term = tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("no call received"));
    let bytes = ergo::to_bytes(&term).unwrap_or_else(|e| panic!("{e}"));
    let h = hex(&bytes);
    let out = tokio::task::spawn_blocking(move || run_escript(&["check", &h]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out, "shape_ok", "{term:?}");
}
