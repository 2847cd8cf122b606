//! The gen_raft process: a gen_server (`RaftServer<R>`) whose state is the user's [`GenRaft`]
//! state and the member it owns. The member's reports (committed appends, leader, voter and peer
//! changes) reach the process as local messages (`RaftNotice`, sent by the `Forwarder`) and go
//! to the raft callbacks; calls, casts and every other message go to the user's gen_server
//! callbacks. The process is linked to the member's raft process, so that neither outlives the
//! other. Owns that dispatch and `Node::start_raft`; must not touch the engine. A notice is a
//! Rust value that never crosses the wire: no message from another node can pass for one.

use ergo_etf::{Atom, Pid, Term};

use super::behaviour::GenRaft;
use super::callbacks::{RaftCallbacks, RaftEvent};
use super::context::RaftContext;
use super::member::RaftMember;
use crate::gen::server::{CallOutcome, GenServer, Init, ReplyTo, Status};
use crate::node::{Context, Node, SpawnError, SpawnOptions};
use crate::process::Payload;

/// A gen_raft process as a gen_server: the user's state and its member.
pub struct RaftServer<R> {
    user: R,
    member: RaftMember,
}

/// What the member reports to its process, in the order it happened.
#[derive(Debug)]
pub(super) enum RaftNotice {
    Append(u64, Term, Term),
    Event(RaftEvent),
}

/// For logs and untyped receivers only (`{gen_raft_notice, ..}`); a notice is never decoded
/// from a term.
impl ergo_etf::IntoTerm for RaftNotice {
    fn into_term(self) -> Term {
        let tag = Term::atom("gen_raft_notice");
        match self {
            RaftNotice::Append(serial, key, value) => {
                Term::tuple(vec![tag, Term::from(serial), key, value])
            }
            RaftNotice::Event(event) => Term::tuple(vec![tag, Term::from(format!("{event:?}"))]),
        }
    }
}

/// The member's callbacks of a gen_raft process: each report becomes a message to it.
pub(super) struct Forwarder {
    node: Node,
    pid: Pid,
    appends: bool,
}

impl Forwarder {
    fn notify(&self, notice: RaftNotice) {
        // The process is gone only when it stops, and it stops its member then.
        if let Err(error) = self.node.send(self.pid.clone(), notice) {
            tracing::debug!(%error, pid = ?self.pid, "gen_raft: the process is gone");
        }
    }
}

impl RaftCallbacks for Forwarder {
    fn handle_append(&mut self, serial: u64, key: Term, value: Term) {
        self.notify(RaftNotice::Append(serial, key, value));
    }
    fn handle_leader(&mut self, leader: Option<Atom>, term: u64) {
        self.notify(RaftNotice::Event(RaftEvent::Leader(leader, term)));
    }
    fn handle_quorum(&mut self, members: Vec<Atom>) {
        self.notify(RaftNotice::Event(RaftEvent::Quorum(members)));
    }
    fn handle_peer(&mut self, peer: Atom, online: bool) {
        self.notify(RaftNotice::Event(RaftEvent::Peer(peer, online)));
    }
    fn handles_appends(&self) -> bool {
        self.appends
    }
}

impl<R: GenRaft> RaftServer<R> {
    fn context<'a>(&'a mut self, ctx: &'a mut Context) -> (&'a mut R, RaftContext<'a>) {
        (
            &mut self.user,
            RaftContext {
                ctx,
                member: &self.member,
            },
        )
    }
}

impl<R: GenRaft> GenServer for RaftServer<R> {
    type Args = R::Args;

    async fn init(ctx: &mut Context, args: R::Args) -> Init<Self> {
        let (user, start) = match R::init(ctx, args).await {
            Init::Ok(started) => started,
            Init::Ignore => return Init::Ignore,
            Init::Stop(reason) => return Init::Stop(reason),
        };
        let forwarder = Forwarder {
            node: ctx.node().clone(),
            pid: ctx.pid().clone(),
            appends: R::handles_appends(),
        };
        match (start.start)(ctx.node().clone(), start.options, forwarder).await {
            Ok(member) => {
                // The process owns the member: killed without its `terminate`, the link takes
                // the member's raft process down with it, and the member stops.
                ctx.link(member.pid());
                Init::Ok(RaftServer { user, member })
            }
            Err(error) => {
                tracing::warn!(%error, "gen_raft: the member did not start");
                Init::Stop(Term::tuple(vec![
                    Term::atom("raft"),
                    Term::from(error.to_string()),
                ]))
            }
        }
    }

    async fn handle_call(
        &mut self,
        ctx: &mut Context,
        request: Payload,
        from: ReplyTo,
    ) -> CallOutcome {
        let (user, mut raft) = self.context(ctx);
        user.handle_call(&mut raft, request, from).await
    }

    async fn handle_cast(&mut self, ctx: &mut Context, request: Payload) -> Status {
        let (user, mut raft) = self.context(ctx);
        user.handle_cast(&mut raft, request).await
    }

    async fn handle_info(&mut self, ctx: &mut Context, message: Payload) -> Status {
        let (user, mut raft) = self.context(ctx);
        let notice = match message {
            Payload::Local(value) if value.as_any().is::<RaftNotice>() => {
                value.into_any().downcast::<RaftNotice>()
            }
            other => return user.handle_info(&mut raft, other).await,
        };
        match notice.map(|n| *n) {
            Ok(RaftNotice::Append(serial, key, value)) => {
                user.handle_append(&mut raft, serial, key, value).await
            }
            Ok(RaftNotice::Event(RaftEvent::Leader(leader, term))) => {
                user.handle_leader(&mut raft, leader, term).await
            }
            Ok(RaftNotice::Event(RaftEvent::Quorum(members))) => {
                user.handle_quorum(&mut raft, members).await
            }
            Ok(RaftNotice::Event(RaftEvent::Peer(peer, online))) => {
                user.handle_peer(&mut raft, peer, online).await
            }
            Err(_) => Status::Continue, // `is` said it was one.
        }
    }

    fn format_state(&self) -> Term {
        self.user.format_state()
    }

    async fn terminate(&mut self, ctx: &mut Context, reason: &Term) {
        self.user.terminate(ctx, reason).await;
        self.member.stop().await;
    }
}

impl Node {
    /// Starts a gen_raft process (a gen_server running `R`'s callbacks, owning the member its
    /// `init` describes) and waits until `init` has run and the member started.
    pub async fn start_raft<R: GenRaft>(
        &self,
        args: R::Args,
        options: SpawnOptions,
    ) -> Result<Pid, SpawnError> {
        self.start_server::<RaftServer<R>>(args, options).await
    }
}
