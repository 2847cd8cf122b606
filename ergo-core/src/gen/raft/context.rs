//! [`RaftContext`]: what a gen_raft callback acts through, the process's `Context` and its
//! member (append, read, leader, voters). Owns no state; must not call the user's callbacks.

use ergo_etf::{Atom, IntoTerm, Term};

use super::error::GenRaftError;
use super::member::RaftMember;
use crate::node::Context;

/// A gen_raft callback's handle: the process's [`Context`] (`ctx()`) and its member.
///
/// `append` and `get` wait for the cluster (a majority's commit, a read index) while the
/// process waits with them, as a gen_server waits in a call it makes. To answer a caller
/// without holding up the process, clone the member (`raft.member().clone()`), do the request on
/// a task of its own and reply from there (`CallOutcome::NoReply`, then `from.reply(..)`).
pub struct RaftContext<'a> {
    pub(super) ctx: &'a mut Context,
    pub(super) member: &'a RaftMember,
}

impl RaftContext<'_> {
    /// The process's context (its pid, sends, calls, timers).
    pub fn ctx(&mut self) -> &mut Context {
        self.ctx
    }

    /// The member: cheap to clone, usable from any task.
    pub fn member(&self) -> &RaftMember {
        self.member
    }

    /// Appends `key => value` and returns its serial once a majority committed it
    /// ([`RaftMember::append`]). This process's `handle_append` for it runs later, when the
    /// member's report reaches the mailbox, after the current callback has returned.
    pub async fn append(
        &self,
        key: impl IntoTerm,
        value: impl IntoTerm,
    ) -> Result<u64, GenRaftError> {
        self.member
            .append(&key.into_term(), &value.into_term())
            .await
    }

    /// The latest value of `key` and its serial, read linearizably ([`RaftMember::get`]).
    pub async fn get(&self, key: impl IntoTerm) -> Result<Option<(u64, Term)>, GenRaftError> {
        self.member.get(&key.into_term()).await
    }

    /// The entry of `serial` ([`RaftMember::get_serial`]).
    pub async fn get_serial(&self, serial: u64) -> Result<Option<(Term, Term)>, GenRaftError> {
        self.member.get_serial(serial).await
    }

    /// The leader and its term, as this member sees it.
    pub fn leader(&self) -> Option<(Atom, u64)> {
        self.member.leader()
    }

    /// The voting members.
    pub fn members(&self) -> Vec<Atom> {
        self.member.members()
    }
}
