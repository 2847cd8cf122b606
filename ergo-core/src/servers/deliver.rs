//! Delivering an event to a handler with back-pressure: while the handler's bounded mailbox is
//! full the caller waits (so a connection stops reading and TCP flow control pushes back on
//! the client) and nothing is dropped; or, for datagrams, trying once. Owns that waiting; must
//! not touch sockets.

use std::time::Duration;

use ergo_etf::{IntoTerm, Pid};

use crate::node::{Node, SendError};
use crate::process::{Envelope, Payload, PushError};

/// The longest pause between two tries to put an event in a full mailbox.
const MAX_PAUSE: Duration = Duration::from_millis(20);

/// Why an event could not be delivered.
#[derive(Debug)]
pub(crate) enum Undelivered {
    /// The handler has ended (or its name or node is gone).
    Gone,
    /// Its mailbox is full (only from [`try_deliver`]).
    Full,
}

/// Puts `event` in `to`'s mailbox, waiting while it is full (a pause from 50 µs growing to 20
/// ms between tries: the mailbox has no "room again" signal, and a full mailbox means the
/// handler is the bottleneck anyway). A handler on another node gets a plain send.
pub(crate) async fn deliver(
    node: &Node,
    to: &Pid,
    event: impl IntoTerm + Send + 'static,
) -> Result<(), Undelivered> {
    let mut envelope = Envelope::Message(Payload::new(event));
    let mut pause = Duration::from_micros(50);
    loop {
        if !node.is_local(to) {
            return node
                .send_envelope(None, &crate::node::Dest::Pid(to.clone()), envelope)
                .map_err(|_| Undelivered::Gone);
        }
        let Some(entry) = node.entry(to) else {
            return Err(Undelivered::Gone);
        };
        match entry.mailbox.push(envelope, false) {
            Ok(()) => return Ok(()),
            Err(PushError::Closed(_)) => return Err(Undelivered::Gone),
            Err(PushError::Full(back)) => envelope = back,
        }
        drop(entry);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Puts `event` in `to`'s mailbox if it has room now.
pub(crate) fn try_deliver(
    node: &Node,
    to: &Pid,
    event: impl IntoTerm + Send + 'static,
) -> Result<(), Undelivered> {
    match node.send_envelope(
        None,
        &crate::node::Dest::Pid(to.clone()),
        Envelope::Message(Payload::new(event)),
    ) {
        Ok(()) if node.is_local(to) && node.entry(to).is_none() => Err(Undelivered::Gone),
        Ok(()) => Ok(()),
        Err(SendError::MailboxFull { .. }) => Err(Undelivered::Full),
        Err(_) => Err(Undelivered::Gone),
    }
}
