//! Distribution over TLS 1.3: a real Erlang node with `-proto_dist inet_tls` pings and calls the
//! `echo` example started with `--tls`, and a Rust TLS node calls into an Erlang TLS node; two
//! Rust nodes verified against a CA connect while a node with a foreign certificate is refused;
//! a TLS node and a plain node refuse each other at once with a clear error.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::EchoNode;
use ergo::runtime::dist::HandshakeError;
use ergo::runtime::net::{ConnectError, TlsIdentity, TlsOptions, TlsVerify};
use ergo::testing::ErlNode;
use ergo::{DistOptions, NetError, Node, NodeOptions, Term};

/// Writes a self-signed certificate for `localhost` and its key; returns their paths.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).expect("write cert");
    std::fs::write(&key, made.key_pair.serialize_pem()).expect("write key");
    (cert, key)
}

/// An Erlang TLS distribution option file (no verification: the certificates are self-signed).
fn erl_tls_options(dir: &Path) -> PathBuf {
    let (cert, key) = self_signed(dir);
    let conf = dir.join("ssl_dist.conf");
    std::fs::write(
        &conf,
        format!(
            "[{{server, [{{certfile, \"{}\"}}, {{keyfile, \"{}\"}}, {{verify, verify_none}}, \
             {{versions, ['tlsv1.3']}}]}},\n {{client, [{{verify, verify_none}}, \
             {{versions, ['tlsv1.3']}}]}}].\n",
            cert.display(),
            key.display()
        ),
    )
    .expect("write conf");
    conf
}

/// Starts `erl` as `name` over TLS distribution (an `ergo::testing::ErlNode`, killed with the
/// test) and waits until it is up.
async fn start_tls_erl(conf: &Path, name: &str, cookie: &str) -> ErlNode {
    let options = ErlNode::options(name, cookie)
        .args(["-proto_dist", "inet_tls", "-ssl_dist_optfile"])
        .arg(conf);
    match options.start().await {
        Ok(Some(erl)) => erl,
        Ok(None) => panic!("erl is not installed (require_erl said it is)"),
        Err(e) => panic!("start erl {name} over TLS: {e}"),
    }
}

