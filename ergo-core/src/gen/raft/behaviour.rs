//! The `GenRaft` trait: a gen_raft process's callbacks (`#[gen_raft]` implements it from an impl
//! block), and [`RaftStart`], what its `init` returns besides the state: the options and the
//! log the member starts on. Must not run a loop (that is `server`).

use std::future::Future;
use std::pin::Pin;

use ergo_etf::{Atom, Term};

use super::context::RaftContext;
use super::error::GenRaftError;
use super::log_store::{LogStorage, MemLog};
use super::member::RaftMember;
use super::options::RaftOptions;
use crate::gen::server::{CallOutcome, Init, ReplyTo, Status};
use crate::node::{Context, Node};
use crate::process::Payload;

/// Starts the member on the log `RaftStart` was given (any [`LogStorage`]).
type StartMember = Box<
    dyn FnOnce(
            Node,
            RaftOptions,
            super::server::Forwarder,
        ) -> Pin<Box<dyn Future<Output = Result<RaftMember, GenRaftError>> + Send>>
        + Send,
>;

/// How a gen_raft process's member starts: its [`RaftOptions`] (cluster id, the raft process's
/// name, seed peers, timings) and its log (in memory unless [`RaftStart::log`] says otherwise).
pub struct RaftStart {
    pub(super) options: RaftOptions,
    pub(super) start: StartMember,
}

impl RaftStart {
    /// A member with these options on an in-memory log.
    pub fn new(options: RaftOptions) -> RaftStart {
        RaftStart {
            options,
            start: starter(MemLog::new()),
        }
    }

    /// The member's log instead: e.g. a [`FileLog`](super::FileLog) (which takes no snapshots:
    /// set `options.snapshot_every` to `None`).
    pub fn log(self, log: impl LogStorage) -> RaftStart {
        RaftStart {
            options: self.options,
            start: starter(log),
        }
    }
}

fn starter(log: impl LogStorage) -> StartMember {
    Box::new(move |node, options, forwarder| {
        Box::pin(async move { RaftMember::start(&node, options, log, forwarder).await })
    })
}

/// A gen_raft process's callbacks. Every one runs in the process, one message at a time, like a
/// gen_server's: the raft callbacks get what the member reports (each committed append once, in
/// serial order, on every member and learner; leader, voter and peer changes), the gen_server
/// callbacks get calls, casts and other messages. All but `init` and `terminate` get a
/// [`RaftContext`]: the process's `Context` and the member, to append and read.
///
/// (The seed's `handle_get`, serving an entry to a peer catching up, has no counterpart:
/// openraft replicates the log and snapshots itself.)
pub trait GenRaft: Sized + Send + 'static {
    /// What `init` receives.
    type Args: Send + 'static;

    /// Builds the state and says how the member starts, or refuses to start.
    fn init(
        ctx: &mut Context,
        args: Self::Args,
    ) -> impl Future<Output = Init<(Self, RaftStart)>> + Send;

    /// Whether `handle_append` is wanted (yes by default). Without it the state machine does not
    /// copy and decode every applied append for nobody.
    fn handles_appends() -> bool {
        true
    }

    /// A committed append was applied on this member.
    fn handle_append(
        &mut self,
        raft: &mut RaftContext<'_>,
        serial: u64,
        key: Term,
        value: Term,
    ) -> impl Future<Output = Status> + Send {
        let _ = (raft, serial, key, value);
        async { Status::Continue }
    }

    /// The leader changed (`None`: no leader known now) in `term`.
    fn handle_leader(
        &mut self,
        raft: &mut RaftContext<'_>,
        leader: Option<Atom>,
        term: u64,
    ) -> impl Future<Output = Status> + Send {
        let _ = (raft, leader, term);
        async { Status::Continue }
    }

    /// The voting members are now `members`.
    fn handle_quorum(
        &mut self,
        raft: &mut RaftContext<'_>,
        members: Vec<Atom>,
    ) -> impl Future<Output = Status> + Send {
        let _ = (raft, members);
        async { Status::Continue }
    }

    /// `peer` came online (`true`) or went away (`false`).
    fn handle_peer(
        &mut self,
        raft: &mut RaftContext<'_>,
        peer: Atom,
        online: bool,
    ) -> impl Future<Output = Status> + Send {
        let _ = (raft, peer, online);
        async { Status::Continue }
    }

    /// Handles a call. The default refuses it.
    fn handle_call(
        &mut self,
        raft: &mut RaftContext<'_>,
        request: Payload,
        from: ReplyTo,
    ) -> impl Future<Output = CallOutcome> + Send {
        let _ = (raft, from);
        async move { CallOutcome::Refuse(request.into_term()) }
    }

    /// Handles a cast. The default ignores it with a warning.
    fn handle_cast(
        &mut self,
        raft: &mut RaftContext<'_>,
        request: Payload,
    ) -> impl Future<Output = Status> + Send {
        let _ = raft;
        async move {
            tracing::warn!(request = %request.into_term(), "gen_raft: unhandled cast");
            Status::Continue
        }
    }

    /// Handles any other message. The default ignores it with a warning.
    fn handle_info(
        &mut self,
        raft: &mut RaftContext<'_>,
        message: Payload,
    ) -> impl Future<Output = Status> + Send {
        let _ = raft;
        async move {
            tracing::warn!(message = %message.into_term(), "gen_raft: unhandled info message");
            Status::Continue
        }
    }

    /// What `sys:get_state/1` shows.
    fn format_state(&self) -> Term {
        Term::binary(format!("#{}{{}}", std::any::type_name::<Self>()).into_bytes())
    }

    /// The process stops; the member stops right after.
    fn terminate(&mut self, ctx: &mut Context, reason: &Term) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }
}
