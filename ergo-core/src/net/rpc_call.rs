//! Calling functions on other nodes: `rpc_call` spawns `erpc:execute_call(Ref, M, F, A)` on the
//! peer with a monitor, as `erpc:call/5` does, and reads the result from the monitor's DOWN
//! (`{Ref, return, V}`, `{Ref, throw, T}`, `{Ref, exit, R}`, `{Ref, error, R, Stack}`) into a
//! typed [`RpcError`]; a peer without SPAWN_REQUEST support is called through its `rex`
//! instead. `rpc_cast` spawns `erpc:execute_cast(M, F, A)` and returns at once.
//!
//! Owns the client side of rpc; must not touch the wire directly (`spawn_request.rs` does).

use std::time::Duration;

use ergo_etf::{Atom, ConvertError, FromTerm, Term};

use super::rpc::Outcome;
use super::spawn_request::{RemoteSpawnError, RemoteSpawnOptions};
use super::NetError;
use crate::dist::DistFlags;
use crate::node::Context;
use crate::node::{Dest, Node, SpawnOptions};
use crate::process::Envelope;

/// Why a call to another node's function did not return a value.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The function raised an error (`error:{exception, Reason, Stack}` from `erpc:call`).
    #[error("remote function raised error {reason} (stack {stack})")]
    Error {
        /// The error reason.
        reason: Term,
        /// The stack the peer reported.
        stack: Term,
    },
    /// The function exited (`exit:{exception, Reason}`).
    #[error("remote function exited: {0}")]
    Exit(Term),
    /// The function threw the value.
    #[error("remote function threw {0}")]
    Throw(Term),
    /// The process running the call ended without a result, e.g. killed (`exit:{signal, R}`).
    #[error("remote call process ended without a result: {0}")]
    Signal(Term),
    /// `error:{erpc, Reason}`: the peer refused the request (`badarg`, `notsup`,
    /// `system_limit`), or answered through `rex` with `{badrpc, Reason}`.
    #[error("remote call refused: {0}")]
    Erpc(Term),
    /// The connection to the node went down (or could not be made).
    #[error("no connection to {0}")]
    NoConnection(String),
    /// No result in time.
    #[error("remote call to {0} timed out")]
    Timeout(String),
    /// The result came but does not convert to the type asked for.
    #[error("remote result does not convert: {0}")]
    BadResult(ConvertError),
    /// The node is not distributed, or stopped, or the node name is invalid.
    #[error(transparent)]
    Net(#[from] NetError),
}

impl From<RemoteSpawnError> for RpcError {
    fn from(err: RemoteSpawnError) -> RpcError {
        match err {
            RemoteSpawnError::Refused(reason) => RpcError::Erpc(reason),
            RemoteSpawnError::NoConnection(node) => RpcError::NoConnection(node),
            RemoteSpawnError::Timeout(node) => RpcError::Timeout(node),
            RemoteSpawnError::NotSupported(_) => RpcError::Erpc(Term::atom("notsup")),
            RemoteSpawnError::NoProcess => RpcError::Net(NetError::Stopped),
            RemoteSpawnError::Net(NetError::Connect { node, .. }) => RpcError::NoConnection(node),
            RemoteSpawnError::Net(err) => RpcError::Net(err),
        }
    }
}

/// Reads the exit reason of an `erpc:execute_call/4` process.
fn result_of(reason: Term, res: &Term, node: &str) -> Result<Term, RpcError> {
    if reason.is_atom("noconnection") {
        return Err(RpcError::NoConnection(node.to_string()));
    }
    let Term::Tuple(elems) = reason else {
        return Err(RpcError::Signal(reason));
    };
    if elems.len() < 3 || &elems[0] != res {
        return Err(RpcError::Signal(Term::Tuple(elems)));
    }
    let mut it = elems.into_iter().skip(1);
    let class = it.next().unwrap_or_else(Term::nil);
    let first = it.next().unwrap_or_else(Term::nil);
    let rest = it.next();
    match (class.as_atom().map(|a| a.as_str()), rest) {
        (Some("return"), None) => Ok(first),
        (Some("throw"), None) => Err(RpcError::Throw(first)),
        (Some("exit"), None) => Err(RpcError::Exit(first)),
        (Some("error"), Some(stack)) => Err(RpcError::Error {
            reason: first,
            stack,
        }),
        (Some("error"), None) => match first {
            Term::Tuple(mut e) if e.len() == 2 && e[0].is_atom("erpc") => {
                Err(RpcError::Erpc(e.pop().unwrap_or_else(Term::nil)))
            }
            other => Err(RpcError::Signal(other)),
        },
        (_, rest) => {
            let mut all = vec![res.clone(), class, first];
            all.extend(rest);
            Err(RpcError::Signal(Term::tuple(all)))
        }
    }
}