/// A node named `<prefix>_<unique>@localhost` registered with EPMD, over TLS when `tls` is set.
async fn tls_node(prefix: &str, cookie: &str, tls: Option<TlsOptions>) -> Node {
    let options = NodeOptions {
        cookie: cookie.into(),
        ..NodeOptions::default()
    };
    let dist = DistOptions {
        tls,
        ..DistOptions::default()
    };
    common::start_dist(prefix, options, dist).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erlang_over_tls_pings_and_calls_echo() {
    if !common::require_erl("erlang_over_tls_pings_and_calls_echo") {
        return;
    }
    let echo = EchoNode::start_with(&["--tls"]);
    let dir = common::temp_dir("tls_erl_client");
    let conf = erl_tls_options(&dir);
    let me = format!("{}@localhost", common::unique_name("tls_client"));
    let erl = start_tls_erl(&conf, &me, &echo.cookie).await;
    let checks = format!(
        "E = '{echo}', \
         pong = net_adm:ping(E), \
         {{echo, hello, P}} = gen_server:call({{echo, E}}, hello), \
         E = node(P), \
         Big = binary:copy(<<7>>, 1048576), \
         {{echo, Big, P}} = gen_server:call({{echo, E}}, Big, 20000), \
         passed",
        echo = echo.name
    );
    match erl.eval_within(&checks, Duration::from_secs(60)).await {
        Ok(value) if value.is_atom("passed") => {}
        other => panic!("{other:?}\noutput:\n{}", erl.output()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_over_tls_calls_an_erlang_tls_node() {
    if !common::require_erl("rust_over_tls_calls_an_erlang_tls_node") {
        return;
    }
    common::ensure_system_epmd();
    let dir = common::temp_dir("tls_erl_server");
    let conf = erl_tls_options(&dir);
    let cookie = common::unique_name("tlscookie");
    let erl_name = format!("{}@localhost", common::unique_name("tls_erl"));
    let _erl = start_tls_erl(&conf, &erl_name, &cookie).await;
    let node = tls_node(
        "tls_rust",
        &cookie,
        Some(TlsOptions::self_signed_insecure()),
    )
    .await;
    node.connect(&erl_name).await.expect("connect over TLS");
    let their_name: Term = node
        .rpc_call(&erl_name, "erlang", "node", vec![], Duration::from_secs(10))
        .await
        .expect("rpc over TLS");
    assert_eq!(their_name, Term::atom(&erl_name));
    let big = Term::binary(vec![3u8; 1 << 20]);
    let back: Term = node
        .rpc_call(
            &erl_name,
            "erlang",
            "iolist_to_binary",
            vec![Term::list(vec![big.clone()])],
            Duration::from_secs(20),
        )
        .await
        .expect("1 MB over TLS");
    assert_eq!(back, big);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_plain_nodes_refuse_each_other_at_once() {
    common::ensure_system_epmd();
    let cookie = common::unique_name("mix");
    let tls = tls_node("mix_tls", &cookie, Some(TlsOptions::self_signed_insecure())).await;
    let plain = tls_node("mix_plain", &cookie, None).await;
    for (from, to) in [(&tls, &plain), (&plain, &tls)] {
        let started = Instant::now();
        let err = from
            .connect(to.name().as_str())
            .await
            .expect_err("mismatch refused");
        assert!(
            matches!(
                &err,
                NetError::Connect { source, .. }
                    if matches!(&**source, ConnectError::Handshake(HandshakeError::Transport(_)))
            ),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "refused at once"
        );
    }
}

/// A CA and a node certificate for `localhost` signed by it, written to `dir`.
fn ca_signed(dir: &Path, tag: &str, ca: &(rcgen::Certificate, rcgen::KeyPair)) -> TlsOptions {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&key, &ca.0, &ca.1)
        .expect("sign");
    let (cert_path, key_path, ca_path) = (
        dir.join(format!("{tag}.pem")),
        dir.join(format!("{tag}.key")),
        dir.join(format!("{tag}_ca.pem")),
    );
    std::fs::write(&cert_path, cert.pem()).expect("write");
    std::fs::write(&key_path, key.serialize_pem()).expect("write");
    std::fs::write(&ca_path, ca.0.pem()).expect("write");
    TlsOptions {
        identity: TlsIdentity::Files {
            cert: cert_path,
            key: key_path,
        },
        verify: TlsVerify::Ca(ca_path),
    }
}

fn new_ca() -> (rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("ca");
    (cert, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_verified_against_a_ca_connect_and_strangers_are_refused() {
    common::ensure_system_epmd();
    let dir = common::temp_dir("tls_ca");
    let (ca, other_ca) = (new_ca(), new_ca());
    let cookie = common::unique_name("ca");
    let start = |tls: TlsOptions, tag: &'static str| {
        let cookie = cookie.clone();
        async move { tls_node(tag, &cookie, Some(tls)).await }
    };
    let a = start(ca_signed(&dir, "a", &ca), "ca_a").await;
    let b = start(ca_signed(&dir, "b", &ca), "ca_b").await;
    a.connect(b.name().as_str())
        .await
        .expect("same CA connects");
    assert_eq!(a.nodes(), vec![b.name().clone()]);
    // A node whose certificate another CA signed (and which trusts only that CA).
    let stranger = start(ca_signed(&dir, "s", &other_ca), "ca_stranger").await;
    let err = stranger
        .connect(a.name().as_str())
        .await
        .expect_err("foreign certificate refused");
    assert!(matches!(err, NetError::Connect { .. }), "{err}");
    let err = a
        .connect(stranger.name().as_str())
        .await
        .expect_err("foreign certificate refused");
    assert!(matches!(err, NetError::Connect { .. }), "{err}");
    assert_eq!(a.nodes(), vec![b.name().clone()]);
}
