//! The stage API for Rust code, on the same messages Elixir's `GenStage` functions send, so it
//! drives Rust and Elixir stages alike: `subscribe` (`sync_subscribe`), `ask`, `cancel`,
//! `demand`/`set_demand`, `estimate_buffered_count`, `sync_info`/`async_info`. Owns those
//! message shapes on the caller's side; must not know a stage's state.

use ergo_etf::{Atom, Term};

use super::messages::{ProducerRequest, StageFrom, ToProducer};
use super::options::SubscribeOptions;
use super::types::DemandMode;
use crate::node::{CallError, Context, Dest, Node, SendError};

/// Why a stage control call failed.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The call itself failed (no such process, timeout...).
    #[error("stage call failed: {0}")]
    Call(#[from] CallError),
    /// The stage answered `{error, Reason}`.
    #[error("stage refused: {0}")]
    Refused(Term),
    /// The stage answered something this API does not know.
    #[error("unexpected stage reply: {0}")]
    BadReply(Term),
    /// The options are invalid (checked before anything is sent).
    #[error("invalid subscription options: {0}")]
    BadOptions(String),
}

/// `GenStage.sync_subscribe(stage, to: to, ...)`: asks the consumer `stage` to subscribe to
/// the producer `to`; returns the subscription's tag.
pub async fn subscribe(
    node: &Node,
    stage: impl Into<Dest>,
    to: impl Into<Dest>,
    options: &SubscribeOptions,
) -> Result<Term, StageError> {
    options
        .validate()
        .map_err(|e| StageError::BadOptions(e.0))?;
    let request = Term::tuple(vec![
        Term::atom("$subscribe"),
        Term::atom("nil"),
        to.into().to_term(),
        options.to_keyword(),
    ]);
    let reply: Term = node.call(stage, request).await?;
    match reply.as_tuple() {
        Some([ok, tag]) if ok.is_atom("ok") => Ok(tag.clone()),
        Some([error, reason]) if error.is_atom("error") => Err(StageError::Refused(reason.clone())),
        _ => Err(StageError::BadReply(reply)),
    }
}

/// `GenStage.ask(from, n)`: asks the producer of `from` for `n` more events, on behalf of the
/// consumer `ctx` runs (a manual subscription). Asking 0 sends nothing.
pub fn ask(ctx: &Context, from: &StageFrom, n: u64) -> Result<(), SendError> {
    if n == 0 {
        return Ok(());
    }
    send_to_producer(ctx, from, ProducerRequest::Ask(n))
}

/// `GenStage.cancel(from, reason)`: cancels the subscription `from` at its producer (whose
/// echo then reaches the consumer).
pub fn cancel(ctx: &Context, from: &StageFrom, reason: Term) -> Result<(), SendError> {
    send_to_producer(ctx, from, ProducerRequest::Cancel(reason))
}

fn send_to_producer(
    ctx: &Context,
    from: &StageFrom,
    request: ProducerRequest,
) -> Result<(), SendError> {
    let message = ToProducer {
        from: StageFrom {
            pid: Term::Pid(ctx.pid().clone()),
            tag: from.tag.clone(),
        },
        request,
    };
    ctx.send(from.dest(), message)
}

/// `GenStage.demand(stage)`: the producer's demand mode.
pub async fn demand(node: &Node, stage: impl Into<Dest>) -> Result<DemandMode, StageError> {
    let reply: Term = node.call(stage, Term::atom("$demand")).await?;
    if reply.is_atom("forward") {
        Ok(DemandMode::Forward)
    } else if reply.is_atom("accumulate") {
        Ok(DemandMode::Accumulate)
    } else {
        Err(StageError::BadReply(reply))
    }
}

/// `GenStage.demand(stage, mode)`: sets the producer's demand mode (a cast, as in GenStage).
pub fn set_demand(node: &Node, stage: impl Into<Dest>, mode: DemandMode) -> Result<(), SendError> {
    let mode = match mode {
        DemandMode::Forward => "forward",
        DemandMode::Accumulate => "accumulate",
    };
    node.cast(
        stage,
        Term::tuple(vec![Term::atom("$demand"), Term::atom(mode)]),
    )
}

/// `GenStage.estimate_buffered_count(stage)`.
pub async fn estimate_buffered_count(
    node: &Node,
    stage: impl Into<Dest>,
) -> Result<u64, StageError> {
    let reply: Term = node
        .call(stage, Term::atom("$estimate_buffered_count"))
        .await?;
    match reply {
        Term::Int(n) if n >= 0 => Ok(n as u64),
        other => Err(StageError::BadReply(other)),
    }
}

/// `GenStage.sync_info(stage, msg)`: `msg` reaches the stage's `handle_info` after the events
/// it emitted before reached their consumers.
pub async fn sync_info(
    node: &Node,
    stage: impl Into<Dest>,
    message: Term,
) -> Result<(), StageError> {
    let reply: Term = node
        .call(stage, Term::tuple(vec![Term::atom("$info"), message]))
        .await?;
    if reply.is_atom("ok") {
        Ok(())
    } else {
        Err(StageError::BadReply(reply))
    }
}

/// `GenStage.async_info(stage, msg)`.
pub fn async_info(node: &Node, stage: impl Into<Dest>, message: Term) -> Result<(), SendError> {
    node.cast(
        stage,
        Term::tuple(vec![Term::Atom(Atom::new("$info")), message]),
    )
}