/// Runs the call in `ctx` (the process that holds the monitor).
async fn call_in(
    ctx: &mut Context,
    node: &str,
    module: Atom,
    function: Atom,
    args: Vec<Term>,
    deadline: tokio::time::Instant,
) -> Result<Term, RpcError> {
    let res = Term::Reference(ctx.node().make_ref());
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    let spawned = ctx
        .spawn_request(
            node,
            "erpc",
            "execute_call",
            vec![
                res.clone(),
                Term::Atom(module),
                Term::Atom(function),
                Term::list(args),
            ],
            RemoteSpawnOptions {
                monitor: true,
                timeout: Some(left),
                ..RemoteSpawnOptions::default()
            },
        )
        .await?;
    let Some(monitor) = spawned.monitor else {
        return Err(RpcError::Signal(Term::atom("no_monitor")));
    };
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ctx.recv_timeout(left).await {
            Ok(Some(Envelope::Down(down))) if down.reference == monitor => {
                return result_of(down.reason, &res, node)
            }
            Ok(Some(_)) => continue,
            Ok(None) => {
                ctx.demonitor(&monitor);
                return Err(RpcError::Timeout(node.to_string()));
            }
            Err(reason) => return Err(RpcError::Signal(reason)),
        }
    }
}

/// `rpc:call` through the peer's `rex`, for peers without SPAWN_REQUEST.
async fn call_rex(
    node: &Node,
    peer: &str,
    module: Atom,
    function: Atom,
    args: Vec<Term>,
    timeout: Duration,
) -> Result<Term, RpcError> {
    let to = Dest::Remote {
        name: Atom::new("rex"),
        node: Atom::try_new(peer).ok_or_else(|| NetError::InvalidNode(peer.to_string()))?,
    };
    let request = Term::tuple(vec![
        Term::atom("call"),
        Term::Atom(module),
        Term::Atom(function),
        Term::list(args),
        Term::Pid(node.outside_pid().clone()),
    ]);
    match node.call_timeout::<Term>(to, request, timeout).await {
        Ok(Term::Tuple(mut e)) if e.len() == 2 && e[0].is_atom("badrpc") => {
            Err(RpcError::Erpc(e.pop().unwrap_or_else(Term::nil)))
        }
        Ok(value) => Ok(value),
        Err(crate::node::CallError::Timeout) => Err(RpcError::Timeout(peer.to_string())),
        Err(err) => Err(RpcError::Signal(Term::binary(err.to_string().into_bytes()))),
    }
}

/// `erpc:call` to this very node: the function runs in a fresh local process.
async fn call_local(
    node: &Node,
    module: Atom,
    function: Atom,
    args: Vec<Term>,
    timeout: Duration,
) -> Result<Term, RpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    node.spawn_behaviour("rpc_call", SpawnOptions::default(), move |ctx| async move {
        let _ = tx.send(super::rpc::apply(ctx, module, function, args).await);
        Term::atom("normal")
    })
    .map_err(|_| NetError::Stopped)?;
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(Outcome::Return(value))) => Ok(value),
        Ok(Ok(Outcome::Throw(value))) => Err(RpcError::Throw(value)),
        Ok(Ok(Outcome::Exit(reason))) => Err(RpcError::Exit(reason)),
        Ok(Ok(Outcome::Error { reason, stack })) => Err(RpcError::Error { reason, stack }),
        Ok(Err(_)) => Err(RpcError::Signal(Term::atom("killed"))),
        Err(_) => Err(RpcError::Timeout(node.name().to_string())),
    }
}

