//! Synchronous calls and casts to gen_servers, from a process or from outside any process. A
//! local call puts a `Call` envelope with a reply slot in the server's mailbox (no term
//! conversion); a remote call sends OTP's `{'$gen_call', {Pid, [alias|Ref]}, Req}` and waits on
//! an alias that is deactivated at timeout, so a late reply is discarded. Must not implement the
//! server side (that is `gen/server`).

use std::sync::Arc;
use std::time::Duration;

use ergo_etf::{FromTerm, IntoTerm, Pid, Reference, Term};

use super::error::{CallError, SendError};
use super::{lock, AliasTarget, Dest, MonitorTarget, Node, RemoteSignal};
use crate::process::{
    CallFailure, DirectEnvelope, DirectFailure, DirectRequest, Envelope, Payload, ReplyResult,
    ReplySlot, ReplyTo,
};

/// What a call's wait on its reply slot (under its timeout) means to the caller.
fn call_result(outcome: Option<ReplyResult>) -> Result<Payload, CallError> {
    match outcome {
        Some(Ok(payload)) => Ok(payload),
        Some(Err(CallFailure::Refused(reason))) => Err(CallError::BadRequest(reason)),
        Some(Err(CallFailure::Down(reason))) => Err(CallError::Down(reason)),
        Some(Err(CallFailure::TimedOut)) => Err(CallError::Timeout),
        Some(Err(CallFailure::Rejected(reason))) => Err(CallError::Rejected(reason)),
        None => Err(CallError::NoReply),
    }
}

