//! What a process is made of, below the node: its mailbox, the envelopes it carries, message
//! payloads (typed or term), the reply slot of a call and the reply handle that fills it, and
//! panic catching. Must not own node-wide tables or know the node (those live in `node/`; what a
//! reply needs of the node it reaches through the [`ReplyRoute`] trait the node implements).

mod catch;
mod direct;
mod envelope;
mod mailbox;
mod payload;
mod reply_slot;
mod reply_to;

pub use catch::{install_panic_hook, panic_message, panic_reason, CatchUnwind};
pub use direct::{DirectAnswer, DirectEnvelope, DirectFailure, DirectReplyTo, DirectRequest};
pub use envelope::{DownSignal, Envelope, ExitSignal};
pub use mailbox::{Mailbox, Pop, PushError, Room};
pub use payload::{LocalPayload, Payload, Undecodable};
pub use reply_slot::{CallFailure, ReplyResult, ReplyRoute, ReplySlot, SlotWait};
pub use reply_to::ReplyTo;
