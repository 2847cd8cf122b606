//! Catching a panic inside a process future, so the process exits with a reason instead of
//! unwinding into the scheduler, and reporting it once: `CatchUnwind` logs the panic where it
//! catches it (message and location, at ERROR). With [`install_panic_hook`] (which
//! `ergo::logging::init` calls), the std hook stays quiet for the panics `CatchUnwind` catches,
//! so each is reported by that one log line; other panics still reach the previous hook. Owns
//! `CatchUnwind`, the hook and the panic reason format.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use ergo_etf::{Atom, Term};

thread_local! {
    /// True while a `CatchUnwind` polls its future on this thread.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// Where the panic a `CatchUnwind` is about to catch happened (set by the hook).
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the runtime's panic hook (once per program): a panic inside a process is reported
/// only by the runtime's log line (with its location), not also by the std hook's message;
/// any other panic goes to the hook that was installed before.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) {
                let location = info.location().map(|l| l.to_string());
                LOCATION.with(|slot| *slot.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// Polls a future, turning a panic into `Err(message)` (logged once, with its location).
pub struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> CatchUnwind<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> Self {
        CatchUnwind {
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        let outer = CATCHING.with(|c| c.replace(true));
        let polled = catch_unwind(AssertUnwindSafe(|| inner.poll(cx)));
        CATCHING.with(|c| c.set(outer));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                let location = LOCATION.with(|slot| slot.borrow_mut().take());
                tracing::error!(
                    panic = %message,
                    location = location.as_deref().unwrap_or("unknown"),
                    "process panicked"
                );
                Poll::Ready(Err(message))
            }
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// The exit reason of a process whose code panicked: `{panic, <<"message">>}`.
pub fn panic_reason(message: &str) -> Term {
    Term::tuple(vec![
        Term::Atom(Atom::new("panic")),
        Term::binary(message.as_bytes().to_vec()),
    ])
}
