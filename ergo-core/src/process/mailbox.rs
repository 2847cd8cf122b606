//! A process mailbox: a FIFO queue of envelopes plus the waker of the one task that reads it,
//! behind one short mutex. Unbounded by default; a bounded mailbox refuses a push when full and
//! hands the envelope back. Owns `Mailbox`; must not know about signals' meaning.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::Envelope;

struct Inner {
    queue: VecDeque<Envelope>,
    waker: Option<Waker>,
    closed: bool,
    /// Senders waiting for room in a full bounded mailbox (never used when unbounded).
    room_wakers: Vec<Waker>,
}

/// Wakes the senders waiting for room, if the mailbox is bounded and any wait: called with the
/// lock held after a pop, returns the wakers to wake once it is released (an empty `Vec`, which
/// does not allocate, in the common case).
fn take_room_wakers(bound: Option<usize>, inner: &mut Inner) -> Vec<Waker> {
    if bound.is_some() && !inner.room_wakers.is_empty() {
        std::mem::take(&mut inner.room_wakers)
    } else {
        Vec::new()
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

/// A multi-producer, single-consumer queue of envelopes.
pub struct Mailbox {
    inner: Mutex<Inner>,
    bound: Option<usize>,
}

/// Why a push failed; the envelope comes back.
pub enum PushError {
    /// The bounded mailbox is full.
    Full(Envelope),
    /// The process has exited.
    Closed(Envelope),
}

impl Mailbox {
    /// An empty mailbox, bounded to `bound` envelopes when given.
    pub fn new(bound: Option<usize>) -> Mailbox {
        Mailbox {
            inner: Mutex::new(Inner {
                queue: VecDeque::new(),
                waker: None,
                closed: false,
                room_wakers: Vec::new(),
            }),
            bound,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends an envelope and wakes the reader. Signals (`force`) ignore the bound.
    // The error hands the envelope back by value on purpose (no allocation on the hot path).
    #[allow(clippy::result_large_err)]
    pub fn push(&self, envelope: Envelope, force: bool) -> Result<(), PushError> {
        let waker = {
            let mut inner = self.lock();
            if inner.closed {
                return Err(PushError::Closed(envelope));
            }
            if !force {
                if let Some(bound) = self.bound {
                    if inner.queue.len() >= bound {
                        return Err(PushError::Full(envelope));
                    }
                }
            }
            inner.queue.push_back(envelope);
            // Keep the waker registered: it is the process task's, so a later kill signal can
            // wake the task even while it is busy in a callback awaiting something else.
            inner.waker.clone()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Takes the first envelope, if any.
    pub fn try_pop(&self) -> Option<Envelope> {
        let mut inner = self.lock();
        let envelope = inner.queue.pop_front();
        let wakers = take_room_wakers(self.bound, &mut inner);
        drop(inner);
        wake_all(wakers);
        envelope
    }

    /// Waits until the mailbox has room for one more envelope (or is closed): for a sender that
    /// got `PushError::Full` and would rather wait than give up. An unbounded mailbox always
    /// has room. Another sender may take the room first: push again, and wait again if full.
    pub fn room(&self) -> Room<'_> {
        Room { mailbox: self }
    }

    /// Waits for the next envelope.
    pub fn pop(&self) -> Pop<'_> {
        Pop { mailbox: self }
    }

    /// Takes the first envelope for which `pick` returns true, leaving the others in order.
    pub fn take_first(&self, mut pick: impl FnMut(&Envelope) -> bool) -> Option<Envelope> {
        let mut inner = self.lock();
        let idx = inner.queue.iter().position(&mut pick)?;
        let envelope = inner.queue.remove(idx);
        let wakers = take_room_wakers(self.bound, &mut inner);
        drop(inner);
        wake_all(wakers);
        envelope
    }

    /// Remembers the reading task's waker (so a push, or a kill, can wake it before it has ever
    /// waited on the mailbox).
    pub(crate) fn register_waker(&self, waker: &Waker) {
        let mut inner = self.lock();
        match &inner.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => inner.waker = Some(waker.clone()),
        }
    }

    /// Number of queued envelopes.
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// True when the mailbox is bounded and holds as many envelopes as its bound.
    pub fn is_full(&self) -> bool {
        self.bound.is_some_and(|bound| self.len() >= bound)
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Refuses further pushes and returns what was still queued.
    pub fn close(&self) -> VecDeque<Envelope> {
        let mut inner = self.lock();
        inner.closed = true;
        inner.waker = None;
        let wakers = std::mem::take(&mut inner.room_wakers);
        let queue = std::mem::take(&mut inner.queue);
        drop(inner);
        wake_all(wakers);
        queue
    }
}

/// The future of [`Mailbox::pop`].
pub struct Pop<'a> {
    mailbox: &'a Mailbox,
}

impl Future for Pop<'_> {
    type Output = Envelope;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Envelope> {
        self.mailbox.poll_pop(cx)
    }
}

impl Mailbox {
    /// Takes the first envelope, or registers the waker and returns `Pending`.
    pub fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Envelope> {
        let mut inner = self.lock();
        if let Some(e) = inner.queue.pop_front() {
            let wakers = take_room_wakers(self.bound, &mut inner);
            drop(inner);
            wake_all(wakers);
            return Poll::Ready(e);
        }
        match &inner.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => inner.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// The future of [`Mailbox::room`].
pub struct Room<'a> {
    mailbox: &'a Mailbox,
}

impl Future for Room<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(bound) = self.mailbox.bound else {
            return Poll::Ready(());
        };
        let mut inner = self.mailbox.lock();
        if inner.closed || inner.queue.len() < bound {
            return Poll::Ready(());
        }
        if !inner.room_wakers.iter().any(|w| w.will_wake(cx.waker())) {
            inner.room_wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