impl Node {
    /// Calls a gen_server from outside any process, with the node's default timeout.
    pub async fn call<R: FromTerm + 'static>(
        &self,
        to: impl Into<Dest>,
        request: impl IntoTerm + Send + 'static,
    ) -> Result<R, CallError> {
        let timeout = self.inner.options.default_call_timeout;
        self.call_timeout(to, request, timeout).await
    }

    /// Calls a gen_server from outside any process with a timeout.
    pub async fn call_timeout<R: FromTerm + 'static>(
        &self,
        to: impl Into<Dest>,
        request: impl IntoTerm + Send + 'static,
        timeout: Duration,
    ) -> Result<R, CallError> {
        let caller = self.inner.outside_pid.clone();
        let payload = self
            .call_payload(&caller, &to.into(), Payload::new(request), timeout)
            .await?;
        payload
            .take::<R>()
            .map_err(|u| CallError::BadReply(u.error))
    }

    /// The call machinery: sends `request` to `to` on behalf of `caller` and waits for the reply.
    pub async fn call_payload(
        &self,
        caller: &Pid,
        to: &Dest,
        request: Payload,
        timeout: Duration,
    ) -> Result<Payload, CallError> {
        let slot = Arc::new(ReplySlot::new(
            self.call_route(u64::from(caller.id)),
            caller.clone(),
            self.next_ref_number(),
        ));
        let from = ReplyTo::local(Arc::clone(&slot));
        let local = match to {
            Dest::Pid(p) => self.is_this_node(&p.node),
            Dest::Name(_) => true,
            Dest::Remote { node, .. } | Dest::Alias(ergo_etf::Reference { node, .. }) => {
                self.is_this_node(node)
            }
        };
        let envelope = Envelope::Call { from, request };
        if local {
            match to {
                // One table lookup: a call to a dead local pid fails at once, like gen:call's
                // monitor giving noproc, and a live one gets the envelope.
                Dest::Pid(p) => match self.entry(p) {
                    Some(entry) => super::signals::push_result(&entry, envelope, false)?,
                    None => {
                        return Err(CallError::Send(SendError::NoProc(
                            Term::Pid(p.clone()).to_string(),
                        )))
                    }
                },
                _ => self.send_envelope(Some(caller), to, envelope)?,
            }
        } else {
            return self.call_remote(caller, to, envelope, slot, timeout).await;
        }
        let outcome = {
            let _deadline = self.arm_deadline(caller, &slot, timeout);
            slot.wait().await
        };
        if matches!(outcome, Some(Err(CallFailure::TimedOut))) {
            // Close the slot and deactivate an alias a term rendering may have made: a late
            // reply is discarded.
            slot.close();
            lock(&self.inner.aliases).remove(&slot.tag());
        }
        call_result(outcome)
    }

    /// A call to another node, as `gen:call` makes it: monitor the server (the monitor
    /// reference is also the reply alias and the call tag), send the request, wait for the reply
    /// or the DOWN, then drop the monitor. A DOWN (`noproc`, `noconnection`, an exit reason)
    /// fails the call at once instead of letting it time out.
    async fn call_remote(
        &self,
        caller: &Pid,
        to: &Dest,
        envelope: Envelope,
        slot: Arc<ReplySlot>,
        timeout: Duration,
    ) -> Result<Payload, CallError> {
        let tag = slot.tag();
        let (node, target) = match to {
            Dest::Pid(p) => (p.node.clone(), Some(MonitorTarget::Pid(p.clone()))),
            Dest::Remote { name, node } => (
                node.clone(),
                Some(MonitorTarget::Name {
                    name: name.clone(),
                    node: node.clone(),
                }),
            ),
            Dest::Alias(r) => (r.node.clone(), None),
            Dest::Name(n) => (n.clone(), None),
        };
        lock(&self.inner.aliases).insert(
            tag.clone(),
            AliasTarget::Reply {
                slot: Arc::clone(&slot),
                node: Some(node.clone()),
            },
        );
        let monitor = |signal: fn(Pid, MonitorTarget, Reference) -> RemoteSignal| {
            if let (Some(router), Some(target)) = (self.distribution(), target.clone()) {
                let _ = router.signal(signal(caller.clone(), target, tag.clone()));
            }
        };
        monitor(|from, target, reference| RemoteSignal::Monitor {
            from,
            target,
            reference,
        });
        if let Err(e) = self.send_envelope(Some(caller), to, envelope) {
            lock(&self.inner.aliases).remove(&tag);
            return Err(e.into());
        }
        let outcome = {
            let _deadline = self.arm_deadline(caller, &slot, timeout);
            slot.wait().await
        };
        // Whatever happened, the alias is inactive now and the monitor goes.
        slot.close();
        lock(&self.inner.aliases).remove(&tag);
        let down = matches!(outcome, Some(Err(CallFailure::Down(_))));
        if !down {
            monitor(|from, target, reference| RemoteSignal::Demonitor {
                from,
                target,
                reference,
            });
        }
        call_result(outcome)
    }

    /// Casts a request to a gen_server (`{'$gen_cast', Req}`); never waits.
    pub fn cast(
        &self,
        to: impl Into<Dest>,
        request: impl IntoTerm + Send + 'static,
    ) -> Result<(), SendError> {
        self.send_envelope(None, &to.into(), Envelope::Cast(Payload::new(request)))
    }

    /// Sends a plain Rust value (not a term) to a local process (a gen_server's
    /// `handle_direct`) and waits for its answer, of the request's own `Reply` type, with the
    /// default call timeout. A server that does not take requests of this type refuses it
    /// (`CallError::BadRequest`).
    pub async fn direct<R: DirectRequest>(
        &self,
        to: impl Into<Dest>,
        request: R,
    ) -> Result<R::Reply, CallError> {
        let (envelope, answered) = DirectEnvelope::new(request);
        self.send_envelope(None, &to.into(), Envelope::Direct(envelope))?;
        match tokio::time::timeout(self.inner.options.default_call_timeout, answered).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(DirectFailure::Refused(reason))) => Err(CallError::BadRequest(reason)),
            Ok(Err(DirectFailure::NoReply)) => Err(CallError::NoReply),
            Err(_) => Err(CallError::Timeout),
        }
    }
}
