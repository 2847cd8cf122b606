//! What a process is made of: its mailbox, the envelopes it carries, message payloads (typed or
//! term), the reply slot of a call, panic catching, and the `Context` a process's code uses to act
//! on the node. Must not own node-wide tables (those live in `node/`).

mod catch;
mod context;
mod envelope;
mod mailbox;
mod payload;
mod reply_slot;

pub use catch::{panic_message, panic_reason, CatchUnwind};
pub use context::{Context, Recv};
pub use envelope::{DirectReply, Envelope};
pub use mailbox::{Mailbox, Pop, PushError};
pub use payload::{LocalPayload, Payload, Undecodable};
pub use reply_slot::{CallFailure, ReplyResult, ReplySlot, SlotWait};
