//! A one-shot slot where a call's reply lands: the caller waits on it, the server (through a
//! [`ReplyTo`](super::ReplyTo)) fills it once. Cheaper than a channel, and clonable on the server
//! side so a reply can be deferred. Owns `ReplySlot` and [`ReplyRoute`], the node's side of a
//! reply that must leave the slot; must not know about gen_server semantics or the node's tables.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use ergo_etf::{Pid, Reference, Term};

use super::Payload;

/// What a reply needs from the node the call was made on, when it cannot simply fill the slot:
/// the tag reference, the alias under which a `{Tag, Reply}` message finds the slot, and sending
/// such a message to a caller on another node. The node implements it; this layer only calls it.
pub trait ReplyRoute: Send + Sync + 'static {
    /// The reference for a call's tag number (the node's name and creation, and the number).
    fn tag_reference(&self, tag_number: u64) -> Reference;
    /// Registers `alias` as the address of `slot`, for a call whose request left as a term.
    fn register_reply_alias(&self, alias: Reference, slot: Arc<ReplySlot>);
    /// Sends `{Tag, Reply}` (already built) to a caller's alias, or to its pid when `alias` is
    /// `None`; false when it could not be sent.
    fn send_reply(&self, caller: &Pid, alias: Option<Reference>, message: Term) -> bool;
}

/// What a call receives: the reply, or why there is none.
pub type ReplyResult = Result<Payload, CallFailure>;

/// Why a call's slot was filled without a reply.
#[derive(Clone, Debug, PartialEq)]
pub enum CallFailure {
    /// The server refused the request (its typed handler could not decode it).
    Refused(Term),
    /// The monitor on the server fired: `noproc`, `noconnection`, or the server's exit reason.
    Down(Term),
    /// The call's deadline came first.
    TimedOut,
    /// The server could not take the request (a pool whose workers' mailboxes were all full).
    Rejected(Term),
}

#[derive(Default)]
struct SlotState {
    value: Option<ReplyResult>,
    waker: Option<Waker>,
    closed: bool,
}

/// A slot filled at most once. It also carries the call's identity (caller pid, tag number and
/// node), so a `ReplyTo` is one pointer and a call makes no reference or term unless it has to.
pub struct ReplySlot {
    state: Mutex<SlotState>,
    holders: std::sync::atomic::AtomicUsize,
    caller: Pid,
    tag_number: u64,
    route: Arc<dyn ReplyRoute>,
}

impl ReplySlot {
    /// An empty slot for a call from `caller`; `tag_number` becomes the tag reference on demand.
    pub fn new(route: Arc<dyn ReplyRoute>, caller: Pid, tag_number: u64) -> ReplySlot {
        ReplySlot {
            state: Mutex::new(SlotState::default()),
            holders: std::sync::atomic::AtomicUsize::new(0),
            caller,
            tag_number,
            route,
        }
    }

    /// The calling process.
    pub fn caller(&self) -> &Pid {
        &self.caller
    }

    /// The node side of the call (where its tag and alias are made).
    pub fn route(&self) -> &Arc<dyn ReplyRoute> {
        &self.route
    }

    /// The call's tag reference (also the caller's alias for this call).
    pub fn tag(&self) -> Reference {
        self.route.tag_reference(self.tag_number)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fills the slot; false if it was already filled or abandoned (the reply is discarded).
    pub fn fulfil(&self, value: ReplyResult) -> bool {
        let waker = {
            let mut s = self.lock();
            if s.closed || s.value.is_some() {
                return false;
            }
            s.value = Some(value);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Marks the slot as never to be filled (the caller gave up, or every reply handle dropped).
    pub fn close(&self) {
        let waker = {
            let mut s = self.lock();
            s.closed = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Counts one more reply handle (`ReplyTo`) that may fill the slot.
    pub fn add_holder(&self) {
        self.holders
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// A reply handle went away; when it was the last one, the slot closes (the caller gets
    /// `NoReply` instead of waiting for its timeout).
    pub fn release_holder(&self) {
        if self
            .holders
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel)
            == 1
        {
            self.close();
        }
    }

    /// Waits for the value; `None` when the slot was closed without one.
    pub fn wait(self: &Arc<Self>) -> SlotWait {
        SlotWait {
            slot: Arc::clone(self),
        }
    }
}

/// The future of [`ReplySlot::wait`].
pub struct SlotWait {
    slot: Arc<ReplySlot>,
}

impl Future for SlotWait {
    type Output = Option<ReplyResult>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.slot.lock();
        if let Some(v) = s.value.take() {
            s.closed = true;
            return Poll::Ready(Some(v));
        }
        if s.closed {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
