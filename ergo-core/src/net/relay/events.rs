//! The membership events a relay member publishes through the node's events
//! ([`crate::Node::subscribe_event`] on [`RELAY_EVENT`]): members joining and leaving, relays
//! going up and down, a relay refusing this member. Owns the event values and their terms;
//! must not publish them (`member.rs` does).

use ergo_etf::{Atom, ConvertError, FromTerm, IntoTerm, Term};

/// The name of the event a relay member publishes; subscribers get
/// `{event, relay_membership, E}` with `E` a [`RelayEvent`] term.
pub const RELAY_EVENT: &str = "relay_membership";

/// One membership event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayEvent {
    /// `{member_joined, Node, Relay}`: a member is reachable (a proxy route through the relay
    /// at that address now leads to it).
    MemberJoined {
        /// The member's node name.
        node: Atom,
        /// The address of the relay its route goes through.
        relay: String,
    },
    /// `{member_left, Node}`: no relay that is up lists the member any more (its route is
    /// gone).
    MemberLeft {
        /// The member's node name.
        node: Atom,
    },
    /// `{relay_up, Relay, RelayNode}`: connected to and admitted by the relay.
    RelayUp {
        /// The relay's address as configured.
        relay: String,
        /// The relay's node name.
        node: Atom,
    },
    /// `{relay_down, Relay, Reason}`: the connection to a relay that was up is gone (a
    /// reconnect follows, with backoff).
    RelayDown {
        /// The relay's address.
        relay: String,
        /// Why, as far as this member knows.
        reason: String,
    },
    /// `{relay_refused, Relay, Reason}`: an attempt to connect to or be admitted by a relay
    /// failed (a retry follows, with backoff).
    RelayRefused {
        /// The relay's address.
        relay: String,
        /// Why.
        reason: String,
    },
}

fn bin(s: &str) -> Term {
    Term::binary(s.as_bytes().to_vec())
}

impl IntoTerm for RelayEvent {
    fn into_term(self) -> Term {
        let tag = Term::atom;
        match self {
            RelayEvent::MemberJoined { node, relay } => {
                Term::tuple(vec![tag("member_joined"), Term::Atom(node), bin(&relay)])
            }
            RelayEvent::MemberLeft { node } => {
                Term::tuple(vec![tag("member_left"), Term::Atom(node)])
            }
            RelayEvent::RelayUp { relay, node } => {
                Term::tuple(vec![tag("relay_up"), bin(&relay), Term::Atom(node)])
            }
            RelayEvent::RelayDown { relay, reason } => {
                Term::tuple(vec![tag("relay_down"), bin(&relay), bin(&reason)])
            }
            RelayEvent::RelayRefused { relay, reason } => {
                Term::tuple(vec![tag("relay_refused"), bin(&relay), bin(&reason)])
            }
        }
    }
}

impl FromTerm for RelayEvent {
    fn from_term(term: Term) -> Result<RelayEvent, ConvertError> {
        let wrong = || ConvertError::new("RelayEvent", "a relay membership event", &term);
        let text = |t: &Term| match t {
            Term::Binary(b) => String::from_utf8(b.to_vec()).ok(),
            _ => None,
        };
        let Some(items) = term.as_tuple() else {
            return Err(wrong());
        };
        let event = match items {
            [t, Term::Atom(node), relay] if t.is_atom("member_joined") => {
                text(relay).map(|relay| RelayEvent::MemberJoined {
                    node: node.clone(),
                    relay,
                })
            }
            [t, Term::Atom(node)] if t.is_atom("member_left") => {
                Some(RelayEvent::MemberLeft { node: node.clone() })
            }
            [t, relay, Term::Atom(node)] if t.is_atom("relay_up") => {
                text(relay).map(|relay| RelayEvent::RelayUp {
                    relay,
                    node: node.clone(),
                })
            }
            [t, relay, reason] if t.is_atom("relay_down") => text(relay)
                .zip(text(reason))
                .map(|(relay, reason)| RelayEvent::RelayDown { relay, reason }),
            [t, relay, reason] if t.is_atom("relay_refused") => text(relay)
                .zip(text(reason))
                .map(|(relay, reason)| RelayEvent::RelayRefused { relay, reason }),
            _ => None,
        };
        event.ok_or_else(wrong)
    }
}
