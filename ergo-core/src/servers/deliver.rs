//! Delivering an event to a handler with back-pressure: while the handler's bounded mailbox is
//! full the caller waits (so a connection stops reading and TCP flow control pushes back on
//! the client) and nothing is dropped; or, for datagrams, trying once. Owns that waiting; must
//! not touch sockets.

use ergo_etf::{IntoTerm, Pid};

use crate::node::{Node, SendError};
use crate::process::{Envelope, Payload, PushError};

/// Why an event could not be delivered.
#[derive(Debug)]
pub(crate) enum Undelivered {
    /// The handler has ended (or its name or node is gone).
    Gone,
    /// Its mailbox is full (only from [`try_deliver`]).
    Full,
}

/// Puts `event` in `to`'s mailbox, waiting while it is full (woken when the handler takes an
/// envelope out: `Mailbox::room`). A handler on another node gets a plain send.
pub(crate) async fn deliver(
    node: &Node,
    to: &Pid,
    event: impl IntoTerm + Send + 'static,
) -> Result<(), Undelivered> {
    let mut envelope = Envelope::Message(Payload::new(event));
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
        entry.mailbox.room().await;
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
