//! A one-shot slot where a call's reply lands: the caller waits on it, the server (through a
//! [`ReplyTo`](super::ReplyTo)) fills it once. Cheaper than a channel, and clonable on the server
//! side so a reply can be deferred. Owns `ReplySlot` and [`ReplyRoute`], the node's side of a
//! reply that must leave the slot; must not know about gen_server semantics or the node's tables.

use std::cell::UnsafeCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

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

/// The slot's state bits (in [`ReplySlot::state`]); the slot moves only forward through them.
mod bits {
    /// A filler won the slot: it alone writes the value, then sets [`FILLED`].
    pub(super) const CLAIMED: u8 = 1;
    /// The value is written and published (set with `Release` after the write).
    pub(super) const FILLED: u8 = 2;
    /// A waiter took the value out: it alone read it.
    pub(super) const TAKEN: u8 = 4;
    /// Never to be filled: the caller gave up, or every reply handle went. A slot claimed before
    /// it closed is still filled.
    pub(super) const CLOSED: u8 = 8;
}

/// A slot filled at most once. It also carries the call's identity (caller pid, tag number and
/// node), so a `ReplyTo` is one pointer and a call makes no reference or term unless it has to.
///
/// Lock-free: the fillers (the reply handles, the deadline registry, a monitor) race for the
/// [`bits::CLAIMED`] bit with one compare-and-swap from the empty state, so exactly one of them
/// fills it (a reply and its call's timeout cannot both land); a closed slot cannot be claimed.
/// The waiter's waker lives in an [`AtomicWaker`], woken after the value is published.
pub struct ReplySlot {
    /// [`bits`]: who owns `value` and whether the slot is closed.
    state: AtomicU8,
    /// The reply. Invariant: written only by the one filler that set `CLAIMED`, before it sets
    /// `FILLED`; read (taken) only by the one waiter that set `TAKEN` after seeing `FILLED`.
    /// Nobody else touches it; dropping the slot drops what is left in it.
    value: UnsafeCell<Option<ReplyResult>>,
    /// The waiting caller's waker.
    waker: AtomicWaker,
    holders: std::sync::atomic::AtomicUsize,
    caller: Pid,
    tag_number: u64,
    route: Arc<dyn ReplyRoute>,
}

// SAFETY: the only field that is not `Sync` is `value`, and it is accessed by one thread at a
// time, handed over through `state` (the `CLAIMED` filler writes it and publishes it with a
// `Release` `fetch_or(FILLED)`; the `TAKEN` waiter reads it after an `Acquire` of `FILLED`). Its
// content moves between threads, so it must be `Send`, which `ReplyResult` is (checked below).
unsafe impl Sync for ReplySlot {}

const _: () = {
    const fn reply_results_are_send<T: Send>() {}
    reply_results_are_send::<ReplyResult>();
};

