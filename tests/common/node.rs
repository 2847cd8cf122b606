//! Rust nodes for tests: node options on loopback without EPMD (reached through static routes),
//! distributed nodes registered with EPMD (to meet real Erlang nodes), and an echo gen_server.

use std::sync::Mutex;

use ergo::runtime::{ConnectFuture, Distribution, RemoteSignal};
use ergo::{Atom, Dest, DistOptions, Node, NodeOptions, Pid, SendError, Term};

/// A distributed node named `<prefix>_<unique>@localhost` listening on 127.0.0.1 that does not
/// register with EPMD (other nodes reach it through [`route`]), with `cookie` and otherwise
/// `dist`.
pub async fn start_loopback(prefix: &str, cookie: &str, dist: DistOptions) -> Node {
    let options = NodeOptions {
        cookie: cookie.into(),
        ..NodeOptions::default()
    };
    start_dist(prefix, options, loopback(dist)).await
}

/// `dist` listening on 127.0.0.1 only and not registering with EPMD.
pub fn loopback(dist: DistOptions) -> DistOptions {
    DistOptions {
        listen_address: std::net::Ipv4Addr::LOCALHOST.into(),
        register_with_epmd: false,
        ..dist
    }
}

/// Lets `from` reach `to` directly: a static route to its port on 127.0.0.1.
pub fn route(from: &Node, to: &Node) {
    let port = to.dist_port().expect("distributed");
    from.add_static_route(to.name().as_str(), ([127, 0, 0, 1], port).into())
        .expect("route");
}

/// Starts a local node named `<prefix>_<unique>@localhost` (no other test's) with `options`.
pub async fn start_node(prefix: &str, options: NodeOptions) -> Node {
    Node::start(&super::node_name(prefix), options)
        .await
        .unwrap_or_else(|e| panic!("start node {prefix}: {e}"))
}

/// Starts a distributed node named `<prefix>_<unique>@localhost` with `options` and `dist`.
pub async fn start_dist(prefix: &str, options: NodeOptions, dist: DistOptions) -> Node {
    Node::start_distributed(&super::node_name(prefix), options, dist)
        .await
        .unwrap_or_else(|e| panic!("start node {prefix}: {e}"))
}

/// A distributed node named `<prefix>_<unique>@localhost` with `cookie`, registered with the
/// system EPMD (started first if need be, so that the EPMD other tests' nodes register with is
/// not one embedded in this node, which would end with this test), as real Erlang nodes find
/// it.
///
/// With `RUST_LOG` set (e.g. `RUST_LOG=ergo_core=debug`) it also installs a log subscriber
/// writing to the test's output, once per test binary.
pub async fn dist_node(prefix: &str, cookie: &str) -> Node {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    super::ensure_system_epmd();
    let options = NodeOptions {
        cookie: cookie.to_string(),
        ..NodeOptions::default()
    };
    start_dist(prefix, options, DistOptions::default()).await
}

/// A gen_server that answers every call with its request, except `hang`, which it never answers.
pub struct Echo;

impl ergo::GenServer for Echo {
    type Args = ();
    async fn init(_ctx: &mut ergo::Context, _args: ()) -> ergo::Init<Self> {
        ergo::Init::Ok(Echo)
    }
    async fn handle_call(
        &mut self,
        _ctx: &mut ergo::Context,
        request: ergo::Payload,
        _from: ergo::ReplyTo,
    ) -> ergo::CallOutcome {
        let request = request.into_term();
        if request.is_atom("hang") {
            return ergo::CallOutcome::NoReply;
        }
        ergo::CallOutcome::Reply(ergo::Payload::new(request))
    }
}

/// A stand-in for the network layer that records what the node hands it (for tests that play a
/// remote node with `Node::set_distribution`): messages in `sent`, signals in `signals`. It
/// connects nowhere and knows no nodes.
#[derive(Default)]
pub struct RecordingDistribution {
    /// Remote sends, in order.
    pub sent: Mutex<Vec<(Dest, Term)>>,
    /// Remote signals, in order.
    pub signals: Mutex<Vec<RemoteSignal>>,
}

impl Distribution for RecordingDistribution {
    fn send(&self, _from: Option<&Pid>, to: &Dest, message: Term) -> Result<(), SendError> {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((to.clone(), message));
        Ok(())
    }
    fn signal(&self, signal: RemoteSignal) -> Result<(), SendError> {
        self.signals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(signal);
        Ok(())
    }
    fn connect(&self, node: Atom) -> ConnectFuture {
        Box::pin(
            async move { Err(format!("{node}: a recording distribution connects nowhere").into()) },
        )
    }
    fn nodes(&self, _include_hidden: bool) -> Vec<Atom> {
        Vec::new()
    }
    fn disconnect(&self, _node: &Atom) -> bool {
        false
    }
    fn watch_nodes(&self, _watcher: &Pid, _node: Option<&Atom>, _on: bool, _with_reason: bool) {}
}