impl Node {
    /// Calls `module:function(args)` on `node` (`erpc:call/5`) and converts the result to `R`
    /// (`Term` keeps it as is). The call runs as `erpc:call` runs it on the peer (in a fresh
    /// process on an Erlang node; see [`Node::provide_rpc`] for an ergo-rs node); its exceptions
    /// come back as [`RpcError::Error`], [`RpcError::Exit`] and [`RpcError::Throw`], an unknown
    /// function as `RpcError::Error { reason: undef, .. }`. Connects to `node` if needed;
    /// everything, connecting included, is bounded by `timeout`. A call to this node itself
    /// runs the provided function locally.
    pub async fn rpc_call<R: FromTerm>(
        &self,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<R, RpcError> {
        let bad = || RpcError::Erpc(Term::atom("badarg"));
        let module = Atom::try_new(module).ok_or_else(bad)?;
        let function = Atom::try_new(function).ok_or_else(bad)?;
        let net = self.net()?;
        let peer = Atom::try_new(node).ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        if peer == *self.name() {
            let value = call_local(self, module, function, args, timeout).await?;
            return R::from_term(value).map_err(RpcError::BadResult);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        match tokio::time::timeout_at(deadline, self.connect(node)).await {
            Ok(Ok(())) => {}
            Ok(Err(NetError::Connect { .. })) => {
                return Err(RpcError::NoConnection(node.to_string()))
            }
            Ok(Err(err)) => return Err(err.into()),
            Err(_) => return Err(RpcError::Timeout(node.to_string())),
        }
        let value = if net
            .peer_flags(&peer)
            .is_some_and(|f| !f.contains(DistFlags::SPAWN))
        {
            call_rex(self, node, module, function, args, timeout).await?
        } else {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let target = node.to_string();
            self.spawn_behaviour(
                "rpc_call",
                SpawnOptions::default(),
                move |mut ctx| async move {
                    let result = call_in(&mut ctx, &target, module, function, args, deadline).await;
                    let _ = tx.send(result);
                    Term::atom("normal")
                },
            )
            .map_err(|_| NetError::Stopped)?;
            match rx.await {
                Ok(result) => result?,
                Err(_) => return Err(RpcError::Net(NetError::Stopped)),
            }
        };
        R::from_term(value).map_err(RpcError::BadResult)
    }

    /// Runs `module:function(args)` on `node` without waiting for it (`erpc:cast/4`). Connects
    /// to `node` first if needed (within the node's default call timeout).
    pub async fn rpc_cast(
        &self,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
    ) -> Result<(), RpcError> {
        let bad = || RpcError::Erpc(Term::atom("badarg"));
        let module = Atom::try_new(module).ok_or_else(bad)?;
        let function = Atom::try_new(function).ok_or_else(bad)?;
        let net = self.net()?;
        let peer = Atom::try_new(node).ok_or_else(|| NetError::InvalidNode(node.to_string()))?;
        let timeout = self.options().default_call_timeout;
        match tokio::time::timeout(timeout, self.connect(node)).await {
            Ok(Ok(())) => {}
            Ok(Err(NetError::Connect { .. })) => {
                return Err(RpcError::NoConnection(node.to_string()))
            }
            Ok(Err(err)) => return Err(err.into()),
            Err(_) => return Err(RpcError::Timeout(node.to_string())),
        }
        let flags = net
            .peer_flags(&peer)
            .ok_or_else(|| RpcError::NoConnection(node.to_string()))?;
        if !flags.contains(DistFlags::SPAWN) {
            let to = Dest::Remote {
                name: Atom::new("rex"),
                node: peer,
            };
            let request = Term::tuple(vec![
                Term::atom("cast"),
                Term::Atom(module),
                Term::Atom(function),
                Term::list(args),
                Term::Pid(self.outside_pid().clone()),
            ]);
            return self
                .cast(to, request)
                .map_err(|_| RpcError::NoConnection(node.to_string()));
        }
        let request =
            crate::dist::ControlMessage::SpawnRequest(Box::new(crate::dist::SpawnRequestFields {
                req_id: self.make_ref(),
                from: self.outside_pid().clone(),
                group_leader: self.outside_pid().clone(),
                module: Atom::new("erpc"),
                function: Atom::new("execute_cast"),
                arity: 3,
                opts: Term::nil(),
            }));
        let payload = Term::list(vec![
            Term::Atom(module),
            Term::Atom(function),
            Term::list(args),
        ]);
        net.queue_control(&peer, request, Some(payload))
            .map_err(|_| RpcError::NoConnection(node.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Term {
        text.parse().expect("a term literal")
    }

    #[test]
    fn execute_call_exit_reasons_become_results() {
        let res = t("res");
        assert_eq!(
            result_of(t("{res,return,42}"), &res, "n").ok(),
            Some(t("42"))
        );
        assert!(matches!(
            result_of(t("{res,throw,t}"), &res, "n"),
            Err(RpcError::Throw(x)) if x == t("t")
        ));
        assert!(matches!(
            result_of(t("{res,exit,bye}"), &res, "n"),
            Err(RpcError::Exit(x)) if x == t("bye")
        ));
        assert!(matches!(
            result_of(t("{res,error,undef,[{m,f,[],[]}]}"), &res, "n"),
            Err(RpcError::Error { reason, stack }) if reason == t("undef") && stack == t("[{m,f,[],[]}]")
        ));
        assert!(matches!(
            result_of(t("{res,error,{erpc,badarg}}"), &res, "n"),
            Err(RpcError::Erpc(x)) if x == t("badarg")
        ));
        assert!(matches!(
            result_of(t("noconnection"), &res, "n"),
            Err(RpcError::NoConnection(_))
        ));
        assert!(matches!(
            result_of(t("killed"), &res, "n"),
            Err(RpcError::Signal(x)) if x == t("killed")
        ));
        // Another request's result is not ours.
        assert!(matches!(
            result_of(t("{other,return,1}"), &res, "n"),
            Err(RpcError::Signal(_))
        ));
    }
}