impl ReplySlot {
    /// An empty slot for a call from `caller`; `tag_number` becomes the tag reference on demand.
    pub fn new(route: Arc<dyn ReplyRoute>, caller: Pid, tag_number: u64) -> ReplySlot {
        ReplySlot {
            state: AtomicU8::new(0),
            value: UnsafeCell::new(None),
            waker: AtomicWaker::new(),
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

    /// Fills the slot; false if it was already filled or closed (the reply is discarded).
    pub fn fulfil(&self, value: ReplyResult) -> bool {
        // Only from the empty state: a slot already claimed or closed stays as it is.
        if self
            .state
            .compare_exchange(0, bits::CLAIMED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        // SAFETY: this thread set `CLAIMED`, which happens once per slot; until `FILLED` is set
        // below nobody else reads or writes `value` (see the field's invariant).
        unsafe { *self.value.get() = Some(value) };
        self.state.fetch_or(bits::FILLED, Ordering::Release);
        self.waker.wake();
        true
    }

    /// Marks the slot as never to be filled (the caller gave up, or every reply handle dropped).
    /// A slot already claimed by a filler keeps its value.
    pub fn close(&self) {
        let before = self.state.fetch_or(bits::CLOSED, Ordering::AcqRel);
        if before & (bits::CLAIMED | bits::CLOSED) == 0 {
            // No value is coming: the waiter must see the slot closed.
            self.waker.wake();
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
            // A claimed slot gets its value anyway: no need to close it (one load instead of a
            // read-modify-write on the reply path).
            && self.state.load(Ordering::Acquire) & bits::CLAIMED == 0
        {
            self.close();
        }
    }

    /// Waits for the value; `None` when the slot was closed without one (or another wait took
    /// it).
    pub fn wait(&self) -> SlotWait<'_> {
        SlotWait { slot: self }
    }

    /// The value, if the slot has settled: `Some(None)` when closed without one, `None` while
    /// a value may still come.
    fn settled(&self) -> Option<Option<ReplyResult>> {
        let state = self.state.load(Ordering::Acquire);
        if state & bits::FILLED != 0 {
            if state & bits::TAKEN != 0 {
                return Some(None);
            }
            let before = self.state.fetch_or(bits::TAKEN, Ordering::AcqRel);
            if before & bits::TAKEN != 0 {
                return Some(None);
            }
            // SAFETY: `FILLED` was read with `Acquire`, so the filler's write is visible, and
            // this thread set `TAKEN`, which happens once: no one else touches `value` now.
            return Some(unsafe { (*self.value.get()).take() });
        }
        if state & bits::CLOSED != 0 && state & bits::CLAIMED == 0 {
            return Some(None);
        }
        None
    }
}

/// The future of [`ReplySlot::wait`].
pub struct SlotWait<'a> {
    slot: &'a ReplySlot,
}

impl Future for SlotWait<'_> {
    type Output = Option<ReplyResult>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(settled) = self.slot.settled() {
            return Poll::Ready(settled);
        }
        // Register, then look again: a filler publishes `FILLED` before it wakes, so either
        // this second look sees the value or the filler's wake finds this waker.
        self.slot.waker.register(cx.waker());
        match self.slot.settled() {
            Some(settled) => Poll::Ready(settled),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Barrier;
    use std::task::{Wake, Waker};
    use std::thread::Thread;

    use ergo_etf::{Atom, IntoTerm};

    use super::*;

    /// Waits for `wait` on this thread, parking until woken (no runtime).
    fn block_on(mut wait: SlotWait<'_>) -> Option<ReplyResult> {
        struct Unpark(Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = Pin::new(&mut wait).poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }

    fn slot() -> Arc<ReplySlot> {
        Arc::new(ReplySlot::new(Arc::new(NoRoute), test_pid(), 1))
    }

    fn reply(n: i64) -> ReplyResult {
        Ok(Payload::Term(Term::Int(n)))
    }

    /// What a waiter got, as a number: the reply's, -1 for the timeout, -2 for nothing.
    fn outcome(got: Option<ReplyResult>) -> i64 {
        match got {
            Some(Ok(Payload::Term(Term::Int(n)))) => n,
            Some(Err(CallFailure::TimedOut)) => -1,
            None => -2,
            Some(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_first_fill_wins_and_a_closed_slot_refuses_fills() {
        let s = slot();
        assert!(s.fulfil(reply(1)));
        assert!(!s.fulfil(Err(CallFailure::TimedOut)));
        s.close();
        assert_eq!(outcome(block_on(s.wait())), 1);
        // Taken once: a second wait sees nothing.
        assert_eq!(outcome(block_on(s.wait())), -2);

        let s = slot();
        s.close();
        assert!(!s.fulfil(reply(2)));
        assert_eq!(outcome(block_on(s.wait())), -2);
    }

    #[test]
    fn the_last_reply_handle_going_closes_the_slot() {
        let s = slot();
        s.add_holder();
        s.add_holder();
        s.release_holder();
        assert!(s.settled().is_none(), "one handle is left");
        s.release_holder();
        assert_eq!(outcome(block_on(s.wait())), -2);
    }

    /// A reply, the call's timeout and the caller closing race on many slots at once, with the
    /// caller waiting on another thread: exactly one fill succeeds (or none, when the close came
    /// first), and the caller receives exactly what succeeded.
    #[test]
    fn a_reply_racing_the_timeout_has_exactly_one_winner_and_the_caller_gets_it() {
        const SLOTS: usize = 20_000;
        let slots: Arc<Vec<Arc<ReplySlot>>> = Arc::new((0..SLOTS).map(|_| slot()).collect());
        let replied: Arc<Vec<AtomicU8>> = Arc::new((0..SLOTS).map(|_| AtomicU8::new(0)).collect());
        let timed_out: Arc<Vec<AtomicU8>> =
            Arc::new((0..SLOTS).map(|_| AtomicU8::new(0)).collect());
        let start = Arc::new(Barrier::new(4));
        let spawn = |f: Box<dyn Fn(usize) + Send>| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for i in 0..SLOTS {
                    f(i);
                }
            })
        };
        let (s, r) = (Arc::clone(&slots), Arc::clone(&replied));
        let server = spawn(Box::new(move |i| {
            r[i].store(u8::from(s[i].fulfil(reply(i as i64))), Ordering::Relaxed);
        }));
        let (s, t) = (Arc::clone(&slots), Arc::clone(&timed_out));
        let ticker = spawn(Box::new(move |i| {
            t[i].store(
                u8::from(s[i].fulfil(Err(CallFailure::TimedOut))),
                Ordering::Relaxed,
            );
        }));
        // Closes every seventh slot, as a caller giving up would.
        let s = Arc::clone(&slots);
        let closer = spawn(Box::new(move |i| {
            if i % 7 == 0 {
                s[i].close();
            }
        }));
        start.wait();
        let got: Vec<i64> = slots.iter().map(|s| outcome(block_on(s.wait()))).collect();
        for handle in [server, ticker, closer] {
            handle.join().expect("racing thread");
        }
        for (i, got) in got.iter().enumerate() {
            let (r, t) = (
                replied[i].load(Ordering::Relaxed),
                timed_out[i].load(Ordering::Relaxed),
            );
            assert!(
                r + t <= 1,
                "slot {i}: both the reply and the timeout landed"
            );
            let expected = match (r, t) {
                (1, _) => i as i64,
                (_, 1) => -1,
                _ => -2,
            };
            assert_eq!(*got, expected, "slot {i}: the caller got another outcome");
        }
    }

    /// A slot dropped with a value nobody took frees it.
    #[test]
    fn a_dropped_slot_frees_its_value() {
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        impl IntoTerm for Counted {
            fn into_term(self) -> Term {
                Term::nil()
            }
        }
        let dropped = Arc::new(AtomicUsize::new(0));
        let s = slot();
        assert!(s.fulfil(Ok(Payload::new(Counted(Arc::clone(&dropped))))));
        assert!(!s.fulfil(Ok(Payload::new(Counted(Arc::clone(&dropped))))));
        assert_eq!(
            dropped.load(Ordering::Relaxed),
            1,
            "the refused value is dropped"
        );
        drop(s);
        assert_eq!(
            dropped.load(Ordering::Relaxed),
            2,
            "the slot's value went with it"
        );
    }

    struct NoRoute;
    impl ReplyRoute for NoRoute {
        fn tag_reference(&self, _n: u64) -> Reference {
            Reference {
                node: Atom::new("t@h"),
                creation: 1,
                ids: [0, 0, 0].into(),
            }
        }
        fn register_reply_alias(&self, _alias: Reference, _slot: Arc<ReplySlot>) {}
        fn send_reply(&self, _caller: &Pid, _alias: Option<Reference>, _message: Term) -> bool {
            false
        }
    }

    fn test_pid() -> Pid {
        Pid {
            node: Atom::new("t@h"),
            id: 1,
            serial: 0,
            creation: 1,
        }
    }
}
